/**
 * POST /v1/events answers each decision's plan only as far as the sender may read it: a plan shows
 * the target's state read through the member role. A playbook's plan is redacted step by step.
 */
import { describe, expect, it } from 'vitest';
import { withPlansReadable } from '#functions/api/post-event.ts';
import { eventsScope, readScopes } from '#shared/auth/scopes.ts';
import type { Decision, EventAnswer } from '#shared/automation/types.ts';
import type { Plan } from '#shared/plans/types.ts';
import type { PlaybookPlan } from '#shared/playbooks/types.ts';

const instance = 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890';

function planOf(type: string): Plan {
  return {
    type,
    resource: { key: instance, kind: 'aws.ec2.instance' },
    allowed: true,
    refusal: null,
    prior: { securityGroups: ['sg-1'] },
    changes: [{ call: `test:${type}`, target: instance, detail: 'the planned change' }],
    undo: { type: 'undo', restores: 'what it changed' },
    warnings: [],
  };
}

const playbookPlan: PlaybookPlan = {
  playbook: 'ec2-instance-compromise',
  steps: [
    { id: 'snapshot', type: 'cloud-volume-snapshot', phase: 'evidence', plan: planOf('cloud-volume-snapshot'), note: null },
    { id: 'isolate', type: 'isolate-ec2-instance', phase: 'containment', plan: planOf('isolate-ec2-instance'), note: null },
    { id: 'later', type: 'isolate-ec2-instance', phase: 'containment', plan: null, note: 'needs the result of step snapshot' },
  ],
};

function answerWith(plan: Plan | PlaybookPlan): EventAnswer {
  const decision: Decision = { ruleId: 'r-1', outcome: 'planned', reason: 'dry-run', actionIds: [], playbookRunId: null, approvalId: null, plan };
  return { eventId: 'e-1', source: 'guardduty', findings: [{ findingId: 'f-1', findingType: 'Backdoor:EC2/X', severity: 'HIGH', resource: null, decisions: [decision] }] };
}

function stepsOf(answer: EventAnswer): PlaybookPlan['steps'] {
  const plan = answer.findings[0]?.decisions[0]?.plan;
  if (plan === null || plan === undefined || !('steps' in plan)) throw new Error('a playbook plan');
  return plan.steps;
}

const redacted = { prior: null, changes: [], undo: null };

describe('withPlansReadable, a playbook plan', () => {
  it('keeps every step\'s verdict but hides each state and call from an events-only sender', () => {
    // Act
    const steps = stepsOf(withPlansReadable({ sub: 'sidekick', scopes: new Set([eventsScope]) }, answerWith(playbookPlan)));

    // Assess
    expect(steps.map((step) => step.plan === null ? null : { allowed: step.plan.allowed, prior: step.plan.prior, changes: step.plan.changes, undo: step.plan.undo })).toEqual([
      { allowed: true, ...redacted },
      { allowed: true, ...redacted },
      null,
    ]);
    expect(steps[2]?.note).toBe('needs the result of step snapshot');
  });

  it('shows a step to a sender who may read its category, and only that step', () => {
    // Act
    const steps = stepsOf(withPlansReadable({ sub: 'sidekick', scopes: new Set([eventsScope, readScopes.containment]) }, answerWith(playbookPlan)));

    // Assess
    expect(steps[0]?.plan).toMatchObject(redacted);
    expect(steps[1]?.plan).toEqual(planOf('isolate-ec2-instance'));
  });

  it('leaves an action\'s plan handled as before', () => {
    // Act
    const plan = withPlansReadable({ sub: 'sidekick', scopes: new Set([eventsScope]) }, answerWith(planOf('isolate-ec2-instance'))).findings[0]?.decisions[0]?.plan;

    // Assess
    expect(plan).toEqual({ ...planOf('isolate-ec2-instance'), ...redacted });
  });
});
