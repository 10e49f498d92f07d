/**
 * One target per cloud action family in moto_server, each with a reader of the state its action
 * and undo change, for the fault tests: what moto shows is the truth the tests assert.
 */
import { randomUUID } from 'node:crypto';
import { DescribeSecurityGroupsCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { CreateAccessKeyCommand, ListAccessKeysCommand, ListRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import { isolationTagKeys } from '#shared/actions/ec2/index.ts';
import { revokePolicyName } from '#shared/actions/iam-sessions/index.ts';
import { attachedVolumes, createNetwork, createSecurityGroup, instanceArn, instanceSettings, interfaceGroups, launchInstance } from '#test/support/moto-ec2.ts';
import { attachUserPolicy, attachedPolicyArns, createRole, createUser, motoAccountId } from '#test/support/moto-iam.ts';
import { createBucket, createDbInstance, exposeBucket, publiclyAccessible, readBlock } from '#test/support/moto-private.ts';

export interface AdminClients {
  readonly iam: IAMClient;
  readonly ec2: EC2Client;
  readonly s3: S3Client;
  readonly rds: RDSClient;
}

/** A fresh target: the action's inputs, and its state now as moto shows it. */
export interface FaultTarget {
  readonly inputs: Record<string, string>;
  read(): Promise<unknown>;
}

/** One action of a family, with its undo, the target it acts on and the state it must leave. */
export interface FamilyCase {
  readonly family: string;
  readonly type: string;
  readonly undoType: string;
  make(clients: AdminClients): Promise<FaultTarget>;
  /** The state once the action Completed, given the original (the snapshot case reads the action's own snapshots). */
  acted(original: unknown, actionId: string): unknown;
  /** A mutating call of the action that, made to fail for good, leaves earlier changes recorded (or the first one). */
  readonly lateCall: string;
  /** How the action's messages name that call, when not as the API does (S3's IAM action names). */
  readonly lateCallNamed?: string;
}

const suffix = (): string => randomUUID().slice(0, 8);
const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';

async function isolationTarget(ec2: EC2Client): Promise<FaultTarget> {
  const network = await createNetwork(ec2);
  const web = await createSecurityGroup(ec2, network.vpcId, 'web');
  const instanceId = await launchInstance(ec2, { network, securityGroupIds: [web], volumes: [{ deviceName: '/dev/sda1', sizeGiB: 8, deleteOnTermination: true }] });
  const managed = async (purpose: string): Promise<string[]> => {
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'vpc-id', Values: [network.vpcId] }, { Name: `tag:${isolationTagKeys.purpose}`, Values: [purpose] }],
    }));
    return (SecurityGroups ?? []).map((group) => group.GroupId ?? '');
  };
  return {
    inputs: { 'aws.resource.arn': instanceArn(instanceId) },
    read: async () => {
      const isolation = await managed('isolation');
      const groups = Object.values(await interfaceGroups(ec2, instanceId));
      return {
        settings: await instanceSettings(ec2, instanceId),
        // On the isolation group, or on its own groups.
        groups: groups.map((ids) => (ids.length === 1 && ids[0] === isolation[0] ? ['isolation'] : ids)),
        volumes: Object.values(await attachedVolumes(ec2, instanceId)).map((volume) => volume.deleteOnTermination),
        allowAll: await managed('allow-all'),
        ownGroup: web,
      };
    },
  };
}

async function snapshotTarget(ec2: EC2Client): Promise<FaultTarget> {
  const network = await createNetwork(ec2);
  const instanceId = await launchInstance(ec2, { network, volumes: [{ deviceName: '/dev/sda1', sizeGiB: 8, deleteOnTermination: true }] });
  const volumeId = Object.values(await attachedVolumes(ec2, instanceId))[0]?.volumeId ?? '';
  return {
    inputs: { 'aws.resource.arn': instanceArn(instanceId) },
    read: async () => {
      const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [volumeId] }] }));
      const tag = (tags: { Key?: string; Value?: string }[] | undefined): string => tags?.find((each) => each.Key === 'response-actions:action-id')?.Value ?? '';
      return { snapshotsBy: (Snapshots ?? []).map((snapshot) => tag(snapshot.Tags)).sort() };
    },
  };
}

/** Every family's main action (CloudTrail's fetch-cloud-logs is the tests' own case: moto has no LookupEvents). */
export const familyCases: readonly FamilyCase[] = [
  {
    family: 'iam',
    type: 'iam-quarantine',
    undoType: 'iam-unquarantine',
    lateCall: 'iam:AttachUserPolicy',
    make: async ({ iam }) => {
      const name = `faults-${suffix()}`;
      const arn = await createUser(iam, name);
      await attachUserPolicy(iam, name, 'arn:aws:iam::aws:policy/ReadOnlyAccess');
      return { inputs: { 'aws.resource.arn': arn }, read: () => attachedPolicyArns(iam, { type: 'user', name }) };
    },
    acted: (original) => [...(original as string[]), denyAll].sort(),
  },
  {
    family: 'iam-sessions',
    type: 'revoke-iam-role-sessions',
    undoType: 'restore-iam-role-sessions',
    lateCall: 'iam:PutRolePolicy',
    make: async ({ iam }) => {
      const name = `faults-${suffix()}`;
      const arn = await createRole(iam, name);
      return { inputs: { 'aws.resource.arn': arn }, read: async () => (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [] };
    },
    acted: () => [revokePolicyName],
  },
  {
    family: 'iam-access-keys',
    type: 'deactivate-access-keys',
    undoType: 'reactivate-access-keys',
    lateCall: 'iam:UpdateAccessKey',
    make: async ({ iam }) => {
      const name = `faults-${suffix()}`;
      const arn = await createUser(iam, name);
      await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      const read = async (): Promise<string[]> =>
        ((await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata ?? []).map((key) => key.Status ?? '').sort();
      return { inputs: { 'aws.resource.arn': arn }, read };
    },
    acted: () => ['Inactive', 'Inactive'],
  },
  {
    family: 'private',
    type: 'make-cloud-resource-private',
    undoType: 'undo-make-cloud-resource-private',
    lateCall: 's3:PutPublicAccessBlock',
    lateCallNamed: 's3:PutBucketPublicAccessBlock',
    make: async ({ s3 }) => {
      const bucket = `faults-${suffix()}`;
      await createBucket(s3, bucket);
      await exposeBucket(s3, bucket);
      return { inputs: { 'aws.resource.arn': `arn:aws:s3:::${bucket}`, 'aws.account.id': motoAccountId, 'aws.region': 'us-east-1' }, read: () => readBlock(s3, bucket) };
    },
    acted: () => ({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }),
  },
  {
    family: 'private',
    type: 'make-cloud-resource-private',
    undoType: 'undo-make-cloud-resource-private',
    lateCall: 'rds:ModifyDBInstance',
    make: async ({ rds }) => {
      const identifier = `faults-${suffix()}`;
      const arn = await createDbInstance(rds, identifier, true);
      return { inputs: { 'aws.resource.arn': arn }, read: () => publiclyAccessible(rds, identifier) };
    },
    acted: () => false,
  },
  {
    family: 'ec2',
    type: 'cloud-volume-snapshot',
    undoType: 'undo-cloud-volume-snapshot',
    lateCall: 'ec2:CreateSnapshots',
    make: ({ ec2 }) => snapshotTarget(ec2),
    acted: (_original, actionId) => ({ snapshotsBy: [actionId] }),
  },
  {
    family: 'ec2',
    type: 'isolate-ec2-instance',
    undoType: 'unisolate-ec2-instance',
    lateCall: 'ec2:CreateSecurityGroup',
    make: ({ ec2 }) => isolationTarget(ec2),
    acted: (original) => ({
      ...(original as object),
      settings: { disableApiTermination: true, shutdownBehavior: 'stop' },
      groups: [['isolation']],
      volumes: [false],
    }),
  },
];
