/**
 * isolate-ec2-instance first puts an instance InService in an Auto Scaling group on standby, so
 * the group does not terminate it once it fails its health checks (standby-state.ts), and
 * preserves evidence (termination protection on, shutdown behaviour `stop`, no volume deleted on
 * termination); then, once the instance is on standby, moves every network interface onto its
 * VPC's security group with no rules at all (security-groups.ts says which groups and why they stay).
 */
import type { JsonObject } from '#shared/json.ts';
import type { CloudAction, ChangeLog, StepProgress } from '../cloud-action.ts';
import { ChangeNotVisibleError, InvalidTargetError } from '../errors.ts';
import type { Ec2Clients, Ec2Context, Ec2InstanceRef } from './ec2-api.ts';
import { readInstanceState, setDeleteOnTermination, setInstanceAttribute } from './instance-calls.ts';
import {
  changeSchema,
  instanceStateSchema,
  isIsolated,
  isolationResult,
  lastGroupsOf,
  sameGroups,
  volumeChanges,
  type Change,
  type NetworkInterfaceState,
} from './isolation-state.ts';
import { planIsolation } from './isolation-plan.ts';
import { deleteAllowAllGroups, ensureAllowAllGroup, ensureIsolationGroup, managedGroups, setInterfaceGroups } from './security-groups.ts';
import { ensureStandby, readAutoScalingState, refuseIfUnsafe } from './standby.ts';
import { enteredStandby, standbyPlan, standbyResult, standbyWaitRounds, standbyWaitSeconds } from './standby-state.ts';

/** isolate-ec2-instance: Standby (in a group) and evidence settings first, then every interface onto the VPC's isolation group. */
export const isolateEc2Instance: CloudAction<Ec2Clients> = {
  type: 'isolate-ec2-instance',

  async capture(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const instance = await readInstanceState(context, ref);
    const autoScaling = await readAutoScalingState(context, ref);
    // `autoScaling` only for an instance in a group: one in none records exactly what it did before.
    const prior = { ...instance, ...(autoScaling === undefined ? {} : { autoScaling }) };
    await context.recordProgress({ prior });
    if (prior.networkInterfaces.length === 0) {
      throw new InvalidTargetError(`${ref.label} has no network interface, so there is nothing to isolate`);
    }
    refuseIfUnsafe(ref, standbyPlan(autoScaling));
  },

  // A retried apply, and check while the group moves the instance to Standby, continue where the last attempt stopped.
  apply: isolate,
  check: isolate,

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const prior = context.prior(instanceStateSchema);
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
    const entered = enteredStandby(context.changes(changeSchema));
    if (entered !== undefined) {
      const group = await readAutoScalingState(context, ref);
      // EnteringStandby is enough: the group no longer counts the instance as InService (standbyWaitRounds).
      if (group?.autoScalingGroupName !== entered.autoScalingGroupName || !['Standby', 'EnteringStandby'].includes(group.lifecycleState)) {
        problems.push(
          `it is ${group === undefined ? 'in no Auto Scaling group' : `${group.lifecycleState} in Auto Scaling group ${group.autoScalingGroupName}`}, not on standby in ${entered.autoScalingGroupName}, so the group may terminate it`,
        );
      }
    }
    const used = new Set(now.networkInterfaces.flatMap((nic) => nic.groupIds));
    for (const group of await managedGroups(context, ref.region, now.networkInterfaces.map((nic) => nic.vpcId), 'isolation')) {
      if (group.GroupId !== undefined && used.has(group.GroupId) && ((group.IpPermissions ?? []).length > 0 || (group.IpPermissionsEgress ?? []).length > 0)) {
        problems.push(`isolation group ${group.GroupId} has rules`);
      }
    }
    if (problems.length > 0) throw new ChangeNotVisibleError(`${ref.label} is not isolated yet: ${problems.join('; ')}`);
    return { ...context.result(), verified: true };
  },

  plan: planIsolation,
};

/**
 * Decided on `prior` (the first capture) and this action's own `applied`, never on the instance
 * now, except for its Auto Scaling lifecycle state, which only the group can say.
 */
async function isolate(context: Ec2Context): Promise<StepProgress> {
  const ref = context.clients.ec2.instanceOf(context.target);
  const prior = context.prior(instanceStateSchema);
  const log = context.changeLog(context.changes(changeSchema));
  // Standby first: from then on the group neither health-checks the instance nor picks it for scale-in.
  const standby = await ensureStandby(context, ref, prior.autoScaling, log);
  const toIsolate = prior.networkInterfaces.filter((nic) => !isIsolated(nic, prior.isolationGroups));
  const deletedOnTermination = prior.volumes.filter((volume) => volume.deleteOnTermination);
  if (
    log.changes.length === 0 &&
    prior.disableApiTermination &&
    prior.shutdownBehavior === 'stop' &&
    deletedOnTermination.length === 0 &&
    toIsolate.length === 0
  ) {
    await context.recordProgress({
      applied: { changes: [] },
      result: {
        ...isolationResult(ref, prior, []),
        ...standbyResult(prior.autoScaling, standby.plan, []),
        alreadyIsolated: true,
        message: `${ref.label} was already isolated with its evidence preserved before this action; nothing was changed`,
      },
    });
    return { pending: false };
  }

  // Evidence next, while the group still moves the instance to Standby: nothing may destroy it or its disks.
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
  const waits = Number(context.result()['standbyWaits'] ?? 0);
  const gaveUpWaiting = standby.pending && waits >= standbyWaitRounds;
  const result = (): JsonObject => ({
    ...isolationResult(ref, prior, log.changes),
    ...standbyResult(prior.autoScaling, standby.plan, log.changes),
    // standbyWaits stays, so a later check round (allow-all groups still in use) does not wait again.
    ...(gaveUpWaiting
      ? { standbyWaits: waits, isolatedWhileEnteringStandby: `still EnteringStandby after ${String(waits * standbyWaitSeconds)} s (its load balancer draining it): isolated without waiting longer` }
      : {}),
  });
  if (standby.pending && !gaveUpWaiting) {
    // Isolated once on standby, so its load balancer drains it first; bounded, since containment cannot wait on it (standbyWaitRounds).
    await context.recordProgress({ result: { ...result(), waitingFor: 'Standby', standbyWaits: waits + 1 } });
    return { pending: true, waitSeconds: standbyWaitSeconds };
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
  await context.recordProgress({ result: result() });
  return deleteAllowAllGroups(context, ref, log.changes, log);
}

/** After a failed switch onto the isolation group: the interface's own groups again, recorded. */
async function putBackOwnGroups(context: Ec2Context, ref: Ec2InstanceRef, nic: NetworkInterfaceState, allowAll: string, log: ChangeLog<Change>): Promise<void> {
  try {
    await setInterfaceGroups(context, ref, nic.networkInterfaceId, nic.groupIds);
    await log.add({ action: 'SetInterfaceGroups', networkInterfaceId: nic.networkInterfaceId, before: [allowAll], after: nic.groupIds });
  } catch {
    // The first failure is the one reported; `applied` still says the allow-all group is on, so undo puts the groups back.
  }
}
