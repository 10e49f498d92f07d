/**
 * Reusable schemas of the catalogue's inputs, one per input name. Every issue a field
 * raises carries a sentence that follows the input's name ("inputs.network.port must be
 * a whole number from 1 to 65535"), so the validator never shows zod's default wording.
 */
import { isIPv4, isIPv6 } from 'node:net';
import * as z from 'zod';
import { checkResourceArn, expectedArn, isAccountId, isRegion, isS3BucketName, parseArn } from './arn.ts';
import type { AwsResourceKind } from './arn.ts';

interface TextRules {
  /** The sentence for every way the value can be wrong. */
  readonly message: string;
  readonly description: string;
  readonly pattern: RegExp;
  readonly maxLength: number;
  /** A rule a regular expression cannot say (S3 bucket names, calendar dates, CIDR prefixes). */
  readonly valid?: (value: string) => boolean;
}

/** A string input with one message for every way it can be wrong. */
function text(rules: TextRules) {
  const error = rules.message;
  const schema = z.string({ error }).min(1, { error }).max(rules.maxLength, { error }).regex(rules.pattern, { error });
  const { valid } = rules;
  return (valid === undefined ? schema : schema.refine(valid, { error })).meta({ description: rules.description });
}

/** Reports every entry that appears more than once (the arrays are at most a few dozen long). */
function uniqueEntries(noun: string) {
  return (values: readonly string[], context: z.RefinementCtx) => {
    const seen = new Set<string>();
    const reported = new Set<string>();
    for (const value of values) {
      if (seen.has(value) && !reported.has(value)) {
        reported.add(value);
        context.addIssue({ code: 'custom', message: `lists ${value} more than once; give each ${noun} once` });
      }
      seen.add(value);
    }
  };
}

// ---- Hosts, containers, processes, files -------------------------------------------

export const hostId = text({
  message: "must be 1 to 253 characters of letters, digits, '.', '_', ':' and '-' (the host id its responder registered)",
  description: "The host's id as its responder registered it (the machine's hostname for the local responder).",
  pattern: /^[A-Za-z0-9._:-]+$/,
  maxLength: 253,
});

export const containerId = text({
  message: "must be a container id: 1 to 128 characters of letters, digits, '_', '.' and '-'",
  description: 'The container id as the container runtime reports it (full or unique prefix).',
  pattern: /^[A-Za-z0-9_.-]+$/,
  maxLength: 128,
});

export const containerName = text({
  message: "must be a container name: a letter or digit, then letters, digits, '_', '.' or '-', at most 128 characters",
  description: 'The container name as the container runtime reports it.',
  pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
  maxLength: 128,
});

const pidMessage = 'must be a whole number from 1 to 2147483647 (a JSON number, not a string)';
export const processId = z
  .int({ error: pidMessage })
  .min(1, { error: pidMessage })
  .max(2_147_483_647, { error: pidMessage })
  .meta({ description: 'The process id as the host sees it (not the PID inside a container namespace).' });

/** RFC 3339 date-time with seconds and a zone (`Z` or `±hh:mm`); upper-case `T` and `Z` only. */
const rfc3339Pattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * True for an RFC 3339 timestamp with a zone, on a real calendar day. Leap seconds (`:60`)
 * are refused: JavaScript dates cannot represent them, and no log window needs one.
 */
export function isRfc3339(value: string): boolean {
  const match = rfc3339Pattern.exec(value);
  if (match === null) return false;
  // Unmatched groups (the offset of a `Z` time) are undefined, read as 0.
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] = match
    .slice(1)
    .map((part: string | undefined) => Number(part ?? '0'));
  if (month < 1 || month > 12 || day < 1) return false;
  const leapYear = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leapYear ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day > daysInMonth || hour > 23 || minute > 59 || second > 59) return false;
  return offsetHour <= 23 && offsetMinute <= 59 && !Number.isNaN(Date.parse(value));
}

const timestampMessage = 'must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-20T10:00:00Z or 2026-11-20T11:00:00+01:00';
function timestamp(description: string) {
  return text({ message: timestampMessage, description, pattern: rfc3339Pattern, maxLength: 40, valid: isRfc3339 }).meta({
    description,
    format: 'date-time',
  });
}

export const processStartTime = timestamp(
  "When the process started (RFC 3339); the kill is refused unless it matches the process's start within one second.",
);

const pathMessage = "must be an absolute path: it starts with '/', has at most 4096 characters, and has no NUL character, no empty ('//'), '.' or '..' segments and no trailing '/'";
/** Why an absolute path is unusable, or null; the path must name one file without any resolving. */
function pathProblem(path: string): string | null {
  if (!path.startsWith('/')) return "must be an absolute path starting with '/'";
  if (path.length > 4096) return 'must be at most 4096 characters long';
  if (path.includes('\0')) return 'must not contain a NUL character';
  if (path === '/') return "must name a file below '/', not '/' itself";
  const segments = path.slice(1).split('/');
  if (segments.at(-1) === '') return "must not end with '/'";
  if (segments.includes('')) return "must not contain empty segments ('//')";
  if (segments.some((segment) => segment === '.' || segment === '..')) return "must not contain '.' or '..' segments; give the resolved path";
  return null;
}
export const pathAbsolute = z
  .string({ error: pathMessage })
  .superRefine((path, context) => {
    const problem = pathProblem(path);
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  })
  .meta({
    description: "The file's absolute path; with container.id, the path inside that container's filesystem.",
    pattern: '^/',
    maxLength: 4096,
  });

// ---- AWS -----------------------------------------------------------------------------

export const s3Bucket = text({
  message: "must be an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit, without '..', not an IP address",
  description: 'The S3 bucket to write the evidence to (the service evidence bucket when absent).',
  pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  maxLength: 63,
  valid: isS3BucketName,
});

export const awsAccountId = text({
  message: 'must be a 12-digit AWS account id as a string, e.g. "123456789012"',
  description: 'The 12-digit AWS account id.',
  pattern: /^\d{12}$/,
  maxLength: 12,
  valid: isAccountId,
});

export const awsRegion = text({
  message: 'must be an AWS region code such as us-east-1, us-gov-west-1 or cn-north-1',
  description: 'The AWS region code, e.g. eu-west-1.',
  pattern: /^[a-z0-9-]+$/,
  maxLength: 20,
  valid: isRegion,
});

/** `aws.resource.arn` limited to the kinds an action acts on; the message names what was given. */
export function awsResourceArn(kinds: readonly AwsResourceKind[], description: string) {
  const expected = expectedArn(kinds);
  return z
    .string({ error: expected })
    .max(2048, { error: `${expected}; this one is longer than 2048 characters` })
    .superRefine((value, context) => {
      if (value.length > 2048) return;
      const problem = checkResourceArn(value, kinds);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem });
    })
    .meta({ description, pattern: '^arn:(aws|aws-cn|aws-us-gov):' });
}

const identityArnMessage =
  'must be the ARN of an IAM or STS identity, e.g. arn:aws:iam::123456789012:user/name or arn:aws:sts::123456789012:assumed-role/role-name/session-name';
export const ctUserArn = text({
  message: identityArnMessage,
  description: "The ARN CloudTrail records as the identity's userIdentity.arn.",
  pattern: /^arn:/,
  maxLength: 2048,
  valid: (value) => {
    const arn = parseArn(value);
    return arn !== null && (arn.service === 'iam' || arn.service === 'sts');
  },
});

export const ctUser = text({
  message: 'must be the user name CloudTrail records: 1 to 128 characters without spaces or control characters',
  description: 'The user name CloudTrail records for the identity (its Username lookup attribute).',
  pattern: /^[^\s\p{Cc}]+$/u,
  maxLength: 128,
});

/** CloudTrail's `userIdentity.type` values. */
export const cloudTrailIdentityTypes = [
  'Root',
  'IAMUser',
  'AssumedRole',
  'Role',
  'FederatedUser',
  'AWSAccount',
  'AWSService',
  'IdentityCenterUser',
  'Directory',
  'SAMLUser',
  'WebIdentityUser',
  'Unknown',
] as const;

export const ctUserIdentityType = z
  .enum(cloudTrailIdentityTypes, { error: `must be one of CloudTrail's userIdentity types: ${cloudTrailIdentityTypes.join(', ')}` })
  .meta({ description: "Narrows the events to this CloudTrail userIdentity.type." });

export const fromTimestamp = timestamp('Start of the CloudTrail window (RFC 3339); at most 90 days ago.');
export const toTimestamp = timestamp('End of the CloudTrail window (RFC 3339); after fromTimestamp and not in the future.');

const ebsSnapshotIdMessage = 'must be an EBS snapshot id: snap- and 8 or 17 lower-case hex digits';
export const awsEbsSnapshotIds = z
  .array(text({ message: ebsSnapshotIdMessage, description: 'An EBS snapshot id.', pattern: /^snap-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, maxLength: 22 }), {
    error: 'must be a list of EBS snapshot ids, e.g. ["snap-0123456789abcdef0"]',
  })
  .min(1, { error: 'must list at least one EBS snapshot id (leave it out to delete every snapshot the action took)' })
  .max(128, { error: 'must list at most 128 EBS snapshot ids' })
  .superRefine(uniqueEntries('snapshot id'))
  .meta({ description: 'The EBS snapshots to delete; all the snapshot action took when absent.', uniqueItems: true });

// ---- Kubernetes ------------------------------------------------------------------------

const labelMessage = "must be a DNS-1123 label: 1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit";
const dns1123Label = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const subdomainMessage =
  "must be a DNS-1123 subdomain: at most 253 lower-case letters, digits, '-' and '.', each '.'-separated part starting and ending with a letter or digit";
const dns1123Subdomain = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

function kubernetesLabel(description: string) {
  return text({ message: labelMessage, description, pattern: dns1123Label, maxLength: 63 });
}
function kubernetesSubdomain(description: string) {
  return text({ message: subdomainMessage, description, pattern: dns1123Subdomain, maxLength: 253 });
}

export const kubernetesClusterName = kubernetesLabel('The cluster, as its responder registered it.');
export const kubernetesNamespaceName = kubernetesLabel('The namespace.');
export const kubernetesPodName = kubernetesSubdomain('The pod.');
export const kubernetesWorkloadName = kubernetesSubdomain('The workload (deployment, statefulset, ...).');
export const kubernetesNetworkPolicyName = kubernetesSubdomain('The NetworkPolicy to delete.');
export const kubernetesNodeName = kubernetesSubdomain('The node (its metadata.name, e.g. ip-10-0-12-34.eu-west-1.compute.internal).');
export const kubernetesContainerName = kubernetesLabel("One container of the pod (the pod's default container when absent).");

export const kubernetesWorkloadTypes = ['deployment', 'statefulset', 'daemonset', 'replicaset'] as const;
export type KubernetesWorkloadType = (typeof kubernetesWorkloadTypes)[number];

/** `kubernetes.workload.type`, limited to the kinds an action can act on (a ReplicaSet cannot roll). */
export function kubernetesWorkloadType(allowed: readonly [KubernetesWorkloadType, ...KubernetesWorkloadType[]]) {
  return z
    .enum(allowed, { error: `must be one of ${allowed.join(', ')} (lower-case)` })
    .meta({ description: 'The kind of the workload, lower-case.' });
}

const replicasMessage = 'must be a whole number from 0 to 10000';
export const kubernetesWorkloadReplicas = z
  .int({ error: replicasMessage })
  .min(0, { error: replicasMessage })
  .max(10_000, { error: replicasMessage })
  .default(0)
  .meta({ description: 'The replica count to scale to; 0 when absent (a daemonset only takes 0).' });

/** A name or a non-empty list of up to 50 unique names (PVCs, volume snapshots). */
function kubernetesNames(noun: string, description: string) {
  const name = kubernetesSubdomain(`One ${noun}.`);
  return z
    .union(
      [
        name,
        z
          .array(name)
          .min(1, { error: `must list at least one ${noun}` })
          .max(50, { error: `must list at most 50 ${noun}s` })
          .superRefine(uniqueEntries(noun))
          .meta({ uniqueItems: true }),
      ],
      { error: `must be a ${noun} or a list of 1 to 50 of them; each ${subdomainMessage.slice('must be '.length)}` },
    )
    .meta({ description });
}

export const kubernetesPersistentVolumeClaimNames = kubernetesNames(
  'PVC name',
  'The PersistentVolumeClaim to snapshot, or a list of them.',
);
export const kubernetesVolumeSnapshotNames = kubernetesNames('VolumeSnapshot name', 'The VolumeSnapshot to delete, or a list of them.');

export const allContainers = z
  .boolean({ error: 'must be true or false' })
  .meta({ description: "Every container of the pod (Kubernetes form only; not with kubernetes.container.name)." });
export const previous = z
  .boolean({ error: 'must be true or false' })
  .meta({ description: "The logs of the previous instance of the container, e.g. before it crashed and restarted." });

// ---- Network exceptions -------------------------------------------------------------

export const networkDirection = z
  .enum(['INGRESS', 'EGRESS'], { error: 'must be INGRESS or EGRESS (leave it out to isolate both directions)' })
  .meta({ description: 'The direction to isolate; both when absent.' });

export const networkProtocol = z
  .enum(['TCP', 'UDP', 'SCTP'], { error: 'must be TCP, UDP or SCTP' })
  .meta({ description: 'Protocol of the allowed exception.' });

/**
 * An IPv4 or IPv6 CIDR. Host bits may be set (10.1.2.3/8 means 10.0.0.0/8, as Kubernetes
 * reads it); anything else malformed (octets over 255, leading zeros, a prefix out of range,
 * a zone index) is refused.
 */
export function isCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash === -1) return false;
  const address = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  if (!/^(?:0|[1-9]\d{0,2})$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (isIPv4(address)) return bits <= 32;
  if (isIPv6(address) && !address.includes('%')) return bits <= 128;
  return false;
}

export const networkCidr = text({
  message: 'must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or 2001:db8::/32',
  description: 'Peer address range of the allowed exception.',
  pattern: /^[0-9A-Fa-f.:]+\/\d{1,3}$/,
  maxLength: 49,
  valid: isCidr,
});

const portMessage = 'must be a whole number from 1 to 65535';
export const networkPort = z
  .int({ error: portMessage })
  .min(1, { error: portMessage })
  .max(65_535, { error: portMessage })
  .meta({ description: 'Port of the allowed exception; needs network.protocol.' });
