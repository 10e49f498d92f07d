/**
 * What isolate-ec2-instance decides about the instance's Auto Scaling group, and what its undo
 * reports, with no AWS call (unit-tested without an emulator). An isolated instance fails its
 * group's health checks (its load balancer can no longer reach it), and the group would then
 * terminate it and the evidence with it: so an instance InService in a group goes into Standby
 * first, where the group neither health-checks it nor picks it for scale-in, and undo brings it
 * back only if it is still where isolation left it.
 *
 * ShouldDecrementDesiredCapacity is always false: Standby alone keeps the group from terminating
 * the instance; not decrementing lets the group launch a replacement, so the service keeps its
 * capacity while the isolated instance (which serves nothing any more) is held; and decrementing
 * is refused when it would take the desired capacity below the group's minimum (a fixed-size
 * group), which would leave the instance unprotected. The price: ExitStandby increments the
 * desired capacity, so after undo the group runs one instance more than before until its owner
 * or its scaling policies bring it back (undo reports this; it never terminates anything).
 */
// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { JsonObject } from '#shared/json.ts';

/** The instance's place in its group, as DescribeAutoScalingInstances reports it; absent from `prior` when no group has it. */
export const autoScalingStateSchema = z.object({
  autoScalingGroupName: z.string(),
  lifecycleState: z.string(),
  healthStatus: z.string(),
});
export type AutoScalingState = z.infer<typeof autoScalingStateSchema>;

/** The Standby changes, in the family's `changes` list (isolation-state.ts's changeSchema). */
export const enterStandbyChangeSchema = z.object({
  action: z.literal('EnterStandby'),
  autoScalingGroupName: z.string(),
  shouldDecrementDesiredCapacity: z.literal(false),
});
export const exitStandbyChangeSchema = z.object({ action: z.literal('ExitStandby'), autoScalingGroupName: z.string() });
export type EnterStandbyChange = z.infer<typeof enterStandbyChangeSchema>;
export type ExitStandbyChange = z.infer<typeof exitStandbyChangeSchema>;

/** Seconds between looks at an instance still EnteringStandby (its load balancer draining it). */
export const standbyWaitSeconds = 15;

/**
 * Looks isolation waits for Standby before isolating anyway (two minutes). A load balancer's
 * deregistration delay may be up to an hour, and containment must not wait that long; once
 * EnterStandby is accepted the instance is no longer InService, which is what the group's health
 * checks and scale-in act on.
 */
export const standbyWaitRounds = 8;

/** What isolation does about the group, decided from the instance's lifecycle state. */
export type StandbyPlan =
  | { readonly kind: 'notInGroup' }
  | { readonly kind: 'enter'; readonly autoScalingGroupName: string }
  /** Isolation goes ahead without Standby; `reason` goes into the record. */
  | { readonly kind: 'proceed'; readonly autoScalingGroupName: string; readonly lifecycleState: string; readonly reason: string }
  /** Nothing is changed: the action fails with AutoScalingLifecycle, `reason` its message. */
  | { readonly kind: 'refuse'; readonly autoScalingGroupName: string; readonly lifecycleState: string; readonly reason: string };

export function standbyPlan(state: AutoScalingState | undefined): StandbyPlan {
  if (state === undefined) return { kind: 'notInGroup' };
  const { autoScalingGroupName, lifecycleState } = state;
  const proceed = (reason: string): StandbyPlan => ({ kind: 'proceed', autoScalingGroupName, lifecycleState, reason });
  const refuse = (reason: string): StandbyPlan => ({ kind: 'refuse', autoScalingGroupName, lifecycleState, reason });
  if (lifecycleState === 'InService') return { kind: 'enter', autoScalingGroupName };
  if (lifecycleState === 'Standby' || lifecycleState === 'EnteringStandby') {
    return proceed('it was already put on standby, not by this action: the group neither health-checks it nor scales it in, and undo leaves it on standby');
  }
  if (lifecycleState === 'Detaching' || lifecycleState === 'Detached') {
    return proceed('it is leaving the group, which will then neither replace nor terminate it');
  }
  if (lifecycleState === 'Terminated' || lifecycleState.startsWith('Terminating')) {
    return proceed('the group is already terminating it and Standby cannot stop that; isolation still keeps its volumes (DeleteOnTermination off) as evidence');
  }
  if (lifecycleState.startsWith('Pending')) {
    return refuse(
      'it is still being launched into the group: Standby is possible only once it is InService, and isolated before that it would fail the group\'s health checks and be terminated; run isolate-ec2-instance again once it is InService',
    );
  }
  if (lifecycleState.startsWith('Warmed:')) {
    return refuse(
      'it is in the group\'s warm pool, where Standby is not possible and from which the group may put it into service (and health-check it) at any time; take it out of the warm pool (detach it) and run isolate-ec2-instance again',
    );
  }
  return refuse('this service does not know how to keep an instance in that state from the group\'s health checks');
}

/** The message of the AutoScalingLifecycle error for a refused plan. */
export function refusalMessage(label: string, plan: Extract<StandbyPlan, { kind: 'refuse' }>): string {
  return `${label} is ${plan.lifecycleState} in Auto Scaling group ${plan.autoScalingGroupName}, so it is not isolated: ${plan.reason}. Nothing was changed.`;
}

/** The Standby this action entered, if any (its own `changes`, or the isolation's for its undo). */
export function enteredStandby(changes: readonly { readonly action: string }[]): EnterStandbyChange | undefined {
  return changes.find((change): change is EnterStandbyChange => change.action === 'EnterStandby');
}

/** Where isolation left the group: on standby in the group it entered, else nothing. */
function leftByIsolation(entered: EnterStandbyChange): JsonObject {
  return { autoScalingGroupName: entered.autoScalingGroupName, lifecycleState: 'Standby' };
}

/**
 * Whether undo puts the instance back in service: only when isolation entered Standby and the
 * instance is still on standby in that same group. Anything else is drift, left as found.
 */
export type ExitDecision =
  | { readonly kind: 'nothingEntered' }
  | { readonly kind: 'exit'; readonly autoScalingGroupName: string }
  /** Isolation's EnterStandby has not finished (load balancer draining): look again. */
  | { readonly kind: 'wait' }
  | { readonly kind: 'leaveAsFound' };

export function exitDecision(entered: EnterStandbyChange | undefined, now: AutoScalingState | undefined): ExitDecision {
  if (entered === undefined) return { kind: 'nothingEntered' };
  if (now?.autoScalingGroupName !== entered.autoScalingGroupName) return { kind: 'leaveAsFound' };
  if (now.lifecycleState === 'Standby') return { kind: 'exit', autoScalingGroupName: entered.autoScalingGroupName };
  if (now.lifecycleState === 'EnteringStandby') return { kind: 'wait' };
  return { kind: 'leaveAsFound' };
}

/**
 * The group's part of an undo's drift: none when isolation entered no Standby; else
 * `standbyChangedSince`, null when the instance is still on standby in the same group, or what
 * isolation left and what is there now (now null: no group has the instance any more).
 */
export function standbyDrift(entered: EnterStandbyChange | undefined, now: AutoScalingState | undefined): JsonObject {
  if (entered === undefined) return {};
  const unchanged = now?.autoScalingGroupName === entered.autoScalingGroupName && ['Standby', 'EnteringStandby'].includes(now.lifecycleState);
  return {
    standbyChangedSince: unchanged
      ? null
      : {
          leftByIsolation: leftByIsolation(entered),
          now: now === undefined ? null : { autoScalingGroupName: now.autoScalingGroupName, lifecycleState: now.lifecycleState },
        },
  };
}

/**
 * The group's part of isolate's result: none for an instance in no group. `plan` is what the
 * last look at the group decided; once this action entered Standby, that is what counts.
 */
export function standbyResult(prior: AutoScalingState | undefined, plan: StandbyPlan, changes: readonly { readonly action: string }[]): JsonObject {
  if (prior === undefined && plan.kind === 'notInGroup') return {};
  const entered = enteredStandby(changes);
  const reason = plan.kind === 'proceed' || plan.kind === 'refuse' ? plan.reason : 'it is in no Auto Scaling group any more';
  return {
    autoScaling: {
      autoScalingGroupName: entered?.autoScalingGroupName ?? prior?.autoScalingGroupName ?? (plan.kind === 'notInGroup' ? null : plan.autoScalingGroupName),
      lifecycleStateBefore: prior?.lifecycleState ?? null,
      standby:
        entered === undefined
          ? { entered: false, reason }
          : {
              entered: true,
              shouldDecrementDesiredCapacity: false,
              reason: 'the group would terminate the isolated instance once it fails its health checks; it launches a replacement, and undo puts this one back in service',
            },
    },
  };
}
