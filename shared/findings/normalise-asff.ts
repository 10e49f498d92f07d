/**
 * An ASFF finding (Security Hub's `Security Hub Findings - Imported` and `- Custom Action` events)
 * as a NormalisedFinding. Types: the finding's `Types`, its control id (`S3.2`) and, for a finding
 * GuardDuty produced, GuardDuty's own type restored from the ASFF type (`...IAMUser-ConsoleLogin` →
 * `UnauthorizedAccess:IAMUser/ConsoleLogin`), so one rule matches the finding from either path.
 */
import { parseArn, partitionOfRegion } from '#shared/catalogue/arn.ts';
import type { Partition } from '#shared/catalogue/arn.ts';
import { asffFindingSchema } from './asff-schema.ts';
import type { AsffFinding, AsffResource } from './asff-schema.ts';
import { arnResource, collect, iamIdentityResource, s3BucketResource } from './finding-resources.ts';
import type { Mapped } from './finding-resources.ts';
import { InvalidFindingError } from './invalid-finding-error.ts';
import { formatPath } from './field-path.ts';
import { parsePart } from './parse-part.ts';
import { asffLabelSeverity, asffNormalizedSeverity } from './severity.ts';
import type { NormalisedFinding, Severity, WorkflowState } from './types.ts';

/** A Security Hub control id: a service and a number, e.g. `S3.2`, `EC2.7`, `CloudTrail.1`. */
export const controlIdPattern = /^[A-Za-z][A-Za-z0-9]*\.\d{1,3}$/;

function productField(finding: AsffFinding, key: string): string | undefined {
  const fields = finding.ProductFields;
  return fields !== undefined && Object.hasOwn(fields, key) ? fields[key] : undefined;
}

/** Security Hub's own product, whose control findings no other importer can write. */
const securityHubProductArn = /^arn:aws(?:-[a-z]+)*:securityhub:[a-z0-9-]+::product\/aws\/securityhub$/;

/**
 * From Compliance.SecurityControlId, ProductFields.ControlId, or the GeneratorId's last segment,
 * for Security Hub's own findings only: a custom integration may write any of these, and a rule on
 * `S3.2` must not act on a finding an importer forged.
 */
function controlIdOf(finding: AsffFinding): string | null {
  if (!securityHubProductArn.test(finding.ProductArn ?? '')) return null;
  const generated = finding.GeneratorId.split('/').at(-1) ?? '';
  const candidates = [finding.Compliance?.SecurityControlId, productField(finding, 'ControlId'), generated];
  return candidates.find((candidate) => candidate !== undefined && controlIdPattern.test(candidate)) ?? null;
}

/**
 * GuardDuty's own product ARN (AWS products carry no account), which Security Hub lets no other
 * importer use. `ProductFields` are not trusted for this: a custom integration writes them.
 */
const guardDutyProductArn = /^arn:aws(?:-[a-z]+)*:securityhub:[a-z0-9-]+::product\/aws\/guardduty$/;

function isFromGuardDuty(finding: AsffFinding): boolean {
  return guardDutyProductArn.test(finding.ProductArn ?? '');
}

/** ASFF writes GuardDuty's `Threat:Resource/Name` as the last segment `Threat:Resource-Name`. */
function guardDutyTypesOf(finding: AsffFinding): string[] {
  if (!isFromGuardDuty(finding)) return [];
  return (finding.Types ?? []).flatMap((type) => {
    const match = /^([A-Za-z]+):([A-Za-z0-9]+)-(.+)$/.exec(type.split('/').at(-1) ?? '');
    return match === null ? [] : [`${match[1] ?? ''}:${match[2] ?? ''}/${match[3] ?? ''}`];
  });
}

function severityOf(finding: AsffFinding, at: readonly PropertyKey[]): { severity: Severity; sourceSeverity: string } {
  const label = finding.Severity?.Label ?? (finding.Severity?.Normalized === undefined ? finding.FindingProviderFields?.Severity?.Label : undefined);
  if (label !== undefined) return { severity: asffLabelSeverity(label), sourceSeverity: label };
  const normalized = finding.Severity?.Normalized;
  if (normalized !== undefined) return { severity: asffNormalizedSeverity(normalized), sourceSeverity: `Normalized ${normalized}` };
  throw new InvalidFindingError([{ path: formatPath([...at, 'Severity']), message: 'must give Label or Normalized' }]);
}

function workflowOf(finding: AsffFinding): { workflow: WorkflowState; workflowReason: string | null } {
  const status = finding.Workflow?.Status;
  if (finding.RecordState === 'ARCHIVED') return { workflow: 'suppressed', workflowReason: 'archived in Security Hub (RecordState is ARCHIVED)' };
  if (status === 'SUPPRESSED' || status === 'RESOLVED') return { workflow: 'suppressed', workflowReason: `Workflow.Status is ${status}` };
  if (status === undefined && (finding.WorkflowState === 'RESOLVED' || finding.WorkflowState === 'DEFERRED')) {
    return { workflow: 'suppressed', workflowReason: `WorkflowState is ${finding.WorkflowState}` };
  }
  // A passed control is a resolved finding, whatever its workflow says.
  if (finding.Compliance?.Status === 'PASSED') return { workflow: 'suppressed', workflowReason: 'the control passed (Compliance.Status is PASSED)' };
  return { workflow: 'active', workflowReason: null };
}

function isSample(finding: AsffFinding): boolean {
  if (productField(finding, 'additionalInfo/sample') === 'true') return true;
  const info = productField(finding, 'additionalInfo');
  if (info === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(info);
    return typeof parsed === 'object' && parsed !== null && Object.hasOwn(parsed, 'sample') && (parsed as { sample: unknown }).sample === true;
  } catch {
    // Free text from a product, not JSON: it says nothing about being a sample.
    return false;
  }
}

const arnTypes = new Set(['AwsEc2Instance', 'AwsS3Bucket', 'AwsIamUser', 'AwsIamRole', 'AwsRdsDbInstance']);

function resourceOf(resource: AsffResource, finding: AsffFinding, partition: Partition, region: string | null): Mapped {
  const where = { accountId: finding.AwsAccountId, region: resource.Region ?? region };
  if (arnTypes.has(resource.Type)) {
    if (resource.Id.startsWith('arn:')) return arnResource(resource.Id, where);
    if (resource.Type === 'AwsS3Bucket') return s3BucketResource(resource.Partition ?? partition, resource.Id, where.accountId, where.region);
    return { reason: `the ${resource.Type} resource's Id is not an ARN` };
  }
  if (resource.Type === 'AwsIamAccessKey') {
    const key = resource.Details?.AwsIamAccessKey;
    const name = key?.PrincipalName ?? key?.UserName;
    if (name === undefined) return { reason: 'an AwsIamAccessKey resource without Details.AwsIamAccessKey.PrincipalName or UserName' };
    return iamIdentityResource(resource.Partition ?? partition, finding.AwsAccountId, key?.PrincipalType, name);
  }
  return { reason: `Security Hub resource type ${resource.Type} names nothing an action takes` };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Normalises one ASFF finding found at `at`; `region` is the event's, for findings that give none. */
export function normaliseAsffFinding(value: unknown, at: readonly PropertyKey[], eventRegion: string | null = null): NormalisedFinding {
  const finding = parsePart(asffFindingSchema, value, at);
  const region = finding.Region ?? finding.Resources[0]?.Region ?? eventRegion;
  const partition = finding.Resources[0]?.Partition ?? parseArn(finding.Id)?.partition ?? (region === null ? 'aws' : partitionOfRegion(region));
  const controlId = controlIdOf(finding);
  const guardDutyTypes = guardDutyTypesOf(finding);
  const types = finding.Types ?? [];
  const findingType = guardDutyTypes[0] ?? controlId ?? types[0] ?? finding.GeneratorId;
  const { resources, reasons } = collect(finding.Resources.map((resource) => resourceOf(resource, finding, partition, region)));
  const count = productField(finding, 'count');
  return {
    source: 'securityhub',
    findingId: finding.Id,
    findingType,
    types: unique([findingType, ...guardDutyTypes, ...(controlId === null ? [] : [controlId]), ...types]),
    ...severityOf(finding, at),
    accountId: finding.AwsAccountId,
    region,
    partition,
    productName: finding.ProductName ?? productField(finding, 'aws/securityhub/ProductName') ?? null,
    ...workflowOf(finding),
    sample: isSample(finding),
    resourceRole: null,
    updateCount: isFromGuardDuty(finding) && count !== undefined && /^\d{1,15}$/.test(count) ? Number(count) : null,
    updatedAt: finding.UpdatedAt ?? null,
    resource: resources[0] ?? null,
    resources,
    unmappedReason: resources.length > 0 ? null : reasons.join('; '),
  };
}
