/**
 * EC2 helpers for tests against moto_server: a harness that runs the EC2 family on the shipped
 * state machine through the moto front (EC2 and STS over HTTP, AssumeRole checked as AWS does),
 * instance and network fixtures, readers of what isolation changes, and an EC2 family whose
 * clients are aws-sdk-client-mock stubs passing every call through to moto unless a test scripts it.
 */
import { startCloudActionHarness, type CloudActionHarness } from './cloud-action-harness.ts';
import { randomUUID } from 'node:crypto';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  EC2ServiceException,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
  type BlockDeviceMapping,
  type ModifyNetworkInterfaceAttributeCommandInput,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { createEc2Family, ec2Family, type Ec2Clients } from '#shared/actions/ec2/index.ts';
import { emulatorCredentials } from './history-store.ts';
import { motoAccountId } from './moto-iam.ts';

export const region = 'us-east-1';

/** An EC2 client straight to moto (not through the front), as the test's own admin. */
export function motoEc2Client(motoEndpoint: string): EC2Client {
  return new EC2Client({ endpoint: motoEndpoint, region, credentials: emulatorCredentials });
}

export function instanceArn(instanceId: string): string {
  return `arn:aws:ec2:${region}:${motoAccountId}:instance/${instanceId}`;
}

export interface Ec2Harness extends CloudActionHarness {
  /** Admin client straight to moto, for fixtures and for reading what actions changed. */
  readonly ec2: EC2Client;
}

/** The cloud action harness with the real EC2 family, plus an EC2 admin client. */
export async function startEc2Harness(motoEndpoint: string): Promise<Ec2Harness> {
  const harness = await startCloudActionHarness(motoEndpoint, { families: [ec2Family] });
  const ec2 = motoEc2Client(motoEndpoint);
  return {
    ...harness,
    ec2,
    close: async () => {
      ec2.destroy();
      await harness.close();
    },
  };
}

export interface Network {
  readonly vpcId: string;
  readonly subnetId: string;
}

/** A VPC of its own for each test, so tests never see each other's groups. */
export async function createNetwork(ec2: EC2Client): Promise<Network> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = Vpc?.VpcId ?? '';
  const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: `${region}a` }));
  return { vpcId, subnetId: Subnet?.SubnetId ?? '' };
}

export async function createSecurityGroup(ec2: EC2Client, vpcId: string, name: string): Promise<string> {
  const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: `${name}-${randomUUID().slice(0, 8)}`, Description: name, VpcId: vpcId }));
  return GroupId ?? '';
}

let imageId: string | undefined;

export interface LaunchOptions {
  readonly network: Network;
  readonly volumes?: readonly { readonly deviceName: string; readonly sizeGiB: number; readonly deleteOnTermination: boolean }[];
  readonly securityGroupIds?: readonly string[];
}

/**
 * Launches one instance with the given EBS volumes attached (moto makes no root volume when
 * mappings are given) and its primary interface in the given groups.
 */
export async function launchInstance(ec2: EC2Client, options: LaunchOptions): Promise<string> {
  imageId ??= (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images?.[0]?.ImageId;
  const BlockDeviceMappings: BlockDeviceMapping[] | undefined = options.volumes?.map((volume) => ({
    DeviceName: volume.deviceName,
    Ebs: { VolumeSize: volume.sizeGiB, DeleteOnTermination: volume.deleteOnTermination },
  }));
  const { Instances } = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
      SubnetId: options.network.subnetId,
      ...(BlockDeviceMappings === undefined ? {} : { BlockDeviceMappings }),
    }),
  );
  const instance = Instances?.[0];
  const primary = instance?.NetworkInterfaces?.find((nic) => nic.Attachment?.DeviceIndex === 0)?.NetworkInterfaceId;
  if (options.securityGroupIds !== undefined && primary !== undefined) {
    // Not RunInstances' SecurityGroupIds: moto then adds the instance's launch groups to every
    // attached interface's groups for good, so no interface could ever leave them (AWS keeps
    // them on the primary interface, where ModifyNetworkInterfaceAttribute replaces them).
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: primary, Groups: [...options.securityGroupIds] }));
  }
  return instance?.InstanceId ?? '';
}

/** The instance's EBS volumes by device name: volume id and DeleteOnTermination. */
export async function attachedVolumes(ec2: EC2Client, instanceId: string): Promise<Record<string, { volumeId: string; deleteOnTermination: boolean }>> {
  const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = Reservations?.[0]?.Instances?.[0];
  return Object.fromEntries(
    (instance?.BlockDeviceMappings ?? []).map((mapping) => [
      mapping.DeviceName ?? '',
      { volumeId: mapping.Ebs?.VolumeId ?? '', deleteOnTermination: mapping.Ebs?.DeleteOnTermination ?? false },
    ]),
  );
}

/** Each network interface of the instance with its security group ids (sorted). */
export async function interfaceGroups(ec2: EC2Client, instanceId: string): Promise<Record<string, string[]>> {
  const { NetworkInterfaces } = await ec2.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }),
  );
  return Object.fromEntries(
    (NetworkInterfaces ?? []).map((nic) => [nic.NetworkInterfaceId ?? '', (nic.Groups ?? []).map((group) => group.GroupId ?? '').sort()]),
  );
}

/** Termination protection and shutdown behaviour, as DescribeInstanceAttribute reports them. */
export async function instanceSettings(ec2: EC2Client, instanceId: string): Promise<{ disableApiTermination: boolean; shutdownBehavior: string }> {
  const termination = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' }));
  const shutdown = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' }));
  return {
    disableApiTermination: termination.DisableApiTermination?.Value ?? false,
    shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? '',
  };
}

export async function securityGroup(ec2: EC2Client, groupId: string): Promise<{ exists: boolean; tags: Record<string, string>; rules: number }> {
  const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
  const group = SecurityGroups?.[0];
  return {
    exists: group !== undefined,
    tags: Object.fromEntries((group?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    rules: (group?.IpPermissions ?? []).length + (group?.IpPermissionsEgress ?? []).length,
  };
}

/** The snapshots among these ids that exist, by id. */
export async function existingSnapshots(ec2: EC2Client, snapshotIds: readonly string[]): Promise<Map<string, Snapshot>> {
  const { Snapshots } = await ec2.send(
    new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: [...snapshotIds] }] }),
  );
  return new Map((Snapshots ?? []).map((snapshot) => [snapshot.SnapshotId ?? '', snapshot]));
}

export function tagsOf(snapshot: Snapshot | undefined): Record<string, string> {
  return Object.fromEntries((snapshot?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/** One mocked client of the family, and the unmocked client with the same settings that calls pass through to. */
export interface MockedEc2Client {
  readonly mock: AwsClientStub<EC2Client>;
  readonly real: EC2Client;
}

/**
 * The EC2 family with every client it makes stubbed by aws-sdk-client-mock: by default each call
 * passes through to a real client with the same settings (moto, through the front); `script`
 * sets what a test wants to differ (`mock.on(Command)...`).
 */
export function mockedEc2Family(script: (client: MockedEc2Client) => void): { family: CloudActionFamily<Ec2Clients>; clients: MockedEc2Client[] } {
  const clients: MockedEc2Client[] = [];
  const family = createEc2Family({
    createClient: (clientRegion, credentials) => {
      const mocked = new EC2Client({ region: clientRegion, credentials, maxAttempts: 1 });
      const real = new EC2Client({ region: clientRegion, credentials, maxAttempts: 1 });
      const mock = mockClient(mocked);
      mock.send.callsFake((command: Parameters<EC2Client['send']>[0]) => real.send(command));
      const client = { mock, real };
      clients.push(client);
      script(client);
      return mocked;
    },
  });
  return { family, clients };
}

/**
 * The EC2 family with its `failing`-th ModifyNetworkInterfaceAttribute (counted over all its
 * clients) refused as AWS refuses a call the member role may not make; every other call reaches moto.
 */
export function ec2FamilyRefusingSwitch(failing: number): CloudActionFamily<Ec2Clients> {
  let switches = 0;
  return mockedEc2Family(({ mock, real }) => {
    mock.on(ModifyNetworkInterfaceAttributeCommand).callsFake(async (input: ModifyNetworkInterfaceAttributeCommandInput) => {
      if (++switches === failing) {
        throw new EC2ServiceException({
          name: 'UnauthorizedOperation',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: `You are not authorized to perform this operation. User: arn:aws:sts::${motoAccountId}:assumed-role/ResponseActionsMember-ec2/x is not authorized to perform: ec2:ModifyNetworkInterfaceAttribute on resource: ${input.NetworkInterfaceId ?? ''}`,
        });
      }
      return real.send(new ModifyNetworkInterfaceAttributeCommand(input));
    });
  }).family;
}
