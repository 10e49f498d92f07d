/**
 * Rules that run a playbook (issue 13), deciding the finding fixtures on one dynalite history table
 * with the real decision log, dedup store, rate limiter, ApprovalService, PlanService and
 * PlaybookRunService with its store; see test/support/automation-fakes.ts for the ports that are
 * stand-ins (the run starter records the runs it is asked to start and runs no step).
 */
import { describe, expect, it } from 'vitest';
import { approvalSchema } from '#shared/approvals/approval-schema.ts';
import { execScopes, readScopes } from '#shared/auth/scopes.ts';
import type { EventAnswer } from '#shared/automation/types.ts';
import { FixedClock } from '#shared/clock.ts';
import { InvalidInputError } from '#shared/errors.ts';
import type { PlaybookPlan } from '#shared/playbooks/types.ts';
import { automationStack, type AutomationStack } from '#test/support/automation-fakes.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { fixture } from '#test/unit/findings/fixtures.ts';

const dynalite = useDynalite();
const receivedAt = new Date('2026-12-05T12:00:00Z');
const context = { receivedAt, caller: 'eventbridge' };
const bothCategories = ['containment', 'data-gathering'] as const;
const approver = { sub: 'approver', scopes: new Set<string>([execScopes.containment, execScopes['data-gathering']]) };
const reader = { sub: 'reader', scopes: new Set<string>([readScopes.containment, readScopes['data-gathering']]) };

const backdoor = 'written/guardduty-backdoor-ec2.json';
const backdoorInstance = 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890';
const backdoorId = 'c3d4e5f60718293a4b5c6d7e8f90a1b2';

/** A one-rule file whose rule runs `playbook` on GuardDuty EC2 findings; `extra` is more YAML lines of the rule. */
function playbookRule(mode: string, playbook = 'ec2-instance-compromise', extra = ''): string {
  return `rules:
  - id: ec2-playbook
    description: runs a playbook on a compromised instance
    mode: ${mode}
    match:
      source: guardduty
      types: ["Backdoor:EC2/*", "CredentialAccess:*", "Policy:S3/*"]
    run:
      playbook: ${playbook}
${extra}`;
}

async function stack(rulesYaml: string, options: Partial<Parameters<typeof automationStack>[0]> = {}): Promise<AutomationStack> {
  return automationStack({ endpoint: dynalite.endpoint, clock: new FixedClock(receivedAt), rulesYaml, ...options });
}

function onlyDecision(answer: EventAnswer) {
  const decisions = answer.findings.flatMap((finding) => finding.decisions);
  expect(decisions).toHaveLength(1);
  const [decision] = decisions;
  if (decision === undefined) throw new Error('one decision');
  return decision;
}

async function storedRuns(subject: AutomationStack) {
  return (await subject.runs.list(approver, { limit: 100 })).items;
}

async function actionRecords(subject: AutomationStack) {
  return (await subject.repository.list({ limit: 100 }, [...bothCategories])).items;
}

describe('a rule running a playbook, enforce', () => {
  it('starts the run as automation:<rule id> with the finding as its trigger, and the decision and its log name the run', async () => {
    // Prepare
    const subject = await stack(playbookRule('enforce'));

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    const [run] = await storedRuns(subject);
    if (run === undefined) throw new Error('a run');
    expect(decision).toEqual({
      ruleId: 'ec2-playbook',
      outcome: 'executed',
      reason: `started playbook ec2-instance-compromise on ${backdoorInstance} (run ${run.id}); its steps' actions carry playbookRunId ${run.id}`,
      actionIds: [],
      playbookRunId: run.id,
      approvalId: null,
      plan: null,
    });
    expect(run).toMatchObject({
      playbook: 'ec2-instance-compromise',
      inputs: { 'aws.resource.arn': backdoorInstance },
      createdBy: 'automation:ec2-playbook',
      trigger: { source: 'guardduty', findingId: backdoorId, ruleId: 'ec2-playbook', approvedBy: null },
    });
    expect(run.reason).toMatch(new RegExp(`^rule ec2-playbook: guardduty finding Backdoor:EC2/\\S+ \\(${backdoorId}\\), event `));
    expect(subject.runStarter.started.map((started) => started.id)).toEqual([run.id]);
    const logged = (await subject.log.list({})).items;
    expect(logged).toEqual([expect.objectContaining({ ruleId: 'ec2-playbook', outcome: 'executed', playbookRunId: run.id, actionIds: [], approvalId: null })]);
  });

  it('starts one run however often the finding is delivered, and names it on the duplicates', async () => {
    // Prepare
    const subject = await stack(playbookRule('enforce'));
    const first = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Act
    const again = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(again).toMatchObject({ outcome: 'deduplicated', playbookRunId: first.playbookRunId, actionIds: [], approvalId: null });
    expect(await storedRuns(subject)).toHaveLength(1);
    expect(subject.runStarter.started).toHaveLength(1);
  });

  it('counts a run as one action towards the rule\'s limit', async () => {
    // Prepare: two findings on two instances, a rule allowed one action an hour
    const subject = await stack(playbookRule('enforce', 'ec2-instance-compromise', '    maxActionsPerHour: 1\n'));
    const other = structuredClone(fixture(backdoor)) as { id: string; detail: { id: string; resource: { instanceDetails: { instanceId: string } } } };
    other.id = 'another-event';
    other.detail.id = 'another-finding';
    other.detail.resource.instanceDetails.instanceId = 'i-0fedcba9876543210';

    // Act
    const first = onlyDecision(await subject.service.receive(fixture(backdoor), context));
    const second = onlyDecision(await subject.service.receive(other, context));

    // Assess
    expect(first.outcome).toBe('executed');
    expect(second.outcome).toBe('rate-limited');
    expect(await storedRuns(subject)).toHaveLength(1);
  });

  it('never starts a run on a target tagged exempt', async () => {
    // Prepare
    const subject = await stack(playbookRule('enforce'));
    subject.exemptions.exempt.add(backdoorInstance);

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(decision).toMatchObject({ outcome: 'exempt', reason: `${backdoorInstance} is tagged response-actions:exempt=true`, playbookRunId: null });
    expect(await storedRuns(subject)).toEqual([]);
    expect(subject.runStarter.started).toEqual([]);
  });

  it('refuses a run whose step would touch a protected target, naming the step; nothing is written', async () => {
    // Prepare: the credential finding is about deploy-bot, a protected user here
    const subject = await stack(playbookRule('enforce', 'aws-credential-compromise'));

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture('written/guardduty-credential-access-iam-user.json'), context));

    // Assess
    expect(decision).toMatchObject({
      outcome: 'refused',
      reason:
        'step cloudtrail (fetch-cloud-logs) of playbook aws-credential-compromise: arn:aws:iam::111122223333:user/deploy-bot is a protected target (PROTECTED_TARGETS, root or a member role); nothing is done',
      playbookRunId: null,
    });
    expect(await storedRuns(subject)).toEqual([]);
    expect(subject.exemptions.checked).toEqual([]);
  });

  it('refuses a rule\'s input that aims a step outside TARGET_ACCOUNTS; nothing is written', async () => {
    // Prepare: the rule names an instance in an account the service does not act in
    const elsewhere = 'arn:aws:ec2:eu-west-1:444455556666:instance/i-0a1b2c3d4e5f67890';
    const subject = await stack(playbookRule('enforce', 'ec2-instance-compromise', `      inputs:\n        aws.resource.arn: "${elsewhere}"\n`));

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(decision).toMatchObject({
      outcome: 'refused',
      reason: 'step snapshot (cloud-volume-snapshot) of playbook ec2-instance-compromise: account 444455556666 is not in TARGET_ACCOUNTS; nothing is done',
    });
    expect(await storedRuns(subject)).toEqual([]);
  });

  it('is unmapped when the finding names nothing the playbook takes', async () => {
    // Prepare: an S3 finding, and a playbook about an instance
    const subject = await stack(playbookRule('enforce'));

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture('written/guardduty-policy-s3.json'), context));

    // Assess
    expect(decision.outcome).toBe('unmapped');
    expect(decision.reason).toContain('playbook ec2-instance-compromise cannot act on what the finding names');
    expect(await storedRuns(subject)).toEqual([]);
  });

  it('turns into an approval where APPROVAL_REQUIRED matches a step\'s target, and starts nothing', async () => {
    // Prepare
    const subject = await stack(playbookRule('enforce'), { approvalRequired: ['arn:aws:ec2:*:*:instance/i-0a1b2c3d4e5f67890'] });

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(decision.outcome).toBe('awaiting-approval');
    const approval = await subject.approvals.get(approver, decision.approvalId ?? '');
    expect(approval).toMatchObject({ requestedBy: 'automation:ec2-playbook', request: { playbook: 'ec2-instance-compromise' }, status: 'pending' });
    expect(await storedRuns(subject)).toEqual([]);
  });
});

describe('a rule running a playbook, when starting it fails', () => {
  it('keeps the claim when the run may have been written, so a re-delivery starts no second run', async () => {
    // Prepare: the run is written, then the answer is lost (a timeout after the write)
    const subject = await stack(playbookRule('enforce'), {
      wrapRuns: (runs) => ({
        plan: (...args) => runs.plan(...args),
        createOnBehalf: async (...args) => {
          await runs.createOnBehalf(...args);
          throw new Error('socket hang up');
        },
      }),
    });

    // Act
    const failed = subject.service.receive(fixture(backdoor), context);
    await expect(failed).rejects.toThrow('socket hang up');
    const again = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    // Both decisions may carry the same receivedAt (newest first cannot order them): find each by its outcome.
    const logged = (await subject.log.list({})).items;
    expect(logged.map((each) => each.outcome).sort()).toEqual(['deduplicated', 'refused']);
    expect(logged.find((each) => each.outcome === 'refused')?.reason).toContain('the outcome is unknown: creating the playbook run failed, perhaps after it was written');
    expect(again.outcome).toBe('deduplicated');
    expect(await storedRuns(subject)).toHaveLength(1);
  });

  it('records a run the service refuses as refused, and gives the claim back', async () => {
    // Prepare: the run service refuses the inputs (as it would a run input changed since the rule was checked)
    const subject = await stack(playbookRule('enforce'), {
      wrapRuns: (runs) => ({
        plan: (...args) => runs.plan(...args),
        createOnBehalf: () => Promise.reject(new InvalidInputError([{ path: 'inputs.aws.resource.arn', message: 'is not an EC2 instance' }])),
      }),
    });

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));
    const again = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(decision).toMatchObject({ outcome: 'refused', playbookRunId: null });
    expect(decision.reason).toContain(`playbook ec2-instance-compromise on ${backdoorInstance} was refused: InvalidInputError`);
    expect(again.outcome).toBe('refused');
    expect(await storedRuns(subject)).toEqual([]);
  });
});

describe('a rule running a playbook, dry-run', () => {
  it('records refused, with the plan, when the plan refuses a step', async () => {
    // Prepare: the instance is gone, so its snapshot step is refused
    const subject = await stack(playbookRule('dry-run'));
    subject.cloudPlanner.missing.add(backdoorInstance);

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(decision.outcome).toBe('refused');
    expect(decision.reason).toContain(`the plan refuses playbook ec2-instance-compromise on ${backdoorInstance}: step snapshot (cloud-volume-snapshot on ${backdoorInstance}): TargetNotFound`);
    expect((decision.plan as PlaybookPlan).steps.map((step) => step.plan?.allowed)).toEqual([false, false]);
    expect(await storedRuns(subject)).toEqual([]);
  });

  it('answers every step\'s plan and writes no run', async () => {
    // Prepare
    const subject = await stack(playbookRule('dry-run'));

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(decision).toMatchObject({ outcome: 'planned', reason: `dry-run: planned playbook ec2-instance-compromise on ${backdoorInstance}; nothing was changed`, playbookRunId: null });
    const plan = decision.plan as PlaybookPlan;
    expect(plan.playbook).toBe('ec2-instance-compromise');
    expect(plan.steps.map((step) => [step.id, step.type, step.phase, step.plan?.allowed, step.plan?.resource.key])).toEqual([
      ['snapshot', 'cloud-volume-snapshot', 'evidence', true, backdoorInstance],
      ['isolate', 'isolate-ec2-instance', 'containment', true, backdoorInstance],
    ]);
    expect(await storedRuns(subject)).toEqual([]);
    expect(subject.runStarter.started).toEqual([]);
    expect(await actionRecords(subject)).toEqual([]);
  });
});

describe('a rule running a playbook, approval', () => {
  it('requests the run with its plan; approving starts it with trigger.approvedBy and links it', async () => {
    // Prepare
    const subject = await stack(playbookRule('approval'));
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Act
    const approved = await subject.approvals.approve(approver, decision.approvalId ?? '', 'confirmed');

    // Assess
    expect(decision).toMatchObject({ outcome: 'awaiting-approval', playbookRunId: null });
    expect((decision.plan as PlaybookPlan).steps.map((step) => step.id)).toEqual(['snapshot', 'isolate']);
    const [run] = await storedRuns(subject);
    if (run === undefined) throw new Error('a run');
    expect(run).toMatchObject({ createdBy: 'automation:ec2-playbook', trigger: { ruleId: 'ec2-playbook', findingId: backdoorId, approvedBy: 'approver' } });
    expect(approved).toMatchObject({ status: 'approved', playbookRunId: run.id, request: { playbook: 'ec2-instance-compromise', inputs: { 'aws.resource.arn': backdoorInstance } } });
    expect(approvalSchema.parse(approved)).toEqual(approved);
    expect(subject.runStarter.started.map((started) => started.id)).toEqual([run.id]);
  });

  it('refuses the approval to a decider who may read it but not run every step (403), and starts nothing', async () => {
    // Prepare
    const subject = await stack(playbookRule('approval'));
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));
    const containmentOnly = { sub: 'carol', scopes: new Set<string>([execScopes.containment, readScopes['data-gathering']]) };

    // Act
    const refused = subject.approvals.approve(containmentOnly, decision.approvalId ?? '', null);

    // Assess
    await expect(refused).rejects.toThrow('needs the data-gathering-response-actions.exec scope');
    expect(await storedRuns(subject)).toEqual([]);
    expect((await subject.approvals.get(reader, decision.approvalId ?? '')).status).toBe('pending');
  });
});

describe('a runtime without playbooks', () => {
  it('decides a playbook rule unmapped, and starts nothing', async () => {
    // Prepare: an automation built without the playbooks in force
    const subject = await stack(playbookRule('enforce'), { withoutPlaybooks: true });

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(decision).toMatchObject({ outcome: 'unmapped', reason: 'the rule runs playbook ec2-instance-compromise, which this runtime does not run; nothing is done' });
    expect(await storedRuns(subject)).toEqual([]);
  });
});
