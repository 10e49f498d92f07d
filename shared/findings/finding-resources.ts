/**
 * Resources named by a finding, built with the catalogue's own key functions and checked with the
 * catalogue's own input schemas, so a resource here has the key an action record on it will have
 * and inputs the action's validation accepts. A value that cannot name a resource (a bucket name
 * breaking S3's rules, a cluster name that is no DNS label) gives a reason instead: the rule's
 * decision is then `unmapped`, saying it.
 */
import type * as z from 'zod';
import { checkResourceArn, isAccountId, isRegion, parseArn, resourceKindOfArn } from '#shared/catalogue/arn.ts';
import type { AwsResourceKind, Partition } from '#shared/catalogue/arn.ts';
import {
  containerId as containerIdSchema,
  hostId as hostIdSchema,
  kubernetesClusterName,
  kubernetesNamespaceName,
  kubernetesPodName,
  kubernetesWorkloadName,
  pathAbsolute,
  processId as processIdSchema,
} from '#shared/catalogue/fields.ts';
import {
  awsResource,
  containerResource,
  fileResource,
  hostResource,
  kubernetesResource,
} from '#shared/catalogue/resource-keys.ts';
import type { KubernetesKind } from '#shared/catalogue/resource-keys.ts';
import { quote } from '#shared/catalogue/validate.ts';
import type { FindingInputs, FindingResource } from './types.ts';

export type Mapped = { readonly resource: FindingResource; readonly reason?: never } | { readonly resource?: never; readonly reason: string };

const actedOnKinds: readonly AwsResourceKind[] = ['aws.iam.user', 'aws.iam.role', 'aws.s3.bucket', 'aws.rds.db-instance', 'aws.ec2.instance'];

/** Why `value` is not a valid `name` input, or null when the catalogue's schema accepts it. */
function inputProblem(name: string, schema: z.ZodType, value: unknown): string | null {
  const parsed = schema.safeParse(value);
  if (parsed.success) return null;
  const shown = typeof value === 'string' ? quote(value) : String(value);
  return `${name} ${shown} ${parsed.error.issues[0]?.message ?? 'is not valid'}`;
}

function firstProblem(checks: readonly (readonly [string, z.ZodType, unknown])[]): string | null {
  for (const [name, schema, value] of checks) {
    const problem = inputProblem(name, schema, value);
    if (problem !== null) return problem;
  }
  return null;
}

/**
 * The resource an ARN names, if it is one the catalogue acts on and is in the finding's account
 * (`where.accountId`). An S3 bucket's inputs add the account and region its ARN lacks
 * (make-cloud-resource-private needs them), when they are known.
 */
export function arnResource(arn: string, where: { readonly accountId: string | null; readonly region: string | null }): Mapped {
  const problem = checkResourceArn(arn, actedOnKinds);
  if (problem !== null) return { reason: `aws.resource.arn ${quote(arn)} ${problem}` };
  const parsed = parseArn(arn);
  // A finding's source vouches only for its own account: Resources[].Id is free text a member account's import may aim elsewhere.
  if (parsed !== null && parsed.accountId !== '' && parsed.accountId !== where.accountId) {
    return { reason: `aws.resource.arn ${quote(arn)} is in account ${parsed.accountId}, not the finding's account ${quote(where.accountId ?? '(none)')}` };
  }
  const kind = parsed === null ? null : resourceKindOfArn(parsed).kind;
  const inputs: Record<string, string> = { 'aws.resource.arn': arn };
  if (kind === 'aws.s3.bucket') {
    if (where.accountId !== null && isAccountId(where.accountId)) inputs['aws.account.id'] = where.accountId;
    if (where.region !== null && isRegion(where.region)) inputs['aws.region'] = where.region;
  }
  return { resource: { ...awsResource(arn), inputs } };
}

/** IAM names as IAM allows them (letters, digits, `+=,.@_-`, 1–64); checked again by arnResource. */
const iamName = /^[\w+=,.@-]{1,64}$/;

/**
 * The IAM identity behind an access key: a user's ARN for `IAMUser`, the role's ARN for
 * `AssumedRole` (GuardDuty names the role in `userName`; its path is not in the finding, and IAM
 * accepts the ARN without it only for roles at `/`). Root and federated users name no resource an
 * action can take.
 */
export function iamIdentityResource(partition: Partition, accountId: string, userType: string | undefined, name: string): Mapped {
  if (!iamName.test(name)) return { reason: `the IAM name ${quote(name)} is not a valid IAM user or role name` };
  switch (userType ?? 'IAMUser') {
    case 'IAMUser':
      return arnResource(`arn:${partition}:iam::${accountId}:user/${name}`, { accountId, region: null });
    case 'AssumedRole':
    case 'Role':
      return arnResource(`arn:${partition}:iam::${accountId}:role/${name}`, { accountId, region: null });
    default:
      return { reason: `the identity is of type ${quote(userType ?? '')}, which no action quarantines (only IAM users and roles)` };
  }
}

export function ec2InstanceResource(partition: Partition, region: string, accountId: string, instanceId: string): Mapped {
  return arnResource(`arn:${partition}:ec2:${region}:${accountId}:instance/${instanceId}`, { accountId, region });
}

export function s3BucketResource(partition: Partition, bucket: string, accountId: string | null, region: string | null): Mapped {
  return arnResource(`arn:${partition}:s3:::${bucket}`, { accountId, region });
}

export function rdsInstanceResource(partition: Partition, region: string, accountId: string, identifier: string): Mapped {
  return arnResource(`arn:${partition}:rds:${region}:${accountId}:db:${identifier}`, { accountId, region });
}

const workloadKinds: Readonly<Record<string, KubernetesKind>> = {
  pod: 'pod',
  deployment: 'deployment',
  statefulset: 'statefulset',
  daemonset: 'daemonset',
  replicaset: 'replicaset',
};

/**
 * A pod (inputs `kubernetes.pod.name`) or a workload (`kubernetes.workload.name` and `.type`),
 * from a type as GuardDuty writes it (`pods`, `deployments`, `Deployment`, `DAEMONSETS`, ...).
 */
export function kubernetesWorkloadResource(cluster: string, namespace: string, workloadType: string, name: string): Mapped {
  const singular = workloadType.toLowerCase().replace(/s$/, '');
  const kind = workloadKinds[singular];
  if (kind === undefined) {
    return { reason: `the Kubernetes workload type ${quote(workloadType)} is not one an action takes (pods, deployments, statefulsets, daemonsets, replicasets)` };
  }
  const isPod = kind === 'pod';
  const problem = firstProblem([
    ['kubernetes.cluster.name', kubernetesClusterName, cluster],
    ['kubernetes.namespace.name', kubernetesNamespaceName, namespace],
    [isPod ? 'kubernetes.pod.name' : 'kubernetes.workload.name', isPod ? kubernetesPodName : kubernetesWorkloadName, name],
  ]);
  if (problem !== null) return { reason: problem };
  const inputs: FindingInputs = isPod
    ? { 'kubernetes.cluster.name': cluster, 'kubernetes.namespace.name': namespace, 'kubernetes.pod.name': name }
    : { 'kubernetes.cluster.name': cluster, 'kubernetes.namespace.name': namespace, 'kubernetes.workload.name': name, 'kubernetes.workload.type': kind };
  return { resource: { ...kubernetesResource(cluster, namespace, kind, name), inputs } };
}

export interface HostActivity {
  readonly hostId: string;
  /** Absent when the activity ran on the host itself (Falco's `container.id` = `host`). */
  readonly containerId?: string;
  readonly processId?: number;
  readonly path?: string;
}

/**
 * What a host alert names: the container (or the host when there is none) with the process in it,
 * then the file, when the alert names an absolute path. A process action's resource is its
 * container when given, else its host (API.md "Resource keys"), so both carry that key.
 */
export function hostActivityResources(activity: HostActivity): { readonly resources: FindingResource[]; readonly reason: string | null } {
  const { hostId, containerId, processId } = activity;
  const problem = firstProblem([
    ['host.id', hostIdSchema, hostId],
    ...(containerId === undefined ? [] : [['container.id', containerIdSchema, containerId] as const]),
    ...(processId === undefined ? [] : [['process.id', processIdSchema, processId] as const]),
  ]);
  if (problem !== null) return { resources: [], reason: problem };
  const inputs: Record<string, string | number> = { 'host.id': hostId };
  if (containerId !== undefined) inputs['container.id'] = containerId;
  if (processId !== undefined) inputs['process.id'] = processId;
  const owner = containerId === undefined ? hostResource(hostId) : containerResource(hostId, containerId);
  const resources: FindingResource[] = [{ ...owner, inputs }];
  // A file descriptor's name is a path only for files: sockets and pipes are skipped, not refused.
  if (activity.path !== undefined && inputProblem('path.absolute', pathAbsolute, activity.path) === null) {
    const fileInputs: Record<string, string> = { 'host.id': hostId, 'path.absolute': activity.path };
    if (containerId !== undefined) fileInputs['container.id'] = containerId;
    resources.push({ ...fileResource(hostId, activity.path, containerId), inputs: fileInputs });
  }
  return { resources, reason: null };
}

/** The mapped resources in order, and the reasons of the ones that could not be mapped. */
export function collect(mapped: readonly Mapped[]): { readonly resources: FindingResource[]; readonly reasons: string[] } {
  const resources: FindingResource[] = [];
  const reasons: string[] = [];
  const seen = new Set<string>();
  for (const each of mapped) {
    if (each.resource !== undefined) {
      if (!seen.has(each.resource.key)) resources.push(each.resource);
      seen.add(each.resource.key);
    } else reasons.push(each.reason);
  }
  return { resources, reasons };
}
