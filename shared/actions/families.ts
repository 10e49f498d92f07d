/**
 * Which family's state machine runs each cloud action type, and what each family's deployment
 * needs. Plain data, so the API (which only starts executions) and the CDK app need none of the
 * families' SDK clients; each family's file lists the same types in its `actions`.
 */
export interface CloudActionFamilyDeployment {
  /** Family name: key of its state machine in CLOUD_ACTION_STATE_MACHINES. */
  readonly name: string;
  /** The Lambda entry point of its steps, relative to the repository root. */
  readonly entry: string;
  readonly types: readonly string[];
  /**
   * What the member role in each target account must allow for this family. `resources` may use
   * `${Partition}` and `${AWS::AccountId}`; conditions narrow further where IAM allows.
   */
  readonly memberPermissions: readonly {
    readonly actions: readonly string[];
    readonly resources: readonly string[];
    readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  }[];
  /** Whether the family's function writes evidence objects (needs the evidence bucket). */
  readonly writesEvidence?: boolean;
}

export const cloudActionFamilyDeployments: readonly CloudActionFamilyDeployment[] = [
  {
    name: 'iam',
    entry: 'functions/steps/iam-action.ts',
    types: ['iam-quarantine', 'iam-unquarantine'],
    memberPermissions: [
      {
        actions: ['iam:GetUser', 'iam:GetRole', 'iam:ListAttachedUserPolicies', 'iam:ListAttachedRolePolicies', 'iam:ListUserPolicies', 'iam:ListRolePolicies'],
        resources: ['arn:${Partition}:iam::${AWS::AccountId}:user/*', 'arn:${Partition}:iam::${AWS::AccountId}:role/*'],
      },
      {
        // Only AWSDenyAll may ever be attached or detached.
        actions: ['iam:AttachUserPolicy', 'iam:AttachRolePolicy', 'iam:DetachUserPolicy', 'iam:DetachRolePolicy'],
        resources: ['arn:${Partition}:iam::${AWS::AccountId}:user/*', 'arn:${Partition}:iam::${AWS::AccountId}:role/*'],
        conditions: { ArnEquals: { 'iam:PolicyARN': 'arn:${Partition}:iam::aws:policy/AWSDenyAll' } },
      },
    ],
  },
  {
    name: 'private',
    entry: 'functions/steps/make-private-action.ts',
    types: ['make-cloud-resource-private', 'undo-make-cloud-resource-private'],
    memberPermissions: [
      {
        // Bucket ARNs carry no account: aws:ResourceAccount keeps these to this account's buckets (the
        // code also sends ExpectedBucketOwner). DeletePublicAccessBlock is authorized by s3:PutBucketPublicAccessBlock.
        actions: ['s3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock', 's3:GetBucketPolicyStatus', 's3:GetBucketAcl'],
        resources: ['arn:${Partition}:s3:::*'],
        conditions: { StringEquals: { 'aws:ResourceAccount': '${AWS::AccountId}' } },
      },
      {
        // IAM has no condition key for PubliclyAccessible; the code only ever sends it and ApplyImmediately.
        actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
        resources: ['arn:${Partition}:rds:*:${AWS::AccountId}:db:*'],
      },
    ],
  },
  {
    name: 'iam-sessions',
    entry: 'functions/steps/iam-sessions-action.ts',
    types: ['revoke-iam-role-sessions', 'restore-iam-role-sessions'],
    memberPermissions: [
      {
        actions: ['iam:GetRole', 'iam:GetRolePolicy'],
        resources: ['arn:${Partition}:iam::${AWS::AccountId}:role/*'],
      },
      {
        // Only ever the ResponseActionsRevokeOlderSessions inline policy: IAM has no condition key for an
        // inline policy's name, so the name is fixed in code and protected roles are refused before any call.
        actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        resources: ['arn:${Partition}:iam::${AWS::AccountId}:role/*'],
      },
    ],
  },
  {
    name: 'iam-access-keys',
    entry: 'functions/steps/iam-access-keys-action.ts',
    types: ['deactivate-access-keys', 'reactivate-access-keys'],
    memberPermissions: [
      {
        actions: ['iam:GetUser', 'iam:ListAccessKeys', 'iam:UpdateAccessKey'],
        resources: ['arn:${Partition}:iam::${AWS::AccountId}:user/*'],
      },
    ],
  },
  {
    name: 'cloudtrail',
    entry: 'functions/steps/cloudtrail-action.ts',
    types: ['fetch-cloud-logs'],
    memberPermissions: [
      // LookupEvents supports no resource-level permissions: Resource must be "*".
      { actions: ['cloudtrail:LookupEvents'], resources: ['*'] },
    ],
    writesEvidence: true,
  },
];

export const cloudActionFamilyOfType: Readonly<Record<string, string>> = Object.fromEntries(
  cloudActionFamilyDeployments.flatMap((family) => family.types.map((type) => [type, family.name])),
);

/** The family that runs `type`, or undefined when no cloud family implements it yet. */
export function cloudActionFamilyOf(type: string): string | undefined {
  return Object.hasOwn(cloudActionFamilyOfType, type) ? cloudActionFamilyOfType[type] : undefined;
}
