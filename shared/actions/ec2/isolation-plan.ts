/**
 * The plans of isolate-ec2-instance and its undo: the calls their apply (and check) would make,
 * decided exactly as they decide them from what capture recorded. Reading is allowed (the rules
 * on an existing isolation group, which security groups still exist); nothing is written.
 */
import type { PlannedChange } from '#shared/plans/types.ts';
import type { Ec2Context, Ec2InstanceRef } from './ec2-api.ts';
import {
  changeSchema,
  groupChanges,
  instanceStateSchema,
  interfaceChanges,
  isIsolated,
  sameGroups,
  volumeChanges,
  type InstanceState,
} from './isolation-state.ts';
import { allowAllGroupName, existingGroups, isolationGroupName, managedGroups } from './security-groups.ts';
import { enteredStandby, exitDecision, standbyPlan } from './standby-state.ts';

/** `arn:<partition>:ec2:<region>:<account>:<type>/<id>` in the target's account. */
function ec2Arn(context: Ec2Context, ref: Ec2InstanceRef, type: string, id: string): string {
  return `arn:${context.target.partition}:ec2:${ref.region}:${context.target.accountId}:${type}/${id}`;
}

/** The evidence settings isolation turns on: termination protection, shutdown behaviour `stop`, no volume deleted on termination. */
function evidenceChanges(context: Ec2Context, ref: Ec2InstanceRef, prior: InstanceState): PlannedChange[] {
  const instance = context.target.arn;
  const deletedOnTermination = prior.volumes.filter((volume) => volume.deleteOnTermination);
  return [
    ...(prior.disableApiTermination ? [] : [{ call: 'ec2:ModifyInstanceAttribute', target: instance, detail: `turn termination protection (disableApiTermination) of ${ref.label} on` }]),
    ...(prior.shutdownBehavior === 'stop'
      ? []
      : [{ call: 'ec2:ModifyInstanceAttribute', target: instance, detail: `change the shutdown behaviour of ${ref.label} from ${prior.shutdownBehavior} to stop` }]),
    ...(deletedOnTermination.length === 0
      ? []
      : [
          {
            call: 'ec2:ModifyInstanceAttribute',
            target: instance,
            detail: `turn DeleteOnTermination off for ${deletedOnTermination.map((volume) => `${volume.volumeId} (${volume.deviceName})`).join(', ')}`,
          },
        ]),
  ];
}

/** isolate-ec2-instance: Standby, evidence settings, then per VPC its groups and per interface the two switches, then the allow-all groups go. */
export async function planIsolation(context: Ec2Context): Promise<PlannedChange[]> {
  const ref = context.clients.ec2.instanceOf(context.target);
  const prior = context.prior(instanceStateSchema);
  const standby = standbyPlan(prior.autoScaling);
  const changes: PlannedChange[] = [
    ...(standby.kind === 'enter'
      ? [
          {
            call: 'autoscaling:EnterStandby',
            target: context.target.arn,
            detail: `put ${ref.label} on standby in Auto Scaling group ${standby.autoScalingGroupName} (ShouldDecrementDesiredCapacity false), so the group does not terminate it once it fails its health checks`,
          },
        ]
      : []),
    ...evidenceChanges(context, ref, prior),
  ];
  const toIsolate = prior.networkInterfaces.filter((nic) => !isIsolated(nic, prior.isolationGroups));
  // The isolation groups' rules are not in `prior`: read now, since apply revokes any it finds.
  const found = await managedGroups(context, ref.region, toIsolate.map((nic) => nic.vpcId), 'isolation');
  const isolationOf = new Map<string, string>();
  const allowAllOf = new Map<string, string>();
  for (const nic of toIsolate) {
    let isolation = isolationOf.get(nic.vpcId);
    if (isolation === undefined) {
      const group = found.find((candidate) => candidate.VpcId === nic.vpcId && candidate.GroupId !== undefined);
      if (group?.GroupId === undefined) {
        const created = `${isolationGroupName} (new)`;
        isolation = created;
        changes.push(
          { call: 'ec2:CreateSecurityGroup', target: ec2Arn(context, ref, 'vpc', nic.vpcId), detail: `create the isolation group ${isolationGroupName} of ${nic.vpcId}, tagged response-actions:purpose=isolation` },
          ...['0.0.0.0/0', '::/0'].map((cidr) => ({
            call: 'ec2:RevokeSecurityGroupEgress',
            target: created,
            detail: `revoke the new group's default outbound rule to ${cidr}, leaving it no rules at all`,
          })),
        );
      } else {
        const groupId = group.GroupId;
        isolation = groupId;
        const rules = [
          ['RevokeSecurityGroupIngress', group.IpPermissions ?? []],
          ['RevokeSecurityGroupEgress', group.IpPermissionsEgress ?? []],
        ] as const;
        for (const [call, permissions] of rules) {
          if (permissions.length === 0) continue;
          changes.push({ call: `ec2:${call}`, target: ec2Arn(context, ref, 'security-group', groupId), detail: `revoke the ${String(permissions.length)} rule(s) someone added to isolation group ${groupId}` });
        }
      }
      isolationOf.set(nic.vpcId, isolation);
    }
    let allowAll = allowAllOf.get(nic.vpcId);
    if (allowAll === undefined) {
      allowAll = `${allowAllGroupName(context.record.id)} (new)`;
      allowAllOf.set(nic.vpcId, allowAll);
      changes.push({ call: 'ec2:CreateSecurityGroup', target: ec2Arn(context, ref, 'vpc', nic.vpcId), detail: `create this action's allow-all group in ${nic.vpcId}, tagged response-actions:purpose=allow-all` });
      for (const call of ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress']) {
        for (const cidr of ['0.0.0.0/0', '::/0']) {
          changes.push({ call: `ec2:${call}`, target: allowAll, detail: `allow all traffic ${call.endsWith('Ingress') ? 'from' : 'to'} ${cidr}` });
        }
      }
    }
    const eni = ec2Arn(context, ref, 'network-interface', nic.networkInterfaceId);
    changes.push(
      { call: 'ec2:ModifyNetworkInterfaceAttribute', target: eni, detail: `move ${nic.networkInterfaceId} from ${nic.groupIds.join(', ') || 'no groups'} onto ${allowAll}, so its tracked connections become untracked` },
      { call: 'ec2:ModifyNetworkInterfaceAttribute', target: eni, detail: `move ${nic.networkInterfaceId} onto isolation group ${isolation}, cutting every connection` },
    );
  }
  for (const [vpcId, allowAll] of allowAllOf) {
    changes.push({ call: 'ec2:DeleteSecurityGroup', target: allowAll, detail: `delete this action's allow-all group in ${vpcId} once no interface uses it` });
  }
  return changes;
}

/** unisolate-ec2-instance: each interface back on its own groups, the settings back, back in service, and allow-all groups left over go. */
export async function planUnisolation(context: Ec2Context): Promise<PlannedChange[]> {
  const ref = context.clients.ec2.instanceOf(context.target);
  const isolated = context.changes(changeSchema, context.undoSource());
  const now = context.prior(instanceStateSchema);
  const changes: PlannedChange[] = [];
  let notRestored = 0;
  for (const networkInterfaceId of new Set(interfaceChanges(isolated).map((change) => change.networkInterfaceId))) {
    const own = interfaceChanges(isolated, networkInterfaceId)[0]?.before ?? [];
    const nic = now.networkInterfaces.find((candidate) => candidate.networkInterfaceId === networkInterfaceId);
    // Gone, or already back on its own groups: drift apply reports and leaves.
    if (nic === undefined || sameGroups(nic.groupIds, own)) continue;
    const existing = await existingGroups(context, ref.region, own);
    if (existing.length === 0) {
      notRestored += 1;
      continue;
    }
    const missing = own.filter((groupId) => !existing.includes(groupId));
    changes.push({
      call: 'ec2:ModifyNetworkInterfaceAttribute',
      target: ec2Arn(context, ref, 'network-interface', networkInterfaceId),
      detail: `move ${networkInterfaceId} from ${nic.groupIds.join(', ')} back onto ${existing.join(', ')}${missing.length === 0 ? '' : ` (${missing.join(', ')} no longer exist)`}`,
    });
  }
  const volumes = volumeChanges(isolated).flatMap((change) => {
    const volume = now.volumes.find((candidate) => candidate.volumeId === change.volumeId);
    return volume === undefined || volume.deleteOnTermination === change.before ? [] : [`${volume.volumeId} (${volume.deviceName}) to ${String(change.before)}`];
  });
  if (volumes.length > 0) {
    changes.push({ call: 'ec2:ModifyInstanceAttribute', target: context.target.arn, detail: `set DeleteOnTermination back for ${volumes.join(', ')}` });
  }
  for (const change of [...isolated].reverse()) {
    if (change.action === 'SetShutdownBehavior' && now.shutdownBehavior !== change.before) {
      changes.push({ call: 'ec2:ModifyInstanceAttribute', target: context.target.arn, detail: `change the shutdown behaviour of ${ref.label} from ${now.shutdownBehavior} back to ${change.before}` });
    }
    if (change.action === 'SetDisableApiTermination' && now.disableApiTermination !== change.before) {
      changes.push({ call: 'ec2:ModifyInstanceAttribute', target: context.target.arn, detail: `turn termination protection of ${ref.label} ${change.before ? 'on' : 'off'} again` });
    }
  }
  // With an interface that cannot be restored, apply stops here (TargetNotFound) and leaves the instance on standby.
  if (notRestored > 0) return changes;
  const decision = exitDecision(enteredStandby(isolated), now.autoScaling);
  if (decision.kind === 'exit' || decision.kind === 'wait') {
    const group = enteredStandby(isolated)?.autoScalingGroupName ?? '';
    changes.push({
      call: 'autoscaling:ExitStandby',
      target: context.target.arn,
      detail: `put ${ref.label} back in service in Auto Scaling group ${group}${decision.kind === 'wait' ? ' once it has finished entering standby' : ''} (adds one to the group's desired capacity)`,
    });
  }
  const deleted = new Set(groupChanges(isolated, 'DeleteSecurityGroup', 'allow-all').map((change) => change.groupId));
  for (const group of groupChanges(isolated, 'CreateSecurityGroup', 'allow-all')) {
    if (deleted.has(group.groupId)) continue;
    changes.push({ call: 'ec2:DeleteSecurityGroup', target: ec2Arn(context, ref, 'security-group', group.groupId), detail: `delete the allow-all group ${group.groupId} isolation left behind` });
  }
  return changes;
}
