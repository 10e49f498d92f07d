/**
 * What isolate-ec2-instance and its undo record, and what they decide from it, with no AWS call:
 * the instance's state (`prior`), the changes (`applied`), and the drift an undo reports. Pure,
 * so it is unit-tested without an emulator.
 */
// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { JsonObject } from '#shared/json.ts';
import type { Ec2InstanceRef } from './ec2-api.ts';
import { autoScalingStateSchema, enterStandbyChangeSchema, exitStandbyChangeSchema } from './standby-state.ts';

/** Which of this service's security groups: the shared, rule-less one of a VPC, or one action's momentary allow-all group. */
export type GroupPurpose = 'isolation' | 'allow-all';

/**
 * The instance as both actions read it (isolate's `prior`, and unisolate's `prior` before it
 * restores anything): the evidence settings, every EBS volume, every network interface with its
 * groups, this service's isolation groups in those interfaces' VPCs, and its Auto Scaling group
 * when one has it (standby-state.ts; absent otherwise, so an instance in no group reads as before).
 */
export const instanceStateSchema = z.object({
  instance: z.object({ id: z.string(), state: z.string() }),
  disableApiTermination: z.boolean(),
  shutdownBehavior: z.string(),
  volumes: z.array(z.object({ deviceName: z.string(), volumeId: z.string(), deleteOnTermination: z.boolean() })),
  networkInterfaces: z.array(
    z.object({ networkInterfaceId: z.string(), deviceIndex: z.number(), vpcId: z.string(), groupIds: z.array(z.string()) }),
  ),
  isolationGroups: z.array(z.object({ vpcId: z.string(), groupId: z.string() })),
  autoScaling: z.optional(autoScalingStateSchema),
});
export type InstanceState = z.infer<typeof instanceStateSchema>;
export type NetworkInterfaceState = InstanceState['networkInterfaces'][number];

const purposeSchema = z.enum(['isolation', 'allow-all']);

/** One change either action made, each with what was there before. Both record `{ changes: Change[] }` as `applied`. */
export const changeSchema = z.discriminatedUnion('action', [
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
  enterStandbyChangeSchema,
  exitStandbyChangeSchema,
]);
export type Change = z.infer<typeof changeSchema>;
export type InterfaceChange = Extract<Change, { action: 'SetInterfaceGroups' }>;
export type VolumeChange = Extract<Change, { action: 'SetDeleteOnTermination' }>;
export type GroupChange = Extract<Change, { action: 'CreateSecurityGroup' | 'DeleteSecurityGroup' }>;

export function interfaceChanges(changes: readonly Change[], networkInterfaceId?: string): InterfaceChange[] {
  return changes.filter(
    (change): change is InterfaceChange =>
      change.action === 'SetInterfaceGroups' && (networkInterfaceId === undefined || change.networkInterfaceId === networkInterfaceId),
  );
}

export function volumeChanges(changes: readonly Change[]): VolumeChange[] {
  return changes.filter((change): change is VolumeChange => change.action === 'SetDeleteOnTermination');
}

export function groupChanges(changes: readonly Change[], action: GroupChange['action'], purpose: GroupPurpose): GroupChange[] {
  return changes.filter((change): change is GroupChange => change.action === action && change.purpose === purpose);
}

/** The groups the last recorded change left on an interface, if any change touched it. */
export function lastGroupsOf(changes: readonly Change[], networkInterfaceId: string): string[] | undefined {
  return interfaceChanges(changes, networkInterfaceId).at(-1)?.after;
}

export function sameGroups(left: readonly string[], right: readonly string[]): boolean {
  const set = new Set(left);
  return set.size === new Set(right).size && right.every((groupId) => set.has(groupId));
}

/** Already isolated: exactly one group, and it is one of this service's isolation groups. */
export function isIsolated(nic: NetworkInterfaceState, isolationGroups: InstanceState['isolationGroups']): boolean {
  return nic.groupIds.length === 1 && isolationGroups.some((group) => group.groupId === nic.groupIds[0]);
}

/** What isolate reports: the evidence settings it found or changed and each interface's groups before and after. */
export function isolationResult(ref: Ec2InstanceRef, prior: InstanceState, changes: readonly Change[]): JsonObject {
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

/** What changed on the instance between isolation and its undo, against what isolation left. */
export function isolationDrift(before: InstanceState, changes: readonly Change[], now: InstanceState): JsonObject {
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
