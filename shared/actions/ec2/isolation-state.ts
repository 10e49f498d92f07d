/**
 * isolate-ec2-instance first preserves evidence (termination protection on, shutdown behaviour
 * `stop`, no volume deleted on termination), then moves every network interface onto a security
 * group with no rules at all; unisolate-ec2-instance gives each interface back the groups it had
 * and the instance and its volumes the settings they had, reporting what drifted in between.
 *
 * Security groups this service creates carry `response-actions:purpose` (`isolation` or
 * `allow-all`); the member role may change or delete only groups carrying it (families.ts).
 * The isolation group of a VPC is shared by every isolation there and left in place by unisolate:
 * it has no rules, so it grants nothing, and deleting it would race other isolations in the same
 * VPC that have just found it. The allow-all group is per action and lives only while isolating.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeInstanceAttributeCommand,
  DescribeSecurityGroupsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type Filter,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { ActionRecord } from '#shared/history/record.ts';
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { CloudAction, CloudActionContext, StepProgress } from './cloud-action.ts';
import type { Ec2Clients, Ec2InstanceRef } from './ec2.ts';
import { AwsRequestFailedError, ChangeNotVisibleError, InvalidTargetError, TargetNotFoundError, UndoSourceMissingError } from './errors.ts';

type Ec2Context = CloudActionContext<Ec2Clients>;

/** Tags on the security groups this service creates; the member role's permissions depend on `purpose`. */
export const isolationTagKeys = {
  purpose: 'response-actions:purpose',
  actionId: 'response-actions:action-id',
} as const;

type GroupPurpose = 'isolation' | 'allow-all';

/** One shared isolation group per VPC, found again by its tag. */
const isolationGroupName = 'response-actions-isolation';
const allowAllGroupName = (actionId: string): string => `response-actions-allow-all-${actionId}`;

/** Seconds to wait before trying again to delete an allow-all group EC2 still sees in use. */
const groupDeletionWaitSeconds = 5;

const allTrafficV4: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
const allTrafficV6: IpPermission = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

/**
 * The instance as both actions read it (isolate's `prior`, and unisolate's `prior` before it
 * restores anything): the evidence settings, every EBS volume, every network interface with its
 * groups, and this service's isolation groups in those interfaces' VPCs.
 */
const instanceStateSchema = z.object({
  instance: z.object({ id: z.string(), state: z.string() }),
  disableApiTermination: z.boolean(),
  shutdownBehavior: z.string(),
  volumes: z.array(z.object({ deviceName: z.string(), volumeId: z.string(), deleteOnTermination: z.boolean() })),
  networkInterfaces: z.array(
    z.object({ networkInterfaceId: z.string(), deviceIndex: z.number(), vpcId: z.string(), groupIds: z.array(z.string()) }),
  ),
  isolationGroups: z.array(z.object({ vpcId: z.string(), groupId: z.string() })),
});
type InstanceState = z.infer<typeof instanceStateSchema>;
type NetworkInterfaceState = InstanceState['networkInterfaces'][number];

const purposeSchema = z.enum(['isolation', 'allow-all']);

/** One change either action made, each with what was there before. Both record `{ changes: Change[] }` as `applied`. */
const changeSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('SetDisableApiTermination'), before: z.boolean(), after: z.boolean() }),
  z.object({ action: z.literal('SetShutdownBehavior'), before: z.string(), after: z.string() }),
  z.object({
    action: z.literal('SetDeleteOnTermination'),
    deviceName: z.string(),
    volumeId: z.string(),
    before: z.boolean(),
    after: z.boolean(),
  }),
  z.object({ action: z.literal('CreateSecurityGroup'), groupId: z.string(), vpcId: z.string(), purpose: purposeSchema }),
  z.object({
    action: z.literal('SetInterfaceGroups'),
    networkInterfaceId: z.string(),
    before: z.array(z.string()),
    after: z.array(z.string()),
  }),
  z.object({ action: z.literal('DeleteSecurityGroup'), groupId: z.string(), vpcId: z.string(), purpose: purposeSchema }),
]);
type Change = z.infer<typeof changeSchema>;
type InterfaceChange = Extract<Change, { action: 'SetInterfaceGroups' }>;
type VolumeChange = Extract<Change, { action: 'SetDeleteOnTermination' }>;
type GroupChange = Extract<Change, { action: 'CreateSecurityGroup' | 'DeleteSecurityGroup' }>;
const appliedSchema = z.object({ changes: z.array(changeSchema) });

function parseInstanceState(record: Pick<ActionRecord, 'id' | 'prior'>): InstanceState {
  const parsed = instanceStateSchema.safeParse(record.prior);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded no EC2 instance state to compare or restore`);
  return parsed.data;
}

function parseChanges(record: Pick<ActionRecord, 'id' | 'applied'>): Change[] {
  if (record.applied === null) return [];
  const parsed = appliedSchema.safeParse(record.applied);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded changes this service cannot read`);
  return parsed.data.changes;
}

/** The changes so far, written to the record as the whole list after each one (ProgressUpdate replaces `applied`). */
interface ChangeLog {
  readonly changes: readonly Change[];
  add(...changes: Change[]): Promise<void>;
}

function changeLog(context: Ec2Context, initial: readonly Change[]): ChangeLog {
  const changes = [...initial];
  return {
    changes,
    async add(...added) {
      changes.push(...added);
      await context.recordProgress({ applied: { changes } });
    },
  };
}

function interfaceChanges(changes: readonly Change[], networkInterfaceId?: string): InterfaceChange[] {
  return changes.filter(
    (change): change is InterfaceChange =>
      change.action === 'SetInterfaceGroups' && (networkInterfaceId === undefined || change.networkInterfaceId === networkInterfaceId),
  );
}

function volumeChanges(changes: readonly Change[]): VolumeChange[] {
  return changes.filter((change): change is VolumeChange => change.action === 'SetDeleteOnTermination');
}

function groupChanges(changes: readonly Change[], action: GroupChange['action'], purpose: GroupPurpose): GroupChange[] {
  return changes.filter((change): change is GroupChange => change.action === action && change.purpose === purpose);
}

/** The groups the last recorded change left on an interface, if any change touched it. */
function lastGroupsOf(changes: readonly Change[], networkInterfaceId: string): string[] | undefined {
  return interfaceChanges(changes, networkInterfaceId).at(-1)?.after;
}

function sameGroups(left: readonly string[], right: readonly string[]): boolean {
  const set = new Set(left);
  return set.size === new Set(right).size && right.every((groupId) => set.has(groupId));
}

function objectResult(result: JsonValue | null): JsonObject {
  return typeof result === 'object' && result !== null && !Array.isArray(result) ? result : {};
}

function undoSource(context: Ec2Context): ActionRecord {
  if (context.undoing === null) {
    throw new UndoSourceMissingError(`action ${context.record.id} (${context.record.type}) does not name the action it undoes`);
  }
  return context.undoing;
}

/** This service's groups of one purpose in some VPCs (of one action, for allow-all groups). */
async function managedGroups(
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
  const groups: SecurityGroup[] = [];
  let token: string | undefined;
  do {
    const NextToken: string | undefined = token;
    const page = await context.clients.ec2.call(region, 'ec2:DescribeSecurityGroups', (client) =>
      client.send(new DescribeSecurityGroupsCommand({ Filters, NextToken })),
    );
    groups.push(...(page.SecurityGroups ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return groups;
}

/** Reads everything isolation changes or depends on; changes nothing. */
async function readInstanceState(context: Ec2Context, ref: Ec2InstanceRef): Promise<InstanceState> {
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

/** Already isolated: exactly one group, and it is one of this service's isolation groups. */
function isIsolated(nic: NetworkInterfaceState, isolationGroups: InstanceState['isolationGroups']): boolean {
  return nic.groupIds.length === 1 && isolationGroups.some((group) => group.groupId === nic.groupIds[0]);
}

async function setInstanceAttribute(
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
async function setDeleteOnTermination(
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

async function setInterfaceGroups(context: Ec2Context, ref: Ec2InstanceRef, networkInterfaceId: string, groupIds: readonly string[]): Promise<void> {
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
  log: ChangeLog,
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
async function ensureIsolationGroup(context: Ec2Context, ref: Ec2InstanceRef, vpcId: string, log: ChangeLog): Promise<string> {
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
async function ensureAllowAllGroup(context: Ec2Context, ref: Ec2InstanceRef, vpcId: string, log: ChangeLog): Promise<string> {
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
async function deleteAllowAllGroups(context: Ec2Context, ref: Ec2InstanceRef, isolation: readonly Change[], log: ChangeLog): Promise<StepProgress> {
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

function isolationResult(ref: Ec2InstanceRef, prior: InstanceState, changes: readonly Change[]): JsonObject {
  return {
    instanceId: ref.instanceId,
    alreadyIsolated: false,
    evidence: {
      terminationProtection: prior.disableApiTermination ? 'was already on' : 'turned on',
      shutdownBehavior: prior.shutdownBehavior === 'stop' ? 'was already stop' : `changed from ${prior.shutdownBehavior} to stop`,
      deleteOnTerminationTurnedOff: volumeChanges(changes).map((change) => change.volumeId),
    },
    networkInterfaces: prior.networkInterfaces.map((nic) => ({
      networkInterfaceId: nic.networkInterfaceId,
      groupsBefore: nic.groupIds,
      groupsAfter: lastGroupsOf(changes, nic.networkInterfaceId) ?? nic.groupIds,
    })),
  };
}

/** isolate-ec2-instance: evidence settings first, then every interface onto the VPC's isolation group. */
export const isolateEc2Instance: CloudAction<Ec2Clients> = {
  type: 'isolate-ec2-instance',

  async capture(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const prior = await readInstanceState(context, ref);
    await context.recordProgress({ prior });
    if (prior.networkInterfaces.length === 0) {
      throw new InvalidTargetError(`${ref.label} has no network interface, so there is nothing to isolate`);
    }
  },

  async apply(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    // Decided on `prior` (the first capture) and this action's own `applied`, never on the
    // instance now: a retried apply continues where the last attempt stopped.
    const prior = parseInstanceState(context.record);
    const log = changeLog(context, parseChanges(context.record));
    const toIsolate = prior.networkInterfaces.filter((nic) => !isIsolated(nic, prior.isolationGroups));
    const deletedOnTermination = prior.volumes.filter((volume) => volume.deleteOnTermination);
    if (prior.disableApiTermination && prior.shutdownBehavior === 'stop' && deletedOnTermination.length === 0 && toIsolate.length === 0) {
      await context.recordProgress({
        applied: { changes: [] },
        result: {
          ...isolationResult(ref, prior, []),
          alreadyIsolated: true,
          message: `${ref.label} was already isolated with its evidence preserved before this action; nothing was changed`,
        },
      });
      return { pending: false };
    }

    // Evidence first: nothing may destroy the instance or its disks while it is being contained.
    if (!prior.disableApiTermination && !log.changes.some((change) => change.action === 'SetDisableApiTermination')) {
      await setInstanceAttribute(context, ref, 'disableApiTermination', 'true');
      await log.add({ action: 'SetDisableApiTermination', before: false, after: true });
    }
    if (prior.shutdownBehavior !== 'stop' && !log.changes.some((change) => change.action === 'SetShutdownBehavior')) {
      await setInstanceAttribute(context, ref, 'instanceInitiatedShutdownBehavior', 'stop');
      await log.add({ action: 'SetShutdownBehavior', before: prior.shutdownBehavior, after: 'stop' });
    }
    const keepVolumes = deletedOnTermination.filter((volume) => !volumeChanges(log.changes).some((change) => change.volumeId === volume.volumeId));
    if (keepVolumes.length > 0) {
      await setDeleteOnTermination(context, ref, keepVolumes.map((volume) => ({ ...volume, value: false })));
      await log.add(
        ...keepVolumes.map((volume): Change => ({
          action: 'SetDeleteOnTermination',
          deviceName: volume.deviceName,
          volumeId: volume.volumeId,
          before: true,
          after: false,
        })),
      );
    }

    /*
     * Security groups are stateful: a connection they track outlives the rule that allowed it, so
     * swapping an interface straight onto a rule-less group leaves an attacker's established
     * sessions running until they idle out. A TCP or UDP flow is not tracked when rules in both
     * directions allow all traffic (all ports, 0.0.0.0/0 and ::/0), and an untracked flow stops
     * the moment the rule that allowed it goes. Hence two switches per interface: first onto an
     * allow-all group, which turns the existing flows into untracked ones, then onto the isolation
     * group, which cuts them. (AWS, "Amazon EC2 security group connection tracking", EC2 User Guide:
     * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html.)
     * The interface is open to everything for the time of one call. ICMP and other protocols, and
     * connections AWS tracks automatically (through a NAT gateway, load balancer, Global
     * Accelerator, ...), stay tracked and end at their idle timeout; only a network ACL would cut
     * those, at the price of cutting the whole subnet.
     */
    const isolationGroups = new Map<string, string>();
    const allowAllGroups = new Map<string, string>();
    for (const nic of toIsolate) {
      let isolation = isolationGroups.get(nic.vpcId);
      if (isolation === undefined) {
        isolation = await ensureIsolationGroup(context, ref, nic.vpcId, log);
        isolationGroups.set(nic.vpcId, isolation);
      }
      const current = lastGroupsOf(log.changes, nic.networkInterfaceId) ?? nic.groupIds;
      if (sameGroups(current, [isolation])) continue;
      let allowAll = allowAllGroups.get(nic.vpcId);
      if (allowAll === undefined) {
        allowAll = await ensureAllowAllGroup(context, ref, nic.vpcId, log);
        allowAllGroups.set(nic.vpcId, allowAll);
      }
      if (!sameGroups(current, [allowAll])) {
        await setInterfaceGroups(context, ref, nic.networkInterfaceId, [allowAll]);
        await log.add({ action: 'SetInterfaceGroups', networkInterfaceId: nic.networkInterfaceId, before: current, after: [allowAll] });
      }
      try {
        await setInterfaceGroups(context, ref, nic.networkInterfaceId, [isolation]);
      } catch (error) {
        // Never leave an interface open to everything: back to its own groups, then fail (a retry starts over).
        await putBackOwnGroups(context, ref, nic, allowAll, log);
        throw error;
      }
      await log.add({ action: 'SetInterfaceGroups', networkInterfaceId: nic.networkInterfaceId, before: [allowAll], after: [isolation] });
    }
    await context.recordProgress({ result: isolationResult(ref, prior, log.changes) });
    return deleteAllowAllGroups(context, ref, log.changes, log);
  },

  async check(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const changes = parseChanges(context.record);
    return deleteAllowAllGroups(context, ref, changes, changeLog(context, changes));
  },

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const prior = parseInstanceState(context.record);
    const now = await readInstanceState(context, ref);
    const problems: string[] = [];
    if (!now.disableApiTermination) problems.push('termination protection is off');
    if (now.shutdownBehavior !== 'stop') problems.push(`its shutdown behaviour is ${now.shutdownBehavior}`);
    for (const volume of now.volumes) {
      if (volume.deleteOnTermination && prior.volumes.some((before) => before.volumeId === volume.volumeId)) {
        problems.push(`volume ${volume.volumeId} is still deleted on termination`);
      }
    }
    for (const nic of now.networkInterfaces) {
      if (isIsolated(nic, now.isolationGroups)) continue;
      const attachedSince = !prior.networkInterfaces.some((before) => before.networkInterfaceId === nic.networkInterfaceId);
      problems.push(
        `network interface ${nic.networkInterfaceId} has ${nic.groupIds.join(', ') || 'no groups'}${attachedSince ? ' (attached during isolation: run isolate-ec2-instance again)' : ''}`,
      );
    }
    const used = new Set(now.networkInterfaces.flatMap((nic) => nic.groupIds));
    for (const group of await managedGroups(context, ref.region, now.networkInterfaces.map((nic) => nic.vpcId), 'isolation')) {
      if (group.GroupId !== undefined && used.has(group.GroupId) && ((group.IpPermissions ?? []).length > 0 || (group.IpPermissionsEgress ?? []).length > 0)) {
        problems.push(`isolation group ${group.GroupId} has rules`);
      }
    }
    if (problems.length > 0) throw new ChangeNotVisibleError(`${ref.label} is not isolated yet: ${problems.join('; ')}`);
    return { ...objectResult(context.record.result), verified: true };
  },
};

/** After a failed switch onto the isolation group: the interface's own groups again, recorded. */
async function putBackOwnGroups(context: Ec2Context, ref: Ec2InstanceRef, nic: NetworkInterfaceState, allowAll: string, log: ChangeLog): Promise<void> {
  try {
    await setInterfaceGroups(context, ref, nic.networkInterfaceId, nic.groupIds);
    await log.add({ action: 'SetInterfaceGroups', networkInterfaceId: nic.networkInterfaceId, before: [allowAll], after: nic.groupIds });
  } catch {
    // The first failure is the one reported; `applied` still says the allow-all group is on, so undo puts the groups back.
  }
}

/** What changed on the instance between isolation and its undo, against what isolation left. */
function isolationDrift(before: InstanceState, changes: readonly Change[], now: InstanceState): JsonObject {
  const nowById = new Map(now.networkInterfaces.map((nic) => [nic.networkInterfaceId, nic]));
  const isolatedIds = [...new Set(interfaceChanges(changes).map((change) => change.networkInterfaceId))];
  const settingsChangedSince: JsonObject[] = [];
  for (const change of changes) {
    if (change.action === 'SetDisableApiTermination' && now.disableApiTermination !== change.after) {
      settingsChangedSince.push({ setting: 'disableApiTermination', leftByIsolation: change.after, now: now.disableApiTermination });
    } else if (change.action === 'SetShutdownBehavior' && now.shutdownBehavior !== change.after) {
      settingsChangedSince.push({ setting: 'instanceInitiatedShutdownBehavior', leftByIsolation: change.after, now: now.shutdownBehavior });
    } else if (change.action === 'SetDeleteOnTermination') {
      const volume = now.volumes.find((candidate) => candidate.volumeId === change.volumeId);
      if (volume === undefined || volume.deleteOnTermination !== change.after) {
        settingsChangedSince.push({
          setting: 'deleteOnTermination',
          volumeId: change.volumeId,
          leftByIsolation: change.after,
          now: volume === undefined ? 'detached' : volume.deleteOnTermination,
        });
      }
    }
  }
  return {
    interfacesAddedSince: now.networkInterfaces
      .filter((nic) => !before.networkInterfaces.some((old) => old.networkInterfaceId === nic.networkInterfaceId))
      .map((nic) => ({ networkInterfaceId: nic.networkInterfaceId, groupIds: nic.groupIds })),
    interfacesRemovedSince: before.networkInterfaces.filter((old) => !nowById.has(old.networkInterfaceId)).map((old) => old.networkInterfaceId),
    groupsChangedSince: isolatedIds.flatMap((networkInterfaceId) => {
      const left = lastGroupsOf(changes, networkInterfaceId);
      const nic = nowById.get(networkInterfaceId);
      return nic === undefined || left === undefined || sameGroups(nic.groupIds, left)
        ? []
        : [{ networkInterfaceId, leftByIsolation: left, now: nic.groupIds }];
    }),
    settingsChangedSince,
  };
}

/** The groups among `groupIds` that still exist. */
async function existingGroups(context: Ec2Context, region: string, groupIds: readonly string[]): Promise<string[]> {
  if (groupIds.length === 0) return [];
  const page = await context.clients.ec2.call(region, 'ec2:DescribeSecurityGroups', (client) =>
    client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [...groupIds] }] })),
  );
  const found = new Set((page.SecurityGroups ?? []).flatMap((group) => (group.GroupId === undefined ? [] : [group.GroupId])));
  return groupIds.filter((groupId) => found.has(groupId));
}

/** unisolate-ec2-instance: every interface back on its own groups, then the instance and volume settings, exactly as before. */
export const unisolateEc2Instance: CloudAction<Ec2Clients> = {
  type: 'unisolate-ec2-instance',
  undoes: 'isolate-ec2-instance',

  async capture(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const isolation = undoSource(context);
    const before = parseInstanceState(isolation);
    const changes = parseChanges(isolation);
    const now = await readInstanceState(context, ref);
    // The undo's own prior is the instance as it is now, before the undo changes anything.
    await context.recordProgress({ prior: now, result: { instanceId: ref.instanceId, drift: isolationDrift(before, changes, now) } });
  },

  async apply(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const isolation = undoSource(context);
    const isolated = parseChanges(isolation);
    const now = parseInstanceState(context.record);
    const log = changeLog(context, parseChanges(context.record));
    const alreadyRestored: string[] = [];
    const interfacesGone: string[] = [];
    const missingGroups: JsonObject[] = [];
    const notRestored: { networkInterfaceId: string; groupIds: string[] }[] = [];

    for (const networkInterfaceId of new Set(interfaceChanges(isolated).map((change) => change.networkInterfaceId))) {
      // A retried apply keeps what an earlier attempt of this undo restored.
      if (lastGroupsOf(log.changes, networkInterfaceId) !== undefined) continue;
      const own = interfaceChanges(isolated, networkInterfaceId)[0]?.before ?? [];
      const nic = now.networkInterfaces.find((candidate) => candidate.networkInterfaceId === networkInterfaceId);
      if (nic === undefined) {
        interfacesGone.push(networkInterfaceId);
        continue;
      }
      if (sameGroups(nic.groupIds, own)) {
        alreadyRestored.push(networkInterfaceId);
        continue;
      }
      const existing = await existingGroups(context, ref.region, own);
      const missing = own.filter((groupId) => !existing.includes(groupId));
      if (existing.length === 0) {
        notRestored.push({ networkInterfaceId, groupIds: own });
        continue;
      }
      if (missing.length > 0) missingGroups.push({ networkInterfaceId, missingGroupIds: missing });
      await setInterfaceGroups(context, ref, networkInterfaceId, existing);
      await log.add({ action: 'SetInterfaceGroups', networkInterfaceId, before: nic.groupIds, after: existing });
    }

    const volumesGone: string[] = [];
    const restoreVolumes: { deviceName: string; volumeId: string; before: boolean; value: boolean }[] = [];
    for (const change of volumeChanges(isolated)) {
      if (volumeChanges(log.changes).some((done) => done.volumeId === change.volumeId)) continue;
      const volume = now.volumes.find((candidate) => candidate.volumeId === change.volumeId);
      if (volume === undefined) {
        volumesGone.push(change.volumeId);
      } else if (volume.deleteOnTermination !== change.before) {
        restoreVolumes.push({ deviceName: volume.deviceName, volumeId: volume.volumeId, before: volume.deleteOnTermination, value: change.before });
      }
    }
    if (restoreVolumes.length > 0) {
      await setDeleteOnTermination(context, ref, restoreVolumes);
      await log.add(
        ...restoreVolumes.map((volume): Change => ({
          action: 'SetDeleteOnTermination',
          deviceName: volume.deviceName,
          volumeId: volume.volumeId,
          before: volume.before,
          after: volume.value,
        })),
      );
    }
    // The instance settings last, in the reverse of the order isolation changed them.
    for (const change of [...isolated].reverse()) {
      if (change.action === 'SetShutdownBehavior' && !log.changes.some((done) => done.action === change.action) && now.shutdownBehavior !== change.before) {
        await setInstanceAttribute(context, ref, 'instanceInitiatedShutdownBehavior', change.before);
        await log.add({ action: 'SetShutdownBehavior', before: now.shutdownBehavior, after: change.before });
      }
      if (
        change.action === 'SetDisableApiTermination' &&
        !log.changes.some((done) => done.action === change.action) &&
        now.disableApiTermination !== change.before
      ) {
        await setInstanceAttribute(context, ref, 'disableApiTermination', String(change.before));
        await log.add({ action: 'SetDisableApiTermination', before: now.disableApiTermination, after: change.before });
      }
    }

    const allowAllIds = new Set(groupChanges(isolated, 'CreateSecurityGroup', 'allow-all').map((change) => change.groupId));
    const isolationGroupIds = [
      ...new Set(interfaceChanges(isolated).flatMap((change) => (change.after.length === 1 ? change.after : []))),
    ].filter((groupId) => !allowAllIds.has(groupId));
    await context.recordProgress({
      result: {
        ...objectResult(context.record.result),
        restored: interfaceChanges(log.changes).map((change) => ({ networkInterfaceId: change.networkInterfaceId, groupIds: change.after })),
        alreadyRestored,
        interfacesGone,
        missingGroups,
        notRestored,
        restoredSettings: log.changes.filter((change) => change.action !== 'SetInterfaceGroups' && change.action !== 'DeleteSecurityGroup'),
        volumesGone,
        isolationGroupsLeft: {
          groupIds: isolationGroupIds,
          reason: 'isolation groups have no rules, so they grant nothing; they are shared by every isolation in their VPC and reused by the next one',
        },
      },
    });
    if (notRestored.length > 0) {
      throw new TargetNotFoundError(
        `${notRestored.map((nic) => `${nic.networkInterfaceId} (had ${nic.groupIds.join(', ')})`).join('; ')}: none of the security groups it had before isolation exist any more, so it stays as it is; everything else was restored`,
      );
    }
    // Allow-all groups an isolation that failed midway could not delete.
    return deleteAllowAllGroups(context, ref, isolated, log);
  },

  async check(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    return deleteAllowAllGroups(context, ref, parseChanges(undoSource(context)), changeLog(context, parseChanges(context.record)));
  },

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const restored = parseChanges(context.record);
    const now = await readInstanceState(context, ref);
    const problems: string[] = [];
    for (const networkInterfaceId of new Set(interfaceChanges(restored).map((change) => change.networkInterfaceId))) {
      const expected = lastGroupsOf(restored, networkInterfaceId) ?? [];
      const nic = now.networkInterfaces.find((candidate) => candidate.networkInterfaceId === networkInterfaceId);
      if (nic !== undefined && !sameGroups(nic.groupIds, expected)) {
        problems.push(`network interface ${networkInterfaceId} has ${nic.groupIds.join(', ')}, not ${expected.join(', ')}`);
      }
    }
    for (const change of restored) {
      if (change.action === 'SetDisableApiTermination' && now.disableApiTermination !== change.after) problems.push('termination protection');
      if (change.action === 'SetShutdownBehavior' && now.shutdownBehavior !== change.after) problems.push('shutdown behaviour');
      if (change.action === 'SetDeleteOnTermination' && now.volumes.find((volume) => volume.volumeId === change.volumeId)?.deleteOnTermination === change.before) {
        problems.push(`DeleteOnTermination of ${change.volumeId}`);
      }
    }
    if (problems.length > 0) throw new ChangeNotVisibleError(`${ref.label} is not restored yet: ${problems.join('; ')}`);
    return { ...objectResult(context.record.result), verified: true };
  },
};
