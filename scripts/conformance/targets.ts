/**
 * The targets a scenario acts on, created for real (IAM users, EC2 instances and S3 buckets in
 * moto_server; a process and a file on this machine), and readers of exactly the state the
 * actions change, so "back to the original" is a comparison of two reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetPublicAccessBlockCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { attachedPolicyArns } from '#test/support/moto-iam.ts';
import type { TargetSpec } from './scenario.ts';

export type TargetState = Readonly<Record<string, unknown>>;

/** Where targets live: the moto_server the service's cloud actions reach, this machine, and the account and region. */
export interface TargetWorld {
  readonly motoEndpoint: string;
  readonly accountId: string;
  readonly region: string;
}

export interface Target {
  readonly name: string;
  readonly kind: TargetSpec['kind'];
  /** The action records' `resource.key` for this target. */
  readonly resourceKey: (hostname: string) => string;
  /** `{{name.field}}` values for the scenario's events and rules. */
  readonly variables: Readonly<Record<string, string | number>>;
  read(): Promise<TargetState>;
  /** The state in a few words, for the table. */
  describe(state: TargetState): string;
  remove(): Promise<void>;
}

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const unique = (name: string): string => `ra-conf-${name}-${randomUUID().slice(0, 8)}`;
const lastPart = (arn: unknown): string => String(arn).split('/').at(-1) ?? '';

/** Creates the target a scenario names under `name`. */
export async function createTarget(world: TargetWorld, name: string, spec: TargetSpec): Promise<Target> {
  switch (spec.kind) {
    case 'iam-user':
      return iamUser(world, name, spec);
    case 'ec2-instance':
      return ec2Instance(world, name, spec.tags);
    case 's3-bucket':
      return s3Bucket(world, name, spec.tags);
    case 'host-process':
      return hostProcess(name);
    case 'host-file':
      return hostFile(name, spec.content);
  }
}

const tagList = (tags: Readonly<Record<string, string>>): { Key: string; Value: string }[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

async function iamUser(world: TargetWorld, name: string, spec: Extract<TargetSpec, { kind: 'iam-user' }>): Promise<Target> {
  const iam = new IAMClient({ endpoint: world.motoEndpoint, region: world.region, credentials });
  const userName = unique(name);
  const arn = `arn:aws:iam::${world.accountId}:user/${userName}`;
  await iam.send(new CreateUserCommand({ UserName: userName, ...(Object.keys(spec.tags).length === 0 ? {} : { Tags: tagList(spec.tags) }) }));
  for (let key = 0; key < spec.accessKeys; key++) await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  for (const policyArn of spec.policies) await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn }));
  return {
    name,
    kind: spec.kind,
    resourceKey: () => arn,
    variables: { [`${name}.name`]: userName, [`${name}.arn`]: arn },
    read: async () => {
      const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
      const keys = [...(AccessKeyMetadata ?? [])].sort((a, b) => (a.AccessKeyId ?? '').localeCompare(b.AccessKeyId ?? ''));
      return { policies: await attachedPolicyArns(iam, { type: 'user', name: userName }), accessKeys: keys.map((key) => key.Status ?? '') };
    },
    describe: (state) =>
      `keys ${(state['accessKeys'] as unknown[]).join(',') || 'none'}, policies ${(state['policies'] as unknown[]).map(lastPart).join(',') || 'none'}`,
    remove: () => {
      iam.destroy();
      return Promise.resolve();
    },
  };
}

/** An instance in a VPC of its own, its interface in one group named `app`. */
async function ec2Instance(world: TargetWorld, name: string, tags: Readonly<Record<string, string>>): Promise<Target> {
  const ec2 = new EC2Client({ endpoint: world.motoEndpoint, region: world.region, credentials });
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = Vpc?.VpcId ?? '';
  const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: `${world.region}a` }));
  const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'app', Description: 'the application', VpcId: vpcId }));
  const imageId = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images?.[0]?.ImageId;
  const { Instances } = await ec2.send(
    new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', SubnetId: Subnet?.SubnetId }),
  );
  const instance = Instances?.[0];
  const instanceId = instance?.InstanceId ?? '';
  const primary = instance?.NetworkInterfaces?.find((nic) => nic.Attachment?.DeviceIndex === 0)?.NetworkInterfaceId;
  // Not RunInstances' SecurityGroupIds: moto would then keep the launch group on the interface for good.
  await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: primary, Groups: [GroupId ?? ''] }));
  if (Object.keys(tags).length > 0) await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: tagList(tags) }));
  const arn = `arn:aws:ec2:${world.region}:${world.accountId}:instance/${instanceId}`;
  return {
    name,
    kind: 'ec2-instance',
    resourceKey: () => arn,
    variables: { [`${name}.id`]: instanceId, [`${name}.arn`]: arn },
    read: async () => {
      const { NetworkInterfaces } = await ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }),
      );
      const groupIds = [...new Set((NetworkInterfaces ?? []).flatMap((nic) => (nic.Groups ?? []).map((group) => group.GroupId ?? '')))];
      const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: groupIds }));
      return { securityGroups: (SecurityGroups ?? []).map((group) => group.GroupName ?? '').sort() };
    },
    describe: (state) => `groups ${(state['securityGroups'] as unknown[]).join(',') || 'none'}`,
    remove: () => {
      ec2.destroy();
      return Promise.resolve();
    },
  };
}

async function s3Bucket(world: TargetWorld, name: string, tags: Readonly<Record<string, string>>): Promise<Target> {
  const s3 = new S3Client({ endpoint: world.motoEndpoint, region: world.region, credentials, forcePathStyle: true });
  const bucket = unique(name);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (Object.keys(tags).length > 0) await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tagList(tags) } }));
  const arn = `arn:aws:s3:::${bucket}`;
  return {
    name,
    kind: 's3-bucket',
    resourceKey: () => arn,
    variables: { [`${name}.name`]: bucket, [`${name}.arn`]: arn },
    read: async () => {
      const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })).then(
        (answer) => answer.PublicAccessBlockConfiguration ?? null,
        (error: unknown) => {
          if ((error as { name?: string }).name === 'NoSuchPublicAccessBlockConfiguration') return null;
          throw error;
        },
      );
      return { publicAccessBlock: block === null ? null : { ...block } };
    },
    describe: (state) => {
      const block = state['publicAccessBlock'] as Record<string, boolean> | null;
      if (block === null) return 'no public access block';
      return Object.values(block).every(Boolean) ? 'public access blocked' : 'public access partly blocked';
    },
    remove: () => {
      s3.destroy();
      return Promise.resolve();
    },
  };
}

/** Running unless gone or a zombie (killed, not yet reaped by this process). */
async function processRunning(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (status === null) return false;
  const state = status.slice(status.lastIndexOf(')') + 2, status.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

function hostProcess(name: string): Promise<Target> {
  const child: ChildProcess = spawn('sleep', ['600'], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start sleep on this machine');
  return Promise.resolve({
    name,
    kind: 'host-process',
    resourceKey: (hostname: string) => `host/${hostname}`,
    variables: { [`${name}.pid`]: pid },
    read: async () => ({ running: await processRunning(pid) }),
    describe: (state) => (state['running'] === true ? 'process running' : 'process gone'),
    remove: () => {
      child.kill('SIGKILL');
      return Promise.resolve();
    },
  });
}

async function hostFile(name: string, content: string): Promise<Target> {
  const directory = await mkdtemp(join(tmpdir(), 'ra-conformance-'));
  const path = join(directory, `${name}.sh`);
  await writeFile(path, content, { mode: 0o755 });
  return {
    name,
    kind: 'host-file',
    resourceKey: (hostname: string) => `host/${hostname}/file/${path}`,
    variables: { [`${name}.path`]: path },
    read: async () => {
      const facts = await stat(path).catch(() => null);
      if (facts === null) return { present: false };
      const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
      return { present: true, mode: (facts.mode & 0o7777).toString(8), sha256 };
    },
    describe: (state) => (state['present'] === true ? `file in place (${String(state['mode'])})` : 'file quarantined'),
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
