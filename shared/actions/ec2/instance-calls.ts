/** The instance calls of isolation: reading its state, and the settings that preserve evidence. */
import { DescribeInstanceAttributeCommand, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import type { Ec2Context, Ec2InstanceRef } from './ec2-api.ts';
import type { InstanceState, NetworkInterfaceState } from './isolation-state.ts';
import { managedGroups } from './security-groups.ts';

/** Reads everything isolation changes or depends on; changes nothing. */
export async function readInstanceState(context: Ec2Context, ref: Ec2InstanceRef): Promise<InstanceState> {
  const ec2 = context.clients.ec2;
  const instance = await ec2.describeInstance(ref);
  const termination = await ec2.call(
    ref.region,
    'ec2:DescribeInstanceAttribute',
    (client) => client.send(new DescribeInstanceAttributeCommand({ InstanceId: ref.instanceId, Attribute: 'disableApiTermination' })),
    ref.label,
  );
  const shutdown = await ec2.call(
    ref.region,
    'ec2:DescribeInstanceAttribute',
    (client) =>
      client.send(new DescribeInstanceAttributeCommand({ InstanceId: ref.instanceId, Attribute: 'instanceInitiatedShutdownBehavior' })),
    ref.label,
  );
  const networkInterfaces: NetworkInterfaceState[] = (instance.NetworkInterfaces ?? [])
    .flatMap((nic) =>
      nic.NetworkInterfaceId === undefined
        ? []
        : [
            {
              networkInterfaceId: nic.NetworkInterfaceId,
              deviceIndex: nic.Attachment?.DeviceIndex ?? 0,
              // Interfaces of one instance may sit in different VPCs (multi-VPC attachments).
              vpcId: nic.VpcId ?? instance.VpcId ?? '',
              groupIds: (nic.Groups ?? []).flatMap((group) => (group.GroupId === undefined ? [] : [group.GroupId])),
            },
          ],
    )
    .sort((left, right) => left.deviceIndex - right.deviceIndex);
  const isolationGroups = await managedGroups(
    context,
    ref.region,
    networkInterfaces.map((nic) => nic.vpcId),
    'isolation',
  );
  return {
    instance: { id: ref.instanceId, state: instance.State?.Name ?? 'unknown' },
    disableApiTermination: termination.DisableApiTermination?.Value ?? false,
    shutdownBehavior: shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop',
    volumes: (instance.BlockDeviceMappings ?? []).flatMap((mapping) =>
      mapping.Ebs?.VolumeId === undefined
        ? []
        : [{ deviceName: mapping.DeviceName ?? '', volumeId: mapping.Ebs.VolumeId, deleteOnTermination: mapping.Ebs.DeleteOnTermination ?? false }],
    ),
    networkInterfaces,
    isolationGroups: isolationGroups.flatMap((group) =>
      group.GroupId === undefined || group.VpcId === undefined ? [] : [{ vpcId: group.VpcId, groupId: group.GroupId }],
    ),
  };
}

export async function setInstanceAttribute(
  context: Ec2Context,
  ref: Ec2InstanceRef,
  Attribute: 'disableApiTermination' | 'instanceInitiatedShutdownBehavior',
  Value: string,
): Promise<void> {
  await context.clients.ec2.call(
    ref.region,
    'ec2:ModifyInstanceAttribute',
    (client) => client.send(new ModifyInstanceAttributeCommand({ InstanceId: ref.instanceId, Attribute, Value })),
    ref.label,
  );
}

/** One call for every listed volume's DeleteOnTermination flag. */
export async function setDeleteOnTermination(
  context: Ec2Context,
  ref: Ec2InstanceRef,
  volumes: readonly { deviceName: string; volumeId: string; value: boolean }[],
): Promise<void> {
  await context.clients.ec2.call(
    ref.region,
    'ec2:ModifyInstanceAttribute',
    (client) =>
      client.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: ref.instanceId,
          BlockDeviceMappings: volumes.map((volume) => ({
            DeviceName: volume.deviceName,
            Ebs: { VolumeId: volume.volumeId, DeleteOnTermination: volume.value },
          })),
        }),
      ),
    ref.label,
  );
}
