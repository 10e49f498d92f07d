/**
 * ARN parsing and the AWS resource kinds the catalogue's actions accept.
 *
 * `arn:partition:service:region:account-id:resource`, where the resource is
 * `type/name`, `type:name` or (S3 buckets and objects) an untyped name.
 */

/** The partitions this service acts in; the ISO partitions are out of scope. */
export const partitions = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof partitions)[number];

/** An ARN taken apart; empty strings where the ARN leaves a part out (S3: region and account). */
export interface Arn {
  readonly partition: Partition;
  readonly service: string;
  readonly region: string;
  readonly accountId: string;
  /** Everything after the fifth colon. */
  readonly resource: string;
  /** The part before the first `/` or `:` of the resource, or null when it is untyped (S3 buckets and objects). */
  readonly resourceType: string | null;
  /** The resource without its type (IAM: `path/name`; EC2: `i-...`; S3: `bucket` or `bucket/key`). */
  readonly resourceName: string;
}

const accountIdPattern = /^\d{12}$/;
/** Commercial, China and GovCloud region codes: us-east-1, cn-north-1, us-gov-west-1, ap-southeast-7, ... */
const regionPattern = /^(?:[a-z]{2}|us-gov)-(?:central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9]\d?$/;
const servicePattern = /^[a-z0-9][a-z0-9-]*$/;
/** Printable, no whitespace: an ARN never contains spaces or control characters. */
const resourcePattern = /^[\x21-\x7e]+$/;

export function isAccountId(value: string): boolean {
  return accountIdPattern.test(value);
}

export function isRegion(value: string): boolean {
  return regionPattern.test(value);
}

function isPartition(value: string): value is Partition {
  return (partitions as readonly string[]).includes(value);
}

/** The partition a region belongs to, from its code (cn-* is China, us-gov-* is GovCloud). */
export function partitionOfRegion(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * Takes an ARN apart; null when it is not a well-formed ARN of a supported partition.
 * Only the general shape is checked here; `checkResourceArn` judges whether it names a
 * resource of a given kind.
 */
export function parseArn(arn: string): Arn | null {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, partition = '', service = '', region = '', accountId = ''] = parts;
  const resource = parts.slice(5).join(':');
  if (!isPartition(partition)) return null;
  if (!servicePattern.test(service)) return null;
  if (region !== '' && !isRegion(region)) return null;
  // `aws` is the account of AWS managed policies (arn:aws:iam::aws:policy/...).
  if (accountId !== '' && accountId !== 'aws' && !isAccountId(accountId)) return null;
  if (!resourcePattern.test(resource)) return null;
  // S3 bucket and object ARNs have no region, no account and no resource type.
  if (service === 's3' && accountId === '') {
    return { partition, service, region, accountId, resource, resourceType: null, resourceName: resource };
  }
  const separator = resource.search(/[/:]/);
  if (separator === -1) {
    return { partition, service, region, accountId, resource, resourceType: null, resourceName: resource };
  }
  return {
    partition,
    service,
    region,
    accountId,
    resource,
    resourceType: resource.slice(0, separator),
    resourceName: resource.slice(separator + 1),
  };
}

/** The AWS resource kinds the catalogue's actions act on (also the records' `resource.kind`). */
export const awsResourceKinds = [
  'aws.iam.user',
  'aws.iam.role',
  'aws.s3.bucket',
  'aws.rds.db-instance',
  'aws.ec2.instance',
] as const;
export type AwsResourceKind = (typeof awsResourceKinds)[number];

const kindLabels: Readonly<Record<AwsResourceKind, string>> = {
  'aws.iam.user': 'an IAM user',
  'aws.iam.role': 'an IAM role',
  'aws.s3.bucket': 'an S3 bucket',
  'aws.rds.db-instance': 'an RDS DB instance',
  'aws.ec2.instance': 'an EC2 instance',
};

const kindExamples: Readonly<Record<AwsResourceKind, string>> = {
  'aws.iam.user': 'arn:aws:iam::123456789012:user/name',
  'aws.iam.role': 'arn:aws:iam::123456789012:role/name',
  'aws.s3.bucket': 'arn:aws:s3:::bucket-name',
  'aws.rds.db-instance': 'arn:aws:rds:eu-west-1:123456789012:db:name',
  'aws.ec2.instance': 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0',
};

/** IAM names: up to 64 of letters, digits and `+=,.@_-`; a path is `/`-separated printable segments. */
const iamResourcePattern = /^(user|role)((?:\/[\x21-\x2e\x30-\x7e]+)*)\/([\w+=,.@-]{1,64})$/;
/** An RDS DB instance identifier: a letter, then letters, digits and single hyphens, at most 63, no trailing hyphen. */
const rdsInstancePattern = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$/;
const ec2InstancePattern = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * What the ARN names, as one of the catalogue's kinds, or a sentence saying why it
 * is not one (a malformed ARN of a known service, e.g. an IAM ARN with a region).
 */
export function resourceKindOfArn(arn: Arn): { readonly kind: AwsResourceKind } | { readonly kind: null; readonly given: string } {
  switch (arn.service) {
    case 'iam': {
      const match = iamResourcePattern.exec(arn.resource);
      const type = match?.[1];
      if (type === undefined) return { kind: null, given: `an IAM ${arn.resourceType ?? 'resource'} ARN` };
      const label = type === 'user' ? 'IAM user' : 'IAM role';
      if (arn.region !== '') return { kind: null, given: `an ${label} ARN with a region (IAM is global: its ARNs have none)` };
      if (!isAccountId(arn.accountId)) return { kind: null, given: `an ${label} ARN without a 12-digit account id` };
      if ((match?.[2]?.length ?? 0) > 510) return { kind: null, given: `an ${label} ARN whose path is longer than 512 characters` };
      return { kind: type === 'user' ? 'aws.iam.user' : 'aws.iam.role' };
    }
    case 's3': {
      if (arn.accountId !== '' || arn.region !== '') return { kind: null, given: `an S3 ${arn.resourceType ?? 'resource'} ARN` };
      if (arn.resource.includes('/')) return { kind: null, given: 'an S3 object ARN (bucket/key)' };
      if (!isS3BucketName(arn.resource)) return { kind: null, given: `an S3 ARN whose bucket name "${arn.resource}" breaks the S3 naming rules` };
      return { kind: 'aws.s3.bucket' };
    }
    case 'rds': {
      if (arn.resourceType !== 'db') return { kind: null, given: `an RDS ${arn.resourceType ?? 'resource'} ARN` };
      if (arn.region === '' || !isAccountId(arn.accountId)) return { kind: null, given: 'an RDS DB instance ARN without a region or 12-digit account id' };
      if (!rdsInstancePattern.test(arn.resourceName)) return { kind: null, given: `an RDS ARN whose DB instance identifier "${arn.resourceName}" is not valid` };
      return { kind: 'aws.rds.db-instance' };
    }
    case 'ec2': {
      if (arn.resourceType !== 'instance') return { kind: null, given: `an EC2 ${arn.resourceType ?? 'resource'} ARN` };
      if (arn.region === '' || !isAccountId(arn.accountId)) return { kind: null, given: 'an EC2 instance ARN without a region or 12-digit account id' };
      if (!ec2InstancePattern.test(arn.resourceName)) return { kind: null, given: `an EC2 ARN whose instance id "${arn.resourceName}" is not i- and 8 or 17 hex digits` };
      return { kind: 'aws.ec2.instance' };
    }
    default:
      return {
        kind: null,
        given: arn.resourceType === null ? `an ARN of service ${arn.service}` : `an ARN of service ${arn.service}, resource type ${arn.resourceType}`,
      };
  }
}

function listLabels(kinds: readonly AwsResourceKind[]): string {
  const labels = kinds.map((kind) => kindLabels[kind]);
  if (labels.length <= 1) return labels.join('');
  return `${labels.slice(0, -1).join(', ')} or ${labels.at(-1) ?? ''}`;
}

/** What an ARN input expects, as a sentence to follow the input's name: "must be the ARN of an IAM role, e.g. ...". */
export function expectedArn(expected: readonly AwsResourceKind[]): string {
  return `must be the ARN of ${listLabels(expected)}, e.g. ${expected.map((kind) => kindExamples[kind]).join(' or ')}`;
}

/**
 * Checks that `value` is the ARN of a resource of one of `expected`'s kinds.
 * Returns null when it is, else a sentence (to follow the input's name) saying what was
 * expected and what was given.
 */
export function checkResourceArn(value: string, expected: readonly AwsResourceKind[]): string | null {
  const arn = parseArn(value);
  if (arn === null) {
    const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
    return `${expectedArn(expected)}; ${JSON.stringify(shown)} is not an ARN (arn:partition:service:region:account-id:resource, partition aws, aws-cn or aws-us-gov)`;
  }
  if (arn.region !== '' && partitionOfRegion(arn.region) !== arn.partition) {
    return `${expectedArn(expected)}; its region ${arn.region} is not in partition ${arn.partition}`;
  }
  const found = resourceKindOfArn(arn);
  if (found.kind !== null && expected.includes(found.kind)) return null;
  const given = found.kind === null ? found.given : `${kindLabels[found.kind]} ARN`;
  return `${expectedArn(expected)}; it is ${given}`;
}

/**
 * S3 general purpose bucket naming rules: 3–63 characters of lower-case letters, digits,
 * dots and hyphens, beginning and ending with a letter or digit, no two adjacent dots,
 * not an IP address, none of the reserved prefixes and suffixes.
 */
export function isS3BucketName(name: string): boolean {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return false;
  if (name.includes('..')) return false;
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return false;
  if (/^(?:xn--|sthree-|amzn-s3-demo-)/.test(name)) return false;
  if (/(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return false;
  return true;
}
