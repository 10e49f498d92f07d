/**
 * The security-group calls of isolation. Groups this service creates carry
 * `response-actions:purpose` (`isolation` or `allow-all`); the member role may change or delete
 * only groups carrying it (families.ts). The isolation group of a VPC is shared by every isolation
 * there and left in place by unisolate: it has no rules, so it grants nothing, and deleting it
 * would race other isolations in the same VPC that have just found it. The allow-all group is per
 * action and lives only while isolating.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  paginateDescribeSecurityGroups,
  type Filter,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import type { ChangeLog, StepProgress } from '../cloud-action.ts';
import { AwsRequestFailedError } from '../errors.ts';
import type { Ec2Context, Ec2InstanceRef } from './ec2-api.ts';
import { groupChanges, type Change, type GroupPurpose } from './isolation-state.ts';

/** Tags on the security groups this service creates; the member role's permissions depend on `purpose`. */
export const isolationTagKeys = {
  purpose: 'response-actions:purpose',
  actionId: 'response-actions:action-id',
} as const;

/** One shared isolation group per VPC, found again by its tag. */
export const isolationGroupName = 'response-actions-isolation';
export const allowAllGroupName = (actionId: string): string => `response-actions-allow-all-${actionId}`;

/** Seconds to wait before trying again to delete an allow-all group EC2 still sees in use. */
const groupDeletionWaitSeconds = 5;

const allTrafficV4: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
const allTrafficV6: IpPermission = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

/** This service's groups of one purpose in some VPCs (of one action, for allow-all groups). */
export async function managedGroups(
  context: Ec2Context,
  region: string,
  vpcIds: readonly string[],
  purpose: GroupPurpose,
  actionId?: string,
): Promise<SecurityGroup[]> {
  if (vpcIds.length === 0) return [];
  const Filters: Filter[] = [
    { Name: 'vpc-id', Values: [...new Set(vpcIds)] },
    { Name: `tag:${isolationTagKeys.purpose}`, Values: [purpose] },
    ...(actionId === undefined ? [] : [{ Name: `tag:${isolationTagKeys.actionId}`, Values: [actionId] }]),
  ];
  const pages = await context.clients.ec2.pages(region, 'ec2:DescribeSecurityGroups', (config) =>
    paginateDescribeSecurityGroups(config, { Filters }),
  );
  return pages.flatMap((page) => page.SecurityGroups ?? []);
}

export async function setInterfaceGroups(context: Ec2Context, ref: Ec2InstanceRef, networkInterfaceId: string, groupIds: readonly string[]): Promise<void> {
  await context.clients.ec2.call(
    ref.region,
    'ec2:ModifyNetworkInterfaceAttribute',
    (client) => client.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: networkInterfaceId, Groups: [...groupIds] })),
    `network interface ${networkInterfaceId} or one of the security groups ${groupIds.join(', ')}`,
  );
}

/** Creates a tagged group; on a name clash (another isolation creating it at the same moment) finds that one instead. */
async function createManagedGroup(
  context: Ec2Context,
  ref: Ec2InstanceRef,
  vpcId: string,
  purpose: GroupPurpose,
  log: ChangeLog<Change>,
): Promise<string> {
  const actionId = context.record.id;
  const GroupName = purpose === 'isolation' ? isolationGroupName : allowAllGroupName(actionId);
  const created = await context.clients.ec2.attempt(
    ref.region,
    'ec2:CreateSecurityGroup',
    (client) =>
      client.send(
        new CreateSecurityGroupCommand({
          GroupName,
          VpcId: vpcId,
          Description:
            purpose === 'isolation'
              ? 'response-actions isolation: no inbound or outbound rules (isolate-ec2-instance)'
              : `response-actions: allows all traffic for a moment while isolating, action ${actionId}`,
          TagSpecifications: [
            {
              ResourceType: 'security-group',
              Tags: [
                { Key: isolationTagKeys.purpose, Value: purpose },
                { Key: 'Name', Value: GroupName },
                ...(purpose === 'allow-all' ? [{ Key: isolationTagKeys.actionId, Value: actionId }] : []),
              ],
            },
          ],
        }),
      ),
    ['InvalidGroup.Duplicate'],
  );
  if (created.ok && created.value.GroupId !== undefined) {
    await log.add({ action: 'CreateSecurityGroup', groupId: created.value.GroupId, vpcId, purpose });
    return created.value.GroupId;
  }
  const [found] = await managedGroups(context, ref.region, [vpcId], purpose, purpose === 'allow-all' ? actionId : undefined);
  if (found?.GroupId === undefined) {
    throw new AwsRequestFailedError(
      `VPC ${vpcId} already has a security group named ${GroupName} without the tag ${isolationTagKeys.purpose}=${purpose}; rename it, or tag it if it is this service's`,
    );
  }
  return found.GroupId;
}

/** Revokes a rule set, tolerating rules already gone (EC2 answers InvalidPermission.NotFound for some of them). */
async function revoke(context: Ec2Context, region: string, GroupId: string, direction: 'ingress' | 'egress', IpPermissions: IpPermission[]): Promise<void> {
  if (IpPermissions.length === 0) return;
  await context.clients.ec2.attempt(
    region,
    direction === 'ingress' ? 'ec2:RevokeSecurityGroupIngress' : 'ec2:RevokeSecurityGroupEgress',
    (client) =>
      direction === 'ingress'
        ? client.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions }))
        : client.send(new RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions })),
    ['InvalidPermission.NotFound'],
  );
}

/** Authorizes a rule, tolerating it being there already. */
async function authorize(context: Ec2Context, region: string, GroupId: string, direction: 'ingress' | 'egress', permission: IpPermission): Promise<void> {
  await context.clients.ec2.attempt(
    region,
    direction === 'ingress' ? 'ec2:AuthorizeSecurityGroupIngress' : 'ec2:AuthorizeSecurityGroupEgress',
    (client) =>
      direction === 'ingress'
        ? client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [permission] }))
        : client.send(new AuthorizeSecurityGroupEgressCommand({ GroupId, IpPermissions: [permission] })),
    ['InvalidPermission.Duplicate'],
  );
}

/** The VPC's isolation group, found by tag or created, with no rule in either direction. */
export async function ensureIsolationGroup(context: Ec2Context, ref: Ec2InstanceRef, vpcId: string, log: ChangeLog<Change>): Promise<string> {
  const [found] = await managedGroups(context, ref.region, [vpcId], 'isolation');
  if (found?.GroupId !== undefined) {
    // Ours, so nothing may loosen it: a rule someone added goes.
    await revoke(context, ref.region, found.GroupId, 'ingress', found.IpPermissions ?? []);
    await revoke(context, ref.region, found.GroupId, 'egress', found.IpPermissionsEgress ?? []);
    return found.GroupId;
  }
  const groupId = await createManagedGroup(context, ref, vpcId, 'isolation', log);
  // A new group allows all outbound traffic by default (IPv6 too in a dual-stack VPC): revoked.
  await revoke(context, ref.region, groupId, 'egress', [allTrafficV4]);
  await revoke(context, ref.region, groupId, 'egress', [allTrafficV6]);
  return groupId;
}

/** This action's allow-all group in the VPC, found by tag (an earlier attempt) or created. */
export async function ensureAllowAllGroup(context: Ec2Context, ref: Ec2InstanceRef, vpcId: string, log: ChangeLog<Change>): Promise<string> {
  const [found] = await managedGroups(context, ref.region, [vpcId], 'allow-all', context.record.id);
  let groupId = found?.GroupId;
  if (groupId === undefined) {
    groupId = await createManagedGroup(context, ref, vpcId, 'allow-all', log);
  } else if (!groupChanges(log.changes, 'CreateSecurityGroup', 'allow-all').some((change) => change.groupId === groupId)) {
    // An earlier attempt created it but could not record that: it is still this action's to delete.
    await log.add({ action: 'CreateSecurityGroup', groupId, vpcId, purpose: 'allow-all' });
  }
  // All protocols, all addresses, both directions: what makes a flow untracked (see isolateEc2Instance).
  await authorize(context, ref.region, groupId, 'ingress', allTrafficV4);
  await authorize(context, ref.region, groupId, 'ingress', allTrafficV6);
  await authorize(context, ref.region, groupId, 'egress', allTrafficV4);
  await authorize(context, ref.region, groupId, 'egress', allTrafficV6);
  return groupId;
}

/**
 * Deletes the allow-all groups the isolation's `changes` created that neither it nor `log`
 * deleted yet, recording each deletion in `log`. EC2 refuses with DependencyViolation while it
 * still sees an interface on the group (briefly, after the switch): then the step is pending and
 * the state machine's check tries again.
 */
export async function deleteAllowAllGroups(context: Ec2Context, ref: Ec2InstanceRef, isolation: readonly Change[], log: ChangeLog<Change>): Promise<StepProgress> {
  const deleted = new Set(
    groupChanges([...isolation, ...log.changes], 'DeleteSecurityGroup', 'allow-all').map((change) => change.groupId),
  );
  let inUse = 0;
  for (const group of groupChanges(isolation, 'CreateSecurityGroup', 'allow-all')) {
    if (deleted.has(group.groupId)) continue;
    const outcome = await context.clients.ec2.attempt(
      ref.region,
      'ec2:DeleteSecurityGroup',
      (client) => client.send(new DeleteSecurityGroupCommand({ GroupId: group.groupId })),
      ['DependencyViolation', 'InvalidGroup.NotFound'],
    );
    if (!outcome.ok && outcome.code === 'DependencyViolation') {
      inUse += 1;
      continue;
    }
    await log.add({ action: 'DeleteSecurityGroup', groupId: group.groupId, vpcId: group.vpcId, purpose: 'allow-all' });
  }
  return inUse > 0 ? { pending: true, waitSeconds: groupDeletionWaitSeconds } : { pending: false };
}

/** The groups among `groupIds` that still exist. */
export async function existingGroups(context: Ec2Context, region: string, groupIds: readonly string[]): Promise<string[]> {
  if (groupIds.length === 0) return [];
  const page = await context.clients.ec2.call(region, 'ec2:DescribeSecurityGroups', (client) =>
    client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [...groupIds] }] })),
  );
  const found = new Set((page.SecurityGroups ?? []).flatMap((group) => (group.GroupId === undefined ? [] : [group.GroupId])));
  return groupIds.filter((groupId) => found.has(groupId));
}
