/**
 * A GuardDuty finding (the `detail` of a `GuardDuty Finding` event, camelCase, or one finding of
 * GetFindings, PascalCase) as a NormalisedFinding. The resource follows `resource.resourceType`:
 * AccessKey → the IAM user (or role, for a role session); Instance → the instance; S3Bucket → each
 * bucket, then the caller's identity; EKSCluster → the pod or workload, then the node's instance;
 * RDSDBInstance → the DB instance. Any other type names nothing an action takes: `unmapped`.
 */
import { parseArn, partitionOfRegion } from '#shared/catalogue/arn.ts';
import type { Partition } from '#shared/catalogue/arn.ts';
import {
  collect,
  ec2InstanceResource,
  iamIdentityResource,
  kubernetesWorkloadResource,
  rdsInstanceResource,
  s3BucketResource,
} from './finding-resources.ts';
import type { Mapped } from './finding-resources.ts';
import { guardDutyFindingSchema } from './guardduty-schema.ts';
import type { GuardDutyFinding } from './guardduty-schema.ts';
import { InvalidFindingError } from './invalid-finding-error.ts';
import { camelCaseKeys, isPascalCaseFinding, originalPath } from './pascal-case.ts';
import { formatPath } from './field-path.ts';
import { parsePart } from './parse-part.ts';
import { guardDutySeverity } from './severity.ts';
import type { NormalisedFinding } from './types.ts';

function identityOf(finding: GuardDutyFinding, partition: Partition): Mapped | null {
  const details = finding.resource.accessKeyDetails;
  if (details?.userName === undefined) return null;
  return iamIdentityResource(partition, finding.accountId, details.userType, details.userName);
}

function kubernetesOf(finding: GuardDutyFinding, partition: Partition): Mapped[] {
  const { eksClusterDetails, kubernetesDetails, instanceDetails } = finding.resource;
  const workload = kubernetesDetails?.kubernetesWorkloadDetails;
  const cluster = eksClusterDetails?.name;
  const mapped: Mapped[] = [];
  if (cluster === undefined) mapped.push({ reason: 'the finding names no EKS cluster (resource.eksClusterDetails.name)' });
  else if (workload?.name === undefined || workload.namespace === undefined || workload.type === undefined) {
    mapped.push({ reason: 'the finding names no Kubernetes workload (resource.kubernetesDetails.kubernetesWorkloadDetails name, type and namespace)' });
  } else mapped.push(kubernetesWorkloadResource(cluster, workload.namespace, workload.type, workload.name));
  // Runtime findings on EKS also name the node the pod ran on.
  if (instanceDetails?.instanceId !== undefined) mapped.push(ec2InstanceResource(partition, finding.region, finding.accountId, instanceDetails.instanceId));
  return mapped;
}

function resourcesOf(finding: GuardDutyFinding, partition: Partition): Mapped[] {
  const { resource } = finding;
  switch (resource.resourceType) {
    case 'AccessKey':
      return [identityOf(finding, partition) ?? { reason: 'an AccessKey finding without resource.accessKeyDetails.userName' }];
    case 'Instance': {
      const instanceId = resource.instanceDetails?.instanceId;
      if (instanceId === undefined) return [{ reason: 'an Instance finding without resource.instanceDetails.instanceId' }];
      return [ec2InstanceResource(partition, finding.region, finding.accountId, instanceId)];
    }
    case 'S3Bucket': {
      const buckets: Mapped[] = (resource.s3BucketDetails ?? []).flatMap((bucket) =>
        bucket.name === undefined ? [] : [s3BucketResource(partition, bucket.name, finding.accountId, finding.region)],
      );
      if (buckets.length === 0) buckets.push({ reason: 'an S3Bucket finding without resource.s3BucketDetails[].name' });
      const caller = identityOf(finding, partition);
      return caller === null ? buckets : [...buckets, caller];
    }
    case 'EKSCluster':
      return kubernetesOf(finding, partition);
    case 'RDSDBInstance': {
      const identifier = resource.rdsDbInstanceDetails?.dbInstanceIdentifier;
      if (identifier === undefined) return [{ reason: 'an RDSDBInstance finding without resource.rdsDbInstanceDetails.dbInstanceIdentifier' }];
      return [rdsInstanceResource(partition, finding.region, finding.accountId, identifier)];
    }
    default:
      return [{ reason: `GuardDuty resource type ${resource.resourceType} names nothing an action takes` }];
  }
}

/** `additionalInfo.sample` in events; in GetFindings, `sample` inside AdditionalInfo.Value's JSON text. */
function isSample(finding: GuardDutyFinding, at: readonly PropertyKey[], rename: (path: readonly PropertyKey[]) => readonly PropertyKey[]): boolean {
  const info = finding.service?.additionalInfo;
  if (info?.sample === true) return true;
  if (info?.value === undefined) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(info.value);
  } catch {
    const path = formatPath([...at, ...rename(['service', 'additionalInfo', 'value'])]);
    throw new InvalidFindingError([{ path, message: 'must be the finding\'s additional information as JSON text' }]);
  }
  return typeof parsed === 'object' && parsed !== null && Object.hasOwn(parsed, 'sample') && (parsed as { sample: unknown }).sample === true;
}

/** The partition of the finding's ARN, else its `partition` field, else its region's. */
function partitionOf(finding: GuardDutyFinding): Partition {
  const fromArn = finding.arn === undefined ? null : parseArn(finding.arn);
  return fromArn?.partition ?? finding.partition ?? partitionOfRegion(finding.region);
}

/** Normalises one GuardDuty finding found at `at` in the body; InvalidFindingError names any bad field. */
export function normaliseGuardDutyFinding(detail: unknown, at: readonly PropertyKey[]): NormalisedFinding {
  const pascal = isPascalCaseFinding(detail);
  const rename = pascal ? (path: readonly PropertyKey[]) => originalPath(detail, path) : (path: readonly PropertyKey[]) => path;
  const finding = parsePart(guardDutyFindingSchema, pascal ? camelCaseKeys(detail, at) : detail, at, rename);
  const partition = partitionOf(finding);
  const { resources, reasons } = collect(resourcesOf(finding, partition));
  const archived = finding.service?.archived === true;
  return {
    source: 'guardduty',
    findingId: finding.id,
    findingType: finding.type,
    types: [finding.type],
    severity: guardDutySeverity(finding.severity),
    sourceSeverity: String(finding.severity),
    accountId: finding.accountId,
    region: finding.region,
    partition,
    productName: 'GuardDuty',
    workflow: archived ? 'suppressed' : 'active',
    workflowReason: archived ? 'archived in GuardDuty (service.archived is true)' : null,
    sample: isSample(finding, at, rename),
    resourceRole: finding.service?.resourceRole === 'ACTOR' || finding.service?.resourceRole === 'TARGET' ? finding.service.resourceRole : null,
    updateCount: finding.service?.count ?? null,
    updatedAt: finding.updatedAt ?? finding.service?.eventLastSeen ?? null,
    resource: resources[0] ?? null,
    resources,
    unmappedReason: resources.length > 0 ? null : reasons.join('; '),
  };
}
