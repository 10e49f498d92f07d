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
  {
    name: 'ec2',
    entry: 'functions/steps/ec2-action.ts',
    types: [
      'cloud-volume-snapshot',
      'undo-cloud-volume-snapshot',
      'isolate-ec2-instance',
      'unisolate-ec2-instance',
      'detach-instance-profile',
      'restore-instance-profile',
    ],
    memberPermissions: [
      {
        // EC2's Describe* calls allow no resource-level scoping.
        actions: ['ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeSecurityGroups', 'ec2:DescribeIamInstanceProfileAssociations'],
        resources: ['*'],
      },
      {
        // detach-instance-profile and restore-instance-profile: an instance's profile off, and exactly that one back.
        actions: ['ec2:DisassociateIamInstanceProfile', 'ec2:AssociateIamInstanceProfile'],
        resources: ['arn:${Partition}:ec2:*:${AWS::AccountId}:instance/*'],
      },
      {
        // Re-associating a profile passes its role, known only at run time: only to EC2, only for an
        // instance of this account. The member-account stack denies PassRole on the member roles and
        // the service's roles to every member role, whatever this allows.
        actions: ['iam:PassRole'],
        resources: ['arn:${Partition}:iam::${AWS::AccountId}:role/*'],
        conditions: {
          StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
          ArnLike: { 'iam:AssociatedResourceArn': 'arn:${Partition}:ec2:*:${AWS::AccountId}:instance/*' },
        },
      },
      {
        // isolate-ec2-instance and its undo read the instance's Auto Scaling group; this call allows no resource-level scoping.
        actions: ['autoscaling:DescribeAutoScalingInstances'],
        resources: ['*'],
      },
      {
        // Standby before isolating and back in service on undo. IAM scopes these only to the group, known
        // only at run time, and has no condition key for the instance; the code names only the target instance.
        actions: ['autoscaling:EnterStandby', 'autoscaling:ExitStandby'],
        resources: ['arn:${Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*'],
      },
      {
        actions: ['ec2:DescribeInstanceAttribute'],
        resources: ['arn:${Partition}:ec2:*:${AWS::AccountId}:instance/*'],
      },
      {
        // CreateSnapshots authorizes the instance and each volume...
        actions: ['ec2:CreateSnapshots'],
        resources: ['arn:${Partition}:ec2:*:${AWS::AccountId}:instance/*', 'arn:${Partition}:ec2:*:${AWS::AccountId}:volume/*'],
      },
      {
        // ...and each new snapshot, which must be created carrying the action-id tag.
        actions: ['ec2:CreateSnapshots'],
        resources: ['arn:${Partition}:ec2:*::snapshot/*'],
        conditions: { Null: { 'aws:RequestTag/response-actions:action-id': 'false' } },
      },
      {
        // Tags only as part of creating this service's snapshots and security groups.
        actions: ['ec2:CreateTags'],
        resources: ['arn:${Partition}:ec2:*::snapshot/*', 'arn:${Partition}:ec2:*:${AWS::AccountId}:security-group/*'],
        conditions: { StringEquals: { 'ec2:CreateAction': ['CreateSnapshots', 'CreateSecurityGroup'] } },
      },
      {
        // The per-snapshot source-volume tag, only that key, only on snapshots this service took.
        actions: ['ec2:CreateTags'],
        resources: ['arn:${Partition}:ec2:*::snapshot/*'],
        conditions: {
          Null: { 'aws:ResourceTag/response-actions:action-id': 'false' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['response-actions:source-volume'] },
        },
      },
      {
        // Only snapshots this service took.
        actions: ['ec2:DeleteSnapshot'],
        resources: ['arn:${Partition}:ec2:*::snapshot/*'],
        conditions: { Null: { 'aws:ResourceTag/response-actions:action-id': 'false' } },
      },
      {
        // Termination protection, shutdown behaviour, DeleteOnTermination of attached volumes.
        actions: ['ec2:ModifyInstanceAttribute'],
        resources: ['arn:${Partition}:ec2:*:${AWS::AccountId}:instance/*', 'arn:${Partition}:ec2:*:${AWS::AccountId}:volume/*'],
      },
      {
        // Interfaces onto the isolation groups and back onto their own (any) groups.
        actions: ['ec2:ModifyNetworkInterfaceAttribute'],
        resources: [
          'arn:${Partition}:ec2:*:${AWS::AccountId}:network-interface/*',
          'arn:${Partition}:ec2:*:${AWS::AccountId}:security-group/*',
          'arn:${Partition}:ec2:*:${AWS::AccountId}:instance/*',
        ],
      },
      {
        actions: ['ec2:CreateSecurityGroup'],
        resources: ['arn:${Partition}:ec2:*:${AWS::AccountId}:vpc/*'],
      },
      {
        actions: ['ec2:CreateSecurityGroup'],
        resources: ['arn:${Partition}:ec2:*:${AWS::AccountId}:security-group/*'],
        conditions: { StringEquals: { 'aws:RequestTag/response-actions:purpose': ['isolation', 'allow-all'] } },
      },
      {
        // Rules are only ever added to, and groups only ever deleted from, the per-action allow-all group.
        actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:DeleteSecurityGroup'],
        resources: ['arn:${Partition}:ec2:*:${AWS::AccountId}:security-group/*'],
        conditions: { StringEquals: { 'aws:ResourceTag/response-actions:purpose': 'allow-all' } },
      },
      {
        // Rules are only ever removed from isolation groups.
        actions: ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'],
        resources: ['arn:${Partition}:ec2:*:${AWS::AccountId}:security-group/*'],
        conditions: { StringEquals: { 'aws:ResourceTag/response-actions:purpose': 'isolation' } },
      },
    ],
  },
];

export const cloudActionFamilyOfType: Readonly<Record<string, string>> = Object.fromEntries(
  cloudActionFamilyDeployments.flatMap((family) => family.types.map((type) => [type, family.name])),
);

/** The family that runs `type`, or undefined when no cloud family implements it yet. */
export function cloudActionFamilyOf(type: string): string | undefined {
  return Object.hasOwn(cloudActionFamilyOfType, type) ? cloudActionFamilyOfType[type] : undefined;
}
