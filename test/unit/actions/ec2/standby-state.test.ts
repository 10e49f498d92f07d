import { describe, expect, it } from 'vitest';
import { changeSchema, instanceStateSchema, type InstanceState } from '#shared/actions/ec2/isolation-state.ts';
import {
  exitDecision,
  refusalMessage,
  standbyDrift,
  standbyPlan,
  standbyResult,
  type AutoScalingState,
  type EnterStandbyChange,
} from '#shared/actions/ec2/standby-state.ts';

function inGroup(lifecycleState: string, autoScalingGroupName = 'web'): AutoScalingState {
  return { autoScalingGroupName, lifecycleState, healthStatus: 'HEALTHY' };
}

const entered: EnterStandbyChange = { action: 'EnterStandby', autoScalingGroupName: 'web', shouldDecrementDesiredCapacity: false };

describe('standbyPlan (what isolation does about the instance\'s Auto Scaling group)', () => {
  it('enters Standby for an instance InService in a group, and does nothing for one in no group', () => {
    expect(standbyPlan(inGroup('InService'))).toEqual({ kind: 'enter', autoScalingGroupName: 'web' });
    expect(standbyPlan(undefined)).toEqual({ kind: 'notInGroup' });
  });

  it('isolates without Standby an instance already on standby, leaving the group, or being terminated by it, saying why', () => {
    for (const state of ['Standby', 'EnteringStandby', 'Detaching', 'Detached', 'Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated']) {
      const plan = standbyPlan(inGroup(state));
      expect(plan, state).toMatchObject({ kind: 'proceed', autoScalingGroupName: 'web', lifecycleState: state });
      expect(plan.kind === 'proceed' ? plan.reason : '', state).not.toBe('');
    }
    expect(standbyPlan(inGroup('Standby'))).toMatchObject({ reason: expect.stringContaining('not by this action') as string });
    expect(standbyPlan(inGroup('Terminating:Wait'))).toMatchObject({ reason: expect.stringContaining('DeleteOnTermination') as string });
  });

  it('refuses an instance still launching, in a warm pool, or in a state it does not know: the group would health-check it once isolated', () => {
    for (const state of ['Pending', 'Pending:Wait', 'Pending:Proceed', 'Warmed:Pending', 'Warmed:Running', 'Warmed:Stopped', 'Warmed:Hibernated', 'Quarantined', 'SomethingNew']) {
      expect(standbyPlan(inGroup(state)), state).toMatchObject({ kind: 'refuse', lifecycleState: state });
    }
    const plan = standbyPlan(inGroup('Pending:Wait'));
    if (plan.kind !== 'refuse') throw new Error('expected a refusal');
    expect(refusalMessage('EC2 instance i-0123456789abcdef0 in eu-west-1', plan)).toBe(
      `EC2 instance i-0123456789abcdef0 in eu-west-1 is Pending:Wait in Auto Scaling group web, so it is not isolated: ${plan.reason}. Nothing was changed.`,
    );
  });
});

describe('exitDecision (whether undo puts the instance back in service)', () => {
  it('exits Standby only when isolation entered it and the instance is still on standby in that same group', () => {
    expect(exitDecision(entered, inGroup('Standby'))).toEqual({ kind: 'exit', autoScalingGroupName: 'web' });
  });

  it('does nothing when isolation entered no Standby, even for an instance on standby', () => {
    expect(exitDecision(undefined, inGroup('Standby'))).toEqual({ kind: 'nothingEntered' });
  });

  it('waits while isolation\'s Standby is still being entered', () => {
    expect(exitDecision(entered, inGroup('EnteringStandby'))).toEqual({ kind: 'wait' });
  });

  it('leaves as found an instance back in service by hand, moved to another group, detached, or gone from every group', () => {
    expect(exitDecision(entered, inGroup('InService'))).toEqual({ kind: 'leaveAsFound' });
    expect(exitDecision(entered, inGroup('Standby', 'other'))).toEqual({ kind: 'leaveAsFound' });
    expect(exitDecision(entered, inGroup('Detached'))).toEqual({ kind: 'leaveAsFound' });
    expect(exitDecision(entered, undefined)).toEqual({ kind: 'leaveAsFound' });
  });
});

describe('standbyDrift (the group\'s part of an undo\'s drift)', () => {
  it('adds nothing when isolation entered no Standby', () => {
    expect(standbyDrift(undefined, inGroup('InService'))).toEqual({});
  });

  it('reports no change while the instance is on standby in the group isolation left it in', () => {
    expect(standbyDrift(entered, inGroup('Standby'))).toEqual({ standbyChangedSince: null });
  });

  it('reports what isolation left and what is there now', () => {
    expect(standbyDrift(entered, inGroup('InService'))).toEqual({
      standbyChangedSince: { leftByIsolation: { autoScalingGroupName: 'web', lifecycleState: 'Standby' }, now: { autoScalingGroupName: 'web', lifecycleState: 'InService' } },
    });
    expect(standbyDrift(entered, inGroup('Standby', 'other'))).toMatchObject({ standbyChangedSince: { now: { autoScalingGroupName: 'other', lifecycleState: 'Standby' } } });
    expect(standbyDrift(entered, undefined)).toMatchObject({ standbyChangedSince: { now: null } });
  });
});

describe('standbyResult (the group\'s part of isolate\'s result)', () => {
  it('adds nothing for an instance in no group', () => {
    expect(standbyResult(undefined, { kind: 'notInGroup' }, [])).toEqual({});
  });

  it('says Standby was entered without decrementing the desired capacity, and why', () => {
    expect(standbyResult(inGroup('InService'), { kind: 'enter', autoScalingGroupName: 'web' }, [entered])).toMatchObject({
      autoScaling: { autoScalingGroupName: 'web', lifecycleStateBefore: 'InService', standby: { entered: true, shouldDecrementDesiredCapacity: false } },
    });
  });

  it('says why Standby was not entered', () => {
    const plan = standbyPlan(inGroup('Detaching'));
    expect(standbyResult(inGroup('Detaching'), plan, [])).toEqual({
      autoScaling: { autoScalingGroupName: 'web', lifecycleStateBefore: 'Detaching', standby: { entered: false, reason: plan.kind === 'proceed' ? plan.reason : '' } },
    });
  });
});

describe('the recorded Standby state', () => {
  const instance: InstanceState = {
    instance: { id: 'i-0123456789abcdef0', state: 'running' },
    disableApiTermination: false,
    shutdownBehavior: 'stop',
    volumes: [],
    networkInterfaces: [],
    isolationGroups: [],
  };

  it('reads a prior with the instance\'s group, and one without (an instance in no group, or recorded before Standby)', () => {
    expect(instanceStateSchema.parse({ ...instance, autoScaling: inGroup('InService') })).toEqual({ ...instance, autoScaling: inGroup('InService') });
    expect(instanceStateSchema.parse(instance)).toEqual(instance);
  });

  it('reads the Standby changes, and never a Standby that decremented the desired capacity (this service makes none)', () => {
    expect(changeSchema.parse(entered)).toEqual(entered);
    expect(changeSchema.parse({ action: 'ExitStandby', autoScalingGroupName: 'web' })).toEqual({ action: 'ExitStandby', autoScalingGroupName: 'web' });
    expect(changeSchema.safeParse({ ...entered, shouldDecrementDesiredCapacity: true }).success).toBe(false);
    expect(changeSchema.safeParse({ action: 'EnterStandby', shouldDecrementDesiredCapacity: false }).success).toBe(false);
  });
});
