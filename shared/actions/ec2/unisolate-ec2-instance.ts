/**
 * unisolate-ec2-instance gives each interface back the groups it had and the instance and its
 * volumes the settings they had, then puts an instance isolation put on standby back in service
 * in its Auto Scaling group, reporting what drifted since isolation (isolation-state.ts,
 * standby-state.ts).
 */
import type { JsonObject } from '#shared/json.ts';
import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError, TargetNotFoundError } from '../errors.ts';
import type { Ec2Clients } from './ec2-api.ts';
import { readInstanceState, setDeleteOnTermination, setInstanceAttribute } from './instance-calls.ts';
import {
  changeSchema,
  groupChanges,
  instanceStateSchema,
  interfaceChanges,
  isolationDrift,
  lastGroupsOf,
  sameGroups,
  volumeChanges,
  type Change,
} from './isolation-state.ts';
import { planUnisolation } from './isolation-plan.ts';
import { deleteAllowAllGroups, existingGroups, setInterfaceGroups } from './security-groups.ts';
import { readAutoScalingState, restoreService, type ServiceRestore } from './standby.ts';
import { enteredStandby, standbyDrift } from './standby-state.ts';

/** unisolate-ec2-instance: every interface back on its own groups, then the instance and volume settings, exactly as before. */
export const unisolateEc2Instance: CloudAction<Ec2Clients> = {
  type: 'unisolate-ec2-instance',
  undoes: 'isolate-ec2-instance',

  async capture(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const isolation = context.undoSource();
    const before = context.prior(instanceStateSchema, isolation);
    const changes = context.changes(changeSchema, isolation);
    const instance = await readInstanceState(context, ref);
    const autoScaling = await readAutoScalingState(context, ref);
    const now = { ...instance, ...(autoScaling === undefined ? {} : { autoScaling }) };
    // The undo's own prior is the instance as it is now, before the undo changes anything.
    await context.recordProgress({
      prior: now,
      result: { instanceId: ref.instanceId, drift: { ...isolationDrift(before, changes, now), ...standbyDrift(enteredStandby(changes), autoScaling) } },
    });
  },

  async apply(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const isolation = context.undoSource();
    const isolated = context.changes(changeSchema, isolation);
    const now = context.prior(instanceStateSchema);
    const log = context.changeLog(context.changes(changeSchema));
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
    // Back in service only with every interface restored: one still isolated would fail the group's health checks and be terminated.
    const service: ServiceRestore =
      notRestored.length === 0
        ? await restoreService(context, ref, isolated, log)
        : { progress: { pending: false }, result: enteredStandby(isolated) === undefined ? {} : { autoScaling: { exitedStandby: false, reason: 'an interface is still isolated' } } };
    await context.recordProgress({
      result: {
        ...context.result(),
        restored: interfaceChanges(log.changes).map((change) => ({ networkInterfaceId: change.networkInterfaceId, groupIds: change.after })),
        alreadyRestored,
        interfacesGone,
        missingGroups,
        notRestored,
        restoredSettings: log.changes.filter((change) => !['SetInterfaceGroups', 'DeleteSecurityGroup', 'ExitStandby'].includes(change.action)),
        volumesGone,
        isolationGroupsLeft: {
          groupIds: isolationGroupIds,
          reason: 'isolation groups have no rules, so they grant nothing; they are shared by every isolation in their VPC and reused by the next one',
        },
        ...service.result,
      },
    });
    if (notRestored.length > 0) {
      throw new TargetNotFoundError(
        `${notRestored.map((nic) => `${nic.networkInterfaceId} (had ${nic.groupIds.join(', ')})`).join('; ')}: none of the security groups it had before isolation exist any more, so it stays as it is; everything else was restored${enteredStandby(isolated) === undefined ? '' : ' except Standby: the instance stays on standby in its Auto Scaling group, which would otherwise terminate it'}`,
      );
    }
    if (service.progress.pending) return service.progress;
    // Allow-all groups an isolation that failed midway could not delete.
    return deleteAllowAllGroups(context, ref, isolated, log);
  },

  async check(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const isolated = context.changes(changeSchema, context.undoSource());
    const log = context.changeLog(context.changes(changeSchema));
    // Isolation's Standby had not finished when this undo began: back in service once it has.
    const service = await restoreService(context, ref, isolated, log);
    if (service.progress.pending) return service.progress;
    await context.recordProgress({ result: { ...context.result(), ...service.result } });
    return deleteAllowAllGroups(context, ref, isolated, log);
  },

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const restored = context.changes(changeSchema);
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
    const exited = restored.find((change) => change.action === 'ExitStandby');
    if (exited !== undefined) {
      const group = await readAutoScalingState(context, ref);
      if (group !== undefined && ['Standby', 'EnteringStandby'].includes(group.lifecycleState)) {
        problems.push(`it is still ${group.lifecycleState} in Auto Scaling group ${group.autoScalingGroupName}`);
      }
    }
    if (problems.length > 0) throw new ChangeNotVisibleError(`${ref.label} is not restored yet: ${problems.join('; ')}`);
    return { ...context.result(), verified: true };
  },

  plan: planUnisolation,
};
