/**
 * Auto Scaling helpers for tests against moto_server: a group holding one given instance, readers
 * of an instance's lifecycle state and of a group, and an EC2 family whose Auto Scaling clients
 * are aws-sdk-client-mock stubs passing every call through to moto unless a test scripts it.
 */
import { randomUUID } from 'node:crypto';
import {
  AttachInstancesCommand,
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { createEc2Family, type Ec2Clients } from '#shared/actions/ec2/index.ts';
import { emulatorCredentials } from './history-store.ts';
import { region, type Network } from './moto-ec2.ts';

/** An Auto Scaling client straight to moto (not through the front), as the test's own admin. */
export function motoAutoScalingClient(motoEndpoint: string): AutoScalingClient {
  return new AutoScalingClient({ endpoint: motoEndpoint, region, credentials: emulatorCredentials });
}

/**
 * A group of its own in the network's subnet, holding `instanceId` InService: made empty, then the
 * instance attached (desired capacity 1). Its launch template is what a replacement launches from.
 */
export async function groupHolding(ec2: EC2Client, autoScaling: AutoScalingClient, network: Network, instanceId: string): Promise<string> {
  const name = `web-${randomUUID().slice(0, 8)}`;
  const imageId = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images?.[0]?.ImageId;
  const { LaunchTemplate } = await ec2.send(
    new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.micro' } }),
  );
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateId: LaunchTemplate?.LaunchTemplateId, Version: '$Latest' },
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 0,
      VPCZoneIdentifier: network.subnetId,
    }),
  );
  await autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: name, InstanceIds: [instanceId] }));
  return name;
}

/** The instance's group and lifecycle state, or null when no group has it. */
export async function lifecycleOf(autoScaling: AutoScalingClient, instanceId: string): Promise<{ group: string; state: string } | null> {
  const { AutoScalingInstances } = await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
  const found = AutoScalingInstances?.[0];
  return found === undefined ? null : { group: found.AutoScalingGroupName ?? '', state: found.LifecycleState ?? '' };
}

/** A group's desired capacity and its instances' lifecycle states by id. */
export async function groupOf(autoScaling: AutoScalingClient, name: string): Promise<{ desiredCapacity: number; instances: Record<string, string> }> {
  const { AutoScalingGroups } = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  const group = AutoScalingGroups?.[0];
  return {
    desiredCapacity: group?.DesiredCapacity ?? -1,
    instances: Object.fromEntries((group?.Instances ?? []).map((instance) => [instance.InstanceId ?? '', instance.LifecycleState ?? ''])),
  };
}

/** One mocked Auto Scaling client of the family, and the unmocked client with the same settings that calls pass through to. */
export interface MockedAutoScalingClient {
  readonly mock: AwsClientStub<AutoScalingClient>;
  readonly real: AutoScalingClient;
}

/**
 * The EC2 family with every Auto Scaling client it makes stubbed: by default each call passes
 * through to a real client with the same settings (moto, through the front); `script` sets what
 * a test wants to differ. Its EC2 clients are the real ones.
 */
export function mockedAutoScalingFamily(script: (client: MockedAutoScalingClient) => void): CloudActionFamily<Ec2Clients> {
  return createEc2Family({
    createAutoScalingClient: (clientRegion, credentials) => {
      const mocked = new AutoScalingClient({ region: clientRegion, credentials, maxAttempts: 1 });
      const real = new AutoScalingClient({ region: clientRegion, credentials, maxAttempts: 1 });
      const mock = mockClient(mocked);
      mock.send.callsFake((command: Parameters<AutoScalingClient['send']>[0]) => real.send(command));
      script({ mock, real });
      return mocked;
    },
  });
}
