/**
 * The Auto Scaling calls of isolation: reading the instance's group membership, Standby before
 * isolating, and back in service on undo. What they decide is in standby-state.ts.
 */
import type { JsonObject } from '#shared/json.ts';
import type { ChangeLog, StepProgress } from '../cloud-action.ts';
import { AutoScalingLifecycleError, AwsRequestFailedError } from '../errors.ts';
import type { Ec2Context, Ec2InstanceRef } from './ec2-api.ts';
import type { Change } from './isolation-state.ts';
import {
  enteredStandby,
  exitDecision,
  refusalMessage,
  standbyPlan,
  standbyWaitSeconds,
  type AutoScalingState,
  type StandbyPlan,
} from './standby-state.ts';

/** The instance's place in its Auto Scaling group; undefined when no group has it. */
export async function readAutoScalingState(context: Ec2Context, ref: Ec2InstanceRef): Promise<AutoScalingState | undefined> {
  const details = await context.clients.autoScaling.describeInstance(ref.region, ref.instanceId);
  if (details?.AutoScalingGroupName === undefined) return undefined;
  return {
    autoScalingGroupName: details.AutoScalingGroupName,
    lifecycleState: details.LifecycleState ?? 'unknown',
    healthStatus: details.HealthStatus ?? 'unknown',
  };
}

/** AutoScalingLifecycle when the plan refuses; otherwise the plan. */
export function refuseIfUnsafe(ref: Ec2InstanceRef, plan: StandbyPlan): StandbyPlan {
  if (plan.kind === 'refuse') throw new AutoScalingLifecycleError(refusalMessage(ref.label, plan));
  return plan;
}

/** Where the Standby step of isolation stands: still waiting for the group, or done; `plan` as last decided. */
export interface StandbyProgress {
  readonly pending: boolean;
  readonly plan: StandbyPlan;
}

/**
 * The Standby step of isolate's apply (and of its check, which continues it): an instance
 * InService in a group goes into Standby, recorded at once; pending while the group still moves
 * it (EnteringStandby lasts as long as its load balancer drains it). `prior` is the group as
 * capture found it.
 */
export async function ensureStandby(context: Ec2Context, ref: Ec2InstanceRef, prior: AutoScalingState | undefined, log: ChangeLog<Change>): Promise<StandbyProgress> {
  const now = await readAutoScalingState(context, ref);
  const plan = standbyPlan(now);
  const entered = enteredStandby(log.changes);
  if (entered !== undefined) {
    return { pending: now?.autoScalingGroupName === entered.autoScalingGroupName && now.lifecycleState === 'EnteringStandby', plan };
  }
  if (prior?.lifecycleState === 'InService' && plan.kind === 'proceed' && now?.autoScalingGroupName === prior.autoScalingGroupName && ['Standby', 'EnteringStandby'].includes(now.lifecycleState)) {
    // InService at capture, on standby now and not recorded: an earlier attempt of this apply put it there, so undo brings it back.
    await log.add({ action: 'EnterStandby', autoScalingGroupName: prior.autoScalingGroupName, shouldDecrementDesiredCapacity: false });
    return { pending: now.lifecycleState === 'EnteringStandby', plan };
  }
  refuseIfUnsafe(ref, plan);
  if (plan.kind !== 'enter') return { pending: false, plan };
  const outcome = await context.clients.autoScaling.enterStandby(ref.region, plan.autoScalingGroupName, ref.instanceId);
  if (!outcome.ok) {
    // Its state changed between the look and the call (the group began terminating it, say): decided again on what it is now.
    const again = refuseIfUnsafe(ref, standbyPlan(await readAutoScalingState(context, ref)));
    if (again.kind === 'enter') {
      throw new AwsRequestFailedError(`Auto Scaling refused to put ${ref.label} on standby in group ${plan.autoScalingGroupName} although it is InService (${outcome.code})`);
    }
    return { pending: false, plan: again };
  }
  await log.add({ action: 'EnterStandby', autoScalingGroupName: plan.autoScalingGroupName, shouldDecrementDesiredCapacity: false });
  const after = await readAutoScalingState(context, ref);
  return { pending: after?.lifecycleState === 'EnteringStandby', plan };
}

/** Where the undo's Standby step stands, and what it adds to the undo's result. */
export interface ServiceRestore {
  readonly progress: StepProgress;
  readonly result: JsonObject;
}

/**
 * The Standby step of unisolate (after interfaces and settings are restored): ExitStandby only
 * when isolation entered Standby and the instance is still on standby in that same group; moved,
 * detached, or back in service by hand is drift, left as found.
 */
export async function restoreService(context: Ec2Context, ref: Ec2InstanceRef, isolated: readonly Change[], log: ChangeLog<Change>): Promise<ServiceRestore> {
  const entered = enteredStandby(isolated);
  if (entered === undefined) return { progress: { pending: false }, result: {} };
  if (log.changes.some((change) => change.action === 'ExitStandby')) {
    return { progress: { pending: false }, result: { autoScaling: exitedResult(entered.autoScalingGroupName) } };
  }
  const now = await readAutoScalingState(context, ref);
  const decision = exitDecision(entered, now);
  if (decision.kind === 'wait') {
    return { progress: { pending: true, waitSeconds: standbyWaitSeconds }, result: { autoScaling: { exitedStandby: false, waitingFor: 'Standby' } } };
  }
  if (decision.kind === 'exit') {
    const outcome = await context.clients.autoScaling.exitStandby(ref.region, decision.autoScalingGroupName, ref.instanceId);
    if (outcome.ok) {
      await log.add({ action: 'ExitStandby', autoScalingGroupName: decision.autoScalingGroupName });
      return { progress: { pending: false }, result: { autoScaling: exitedResult(decision.autoScalingGroupName) } };
    }
    const again = await readAutoScalingState(context, ref);
    if (exitDecision(entered, again).kind === 'exit') {
      throw new AwsRequestFailedError(`Auto Scaling refused to put ${ref.label} back in service in group ${decision.autoScalingGroupName} although it is on standby (${outcome.code})`);
    }
    return { progress: { pending: false }, result: { autoScaling: leftAsFound(entered.autoScalingGroupName, again) } };
  }
  return { progress: { pending: false }, result: { autoScaling: leftAsFound(entered.autoScalingGroupName, now) } };
}

function exitedResult(autoScalingGroupName: string): JsonObject {
  return {
    autoScalingGroupName,
    exitedStandby: true,
    desiredCapacity: 'ExitStandby added one to the group\'s desired capacity (isolation did not take one off, so the group launched a replacement); its owner or its scaling policies bring it back',
  };
}

function leftAsFound(autoScalingGroupName: string, now: AutoScalingState | undefined): JsonObject {
  return {
    autoScalingGroupName,
    exitedStandby: false,
    reason:
      now === undefined
        ? 'no Auto Scaling group has the instance any more; left as found'
        : `it is ${now.lifecycleState} in group ${now.autoScalingGroupName}, not on standby where isolation left it; left as found`,
  };
}
