/**
 * An OCSF finding (Security Hub's `Findings Imported V2`) as a NormalisedFinding. Types are
 * `finding_info.types` plus the control id (`compliance.control`); the resource is the first of
 * `resources[]` whose `uid` is the ARN of something an action takes.
 */
import { partitionOfRegion, partitions } from '#shared/catalogue/arn.ts';
import { quote } from '#shared/catalogue/validate.ts';
import { arnResource, collect } from './finding-resources.ts';
import type { Mapped } from './finding-resources.ts';
import { ocsfFindingSchema } from './ocsf-schema.ts';
import type { OcsfFinding } from './ocsf-schema.ts';
import { parsePart } from './parse-part.ts';
import { ocsfSeverity } from './severity.ts';
import type { NormalisedFinding, WorkflowState } from './types.ts';

/** OCSF Finding `status_id`: 3 Suppressed, 4 Resolved, 5 Archived, 6 Deleted are not acted on. */
const closedStatuses: Readonly<Record<number, string>> = { 3: 'Suppressed', 4: 'Resolved', 5: 'Archived', 6: 'Deleted' };

function workflowOf(finding: OcsfFinding): { workflow: WorkflowState; workflowReason: string | null } {
  const closed = finding.status_id === undefined ? undefined : closedStatuses[finding.status_id];
  if (closed !== undefined) return { workflow: 'suppressed', workflowReason: `status_id is ${String(finding.status_id)} (${closed})` };
  const caption = finding.status?.toLowerCase();
  if ((finding.status_id === undefined || finding.status_id === 99) && (caption === 'suppressed' || caption === 'resolved' || caption === 'archived')) {
    return { workflow: 'suppressed', workflowReason: `status is ${finding.status ?? ''}` };
  }
  // OCSF compliance status_id 1 is Pass: a control that passed is a resolved finding.
  if (finding.compliance?.status_id === 1) return { workflow: 'suppressed', workflowReason: 'the control passed (compliance.status_id is 1)' };
  return { workflow: 'active', workflowReason: null };
}

function resourceOf(resource: NonNullable<OcsfFinding['resources']>[number], finding: OcsfFinding): Mapped {
  if (resource.uid?.startsWith('arn:') !== true) return { reason: `the ${resource.type ?? 'resource'} resource's uid is not an ARN` };
  const accountId = finding.cloud.account.uid;
  const owner = resource.owner?.account?.uid;
  if (owner !== undefined && owner !== accountId) {
    return { reason: `the resource ${quote(resource.uid)} is owned by account ${owner}, not the finding's account ${accountId}` };
  }
  return arnResource(resource.uid, { accountId, region: resource.region ?? finding.cloud.region ?? null });
}

/** Normalises one OCSF finding found at `at`; `eventRegion` fills in a finding that names no region. */
export function normaliseOcsfFinding(value: unknown, at: readonly PropertyKey[], eventRegion: string | null = null): NormalisedFinding {
  const finding = parsePart(ocsfFindingSchema, value, at);
  const region = finding.cloud.region ?? eventRegion;
  const named = finding.resources?.[0]?.cloud_partition;
  const partition = partitions.find((each) => each === named) ?? (region === null ? 'aws' : partitionOfRegion(region));
  const control = finding.compliance?.control;
  const types = finding.finding_info.types ?? [];
  const findingType = control ?? types[0] ?? `class_uid ${String(finding.class_uid)}`;
  const { resources, reasons } = collect((finding.resources ?? []).map((resource) => resourceOf(resource, finding)));
  return {
    source: 'securityhub',
    findingId: finding.finding_info.uid,
    findingType,
    types: [...new Set([findingType, ...types, ...(control === undefined ? [] : [control])])],
    severity: ocsfSeverity(finding.severity_id, finding.severity),
    sourceSeverity: `severity_id ${String(finding.severity_id)}${finding.severity === undefined ? '' : ` (${finding.severity})`}`,
    accountId: finding.cloud.account.uid,
    region,
    partition,
    productName: finding.metadata?.product?.name ?? null,
    ...workflowOf(finding),
    sample: false,
    resourceRole: null,
    updateCount: finding.count ?? null,
    updatedAt: finding.finding_info.modified_time_dt ?? null,
    resource: resources[0] ?? null,
    resources,
    unmappedReason: resources.length > 0 ? null : reasons.length > 0 ? reasons.join('; ') : 'the finding lists no resources',
  };
}
