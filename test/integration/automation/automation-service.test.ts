/**
 * AutomationService deciding the finding fixtures against rules, on one dynalite history table
 * with the real decision log, dedup store, rate limiter, ActionService, ApprovalService and
 * PlanService; see test/support/automation-fakes.ts for the three ports that are stand-ins and
 * where each is tested for real. Each outcome is asserted exactly, with what was (not) written.
 */
import { describe, expect, it } from 'vitest';
import { execScopes, readScopes } from '#shared/auth/scopes.ts';
import type { EventAnswer } from '#shared/automation/types.ts';
import { FixedClock } from '#shared/clock.ts';
import { InvalidFindingError } from '#shared/findings/index.ts';
import { automationConfig, automationStack, oneRule } from '#test/support/automation-fakes.ts';
import type { AutomationStack } from '#test/support/automation-fakes.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { fixture } from '#test/unit/findings/fixtures.ts';

const dynalite = useDynalite();
const receivedAt = new Date('2026-12-05T12:00:00Z');
const context = { receivedAt, caller: 'eventbridge' };
const reader = { sub: 'reader', scopes: new Set<string>([readScopes.containment, readScopes['data-gathering']]) };
const approver = { sub: 'approver', scopes: new Set<string>([execScopes.containment, execScopes['data-gathering']]) };

const backdoor = 'written/guardduty-backdoor-ec2.json';
const backdoorInstance = 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890';
const backdoorId = 'c3d4e5f60718293a4b5c6d7e8f90a1b2';
const isolateRule = (mode: string, extra = '') => oneRule('isolate-backdoor', mode, 'guardduty', ['Backdoor:EC2/*', 'UnauthorizedAccess:EC2/*'], 'isolate-ec2-instance', extra);

async function stack(rulesYaml: string, options: Partial<Parameters<typeof automationStack>[0]> = {}): Promise<AutomationStack> {
  return automationStack({ endpoint: dynalite.endpoint, clock: new FixedClock(receivedAt), rulesYaml, ...options });
}

/** The one decision of the answer's one finding. */
function onlyDecision(answer: EventAnswer) {
  expect(answer.findings).toHaveLength(1);
  expect(answer.findings[0]?.decisions).toHaveLength(1);
  const [decision] = answer.findings[0]?.decisions ?? [];
  if (decision === undefined) throw new Error('one decision');
  return decision;
}

async function records(subject: AutomationStack) {
  return (await subject.repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items;
}

async function logged(subject: AutomationStack) {
  return (await subject.log.list({})).items;
}

describe('AutomationService: sample findings', () => {
  it('never acts on a GuardDuty sample finding (suppressed), and a dry-run rule still plans it', async () => {
    // Prepare: the backdoor finding as CreateSampleFindings marks it
    const sample = structuredClone(fixture(backdoor)) as { detail: { service: { additionalInfo?: Record<string, unknown> } } };
    sample.detail.service.additionalInfo = { ...sample.detail.service.additionalInfo, sample: true };
    const enforcing = await stack(isolateRule('enforce'));

    // Act
    const enforced = await enforcing.service.receive(sample, context);
    const planned = await (await stack(isolateRule('dry-run'))).service.receive(sample, context);

    // Assess
    expect(onlyDecision(enforced)).toMatchObject({ outcome: 'suppressed', actionIds: [] });
    expect(onlyDecision(enforced).reason).toContain('sample finding');
    expect(await records(enforcing)).toEqual([]);
    expect(enforcing.starter.started).toEqual([]);
    expect(onlyDecision(planned)).toMatchObject({ outcome: 'planned' });
  });
});

describe('AutomationService: enforce, dry-run and approval', () => {
  it('enforce: creates the action as automation:<rule>, with its trigger, and records the decision', async () => {
    // Prepare
    const subject = await stack(isolateRule('enforce'));

    // Act
    const answer = await subject.service.receive(fixture(backdoor), context);

    // Assess
    const [record] = await records(subject);
    expect(answer).toEqual({
      eventId: '6f1d2a40-3c1e-4b5a-9d7e-0a1b2c3d4e03',
      source: 'guardduty',
      findings: [
        {
          findingId: backdoorId,
          findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
          severity: 'HIGH',
          resource: { key: backdoorInstance, kind: 'aws.ec2.instance' },
          decisions: [
            {
              ruleId: 'isolate-backdoor',
              outcome: 'executed',
              reason: `created isolate-ec2-instance on ${backdoorInstance} (action ${record?.id ?? ''})`,
              actionIds: [record?.id],
              playbookRunId: null,
              approvalId: null,
              plan: null,
            },
          ],
        },
      ],
    });
    expect(record).toMatchObject({
      type: 'isolate-ec2-instance',
      inputs: { 'aws.resource.arn': backdoorInstance },
      createdBy: 'automation:isolate-backdoor',
      reason: `rule isolate-backdoor: guardduty finding Backdoor:EC2/C&CActivity.B!DNS (${backdoorId}), event ${answer.eventId}`,
      trigger: { source: 'guardduty', eventId: answer.eventId, findingId: backdoorId, findingType: 'Backdoor:EC2/C&CActivity.B!DNS', ruleId: 'isolate-backdoor', approvedBy: null },
    });
    expect(subject.starter.started.map((started) => started.id)).toEqual([record?.id]);
    expect(await logged(subject)).toEqual([
      {
        eventId: answer.eventId,
        receivedAt: receivedAt.toISOString(),
        source: 'guardduty',
        findingId: backdoorId,
        findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
        ruleId: 'isolate-backdoor',
        outcome: 'executed',
        reason: onlyDecision(answer).reason,
        actionIds: [record?.id],
        approvalId: null,
        playbookRunId: null,
      },
    ]);
  });

  it('dry-run: records the plan and changes nothing, once per finding within the window', async () => {
    // Prepare
    const subject = await stack(isolateRule('dry-run'));

    // Act
    const first = await subject.service.receive(fixture(backdoor), context);
    const again = await subject.service.receive(fixture(backdoor), context);

    // Assess
    const planned = onlyDecision(first);
    expect(planned).toMatchObject({ ruleId: 'isolate-backdoor', outcome: 'planned', reason: `dry-run: planned isolate-ec2-instance on ${backdoorInstance}; nothing was changed`, actionIds: [], approvalId: null });
    expect(planned.plan).toMatchObject({
      type: 'isolate-ec2-instance',
      resource: { key: backdoorInstance, kind: 'aws.ec2.instance' },
      allowed: true,
      refusal: null,
      changes: [{ call: 'test:isolate-ec2-instance', target: backdoorInstance, detail: 'the planned change' }],
    });
    expect(onlyDecision(again)).toMatchObject({ outcome: 'deduplicated', actionIds: [], approvalId: null, plan: null });
    expect(await records(subject)).toEqual([]);
    expect(subject.starter.started).toEqual([]);
    expect((await logged(subject)).map((item) => item.outcome).sort()).toEqual(['deduplicated', 'planned']);
  });

  it('approval: requests an approval carrying the plan and creates nothing', async () => {
    // Prepare
    const subject = await stack(isolateRule('approval'));

    // Act
    const answer = await subject.service.receive(fixture(backdoor), context);

    // Assess
    const decision = onlyDecision(answer);
    const approval = await subject.approvals.get(reader, decision.approvalId ?? '');
    expect(decision).toMatchObject({
      outcome: 'awaiting-approval',
      reason: `approval mode: isolate-ec2-instance on ${backdoorInstance} waits for a person to approve approval ${approval.id}`,
      actionIds: [],
    });
    expect(approval).toMatchObject({
      status: 'pending',
      requestedBy: 'automation:isolate-backdoor',
      request: { type: 'isolate-ec2-instance', inputs: { 'aws.resource.arn': backdoorInstance } },
      trigger: { source: 'guardduty', findingId: backdoorId, ruleId: 'isolate-backdoor', approvedBy: null },
      plan: { type: 'isolate-ec2-instance', allowed: true },
    });
    expect(await records(subject)).toEqual([]);
    expect((await logged(subject)).map((item) => [item.outcome, item.approvalId])).toEqual([['awaiting-approval', approval.id]]);
  });

  it('enforce on a target APPROVAL_REQUIRED matches: an approval instead of the action', async () => {
    // Prepare
    const subject = await stack(isolateRule('enforce'), { approvalRequired: ['arn:aws:ec2:*:*:instance/*'] });

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(decision.outcome).toBe('awaiting-approval');
    expect(decision.reason).toBe(`isolate-ec2-instance on ${backdoorInstance} is on a target APPROVAL_REQUIRED matches: it waits for a person to approve approval ${decision.approvalId ?? ''}`);
    expect((await subject.approvals.get(reader, decision.approvalId ?? '')).requestedBy).toBe('automation:isolate-backdoor');
    expect(await records(subject)).toEqual([]);
  });

  it('counts an enforce rule\'s action that APPROVAL_REQUIRED gated once, not again when a person approves it', async () => {
    // Prepare: only the backdoor instance needs an approval; the rule may act twice an hour
    const subject = await stack(isolateRule('enforce', '    maxActionsPerHour: 2\n'), { approvalRequired: [backdoorInstance] });
    const gated = onlyDecision(await subject.service.receive(fixture(backdoor), context));
    await subject.approvals.approve(approver, gated.approvalId ?? '', 'confirmed on the console');

    // Act
    const second = onlyDecision(await subject.service.receive(fixture('written/guardduty-unauthorized-access-ec2.json'), context));

    // Assess
    expect(gated.outcome).toBe('awaiting-approval');
    expect(second.outcome).toBe('executed');
    expect((await records(subject)).map((record) => [record.createdBy, record.trigger?.approvedBy])).toEqual(
      expect.arrayContaining([['automation:isolate-backdoor', 'approver'], ['automation:isolate-backdoor', null]]),
    );
  });

  it('counts an approval-mode rule\'s action when a person approves it', async () => {
    // Prepare
    const subject = await stack(isolateRule('approval', '    maxActionsPerHour: 1\n'));
    const requested = onlyDecision(await subject.service.receive(fixture(backdoor), context));
    await subject.approvals.approve(approver, requested.approvalId ?? '', 'confirmed');

    // Act: the next finding's approval is requested (requests are not counted), its enforce twin would be limited
    const next = onlyDecision(await subject.service.receive(fixture('written/guardduty-unauthorized-access-ec2.json'), context));
    const base = fixture(backdoor) as { detail: Record<string, unknown> };
    const another = { ...base, detail: { ...base.detail, id: 'd4e5f60718293a4b5c6d7e8f90a1b2c4' } };
    const enforced = onlyDecision(await subject.restart(isolateRule('enforce', '    maxActionsPerHour: 1\n')).receive(another, context));

    // Assess
    expect(next.outcome).toBe('awaiting-approval');
    expect(enforced.outcome).toBe('rate-limited');
  });

  it('decides a finding under every rule that matches it, in the file order', async () => {
    // Prepare
    const rules = `${isolateRule('enforce')}  - id: plan-everything
    description: plans for every GuardDuty finding
    mode: dry-run
    match: { source: guardduty, types: ["*"] }
    run: { action: cloud-volume-snapshot }
`;
    const subject = await stack(rules);

    // Act
    const answer = await subject.service.receive(fixture(backdoor), context);

    // Assess
    expect(answer.findings[0]?.decisions.map((decision) => [decision.ruleId, decision.outcome])).toEqual([
      ['isolate-backdoor', 'executed'],
      ['plan-everything', 'planned'],
    ]);
    expect((await logged(subject)).map((item) => item.ruleId).sort()).toEqual(['isolate-backdoor', 'plan-everything']);
  });
});

describe('AutomationService: what is never acted on', () => {
  it('suppressed: an archived finding is recorded and nothing is asked of anyone', async () => {
    // Prepare
    const subject = await stack(oneRule('isolate-trojan', 'enforce', 'guardduty', ['Trojan:EC2/*'], 'isolate-ec2-instance'));

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture('written/guardduty-trojan-ec2-archived.json'), context));

    // Assess
    expect(decision).toEqual({
      ruleId: 'isolate-trojan', outcome: 'suppressed', reason: 'the finding is suppressed at its source: archived in GuardDuty (service.archived is true); nothing is done',
      actionIds: [], playbookRunId: null, approvalId: null, plan: null,
    });
    expect(subject.exemptions.checked).toEqual([]);
    expect(await records(subject)).toEqual([]);
    expect((await logged(subject)).map((item) => item.outcome)).toEqual(['suppressed']);
  });

  it('unmapped: says what the finding lacks', async () => {
    // Prepare
    const subject = await stack(oneRule('isolate-k8s', 'enforce', 'guardduty', ['*:Kubernetes/*'], 'isolate-network'));

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture('written/guardduty-kubernetes-cluster-only.json'), context));

    // Assess
    expect(decision.outcome).toBe('unmapped');
    expect(decision.reason).toBe('isolate-network has nothing to act on: the finding names no Kubernetes workload (resource.kubernetesDetails.kubernetesWorkloadDetails name, type and namespace)');
    expect(await records(subject)).toEqual([]);
  });

  it('refused: an account outside TARGET_ACCOUNTS, before any exemption read, claim or count', async () => {
    // Prepare: the role session's finding is about account 444455556666
    const subject = await stack(oneRule('quarantine', 'enforce', 'guardduty', ['Stealth:IAMUser/*'], 'iam-quarantine', '    maxActionsPerHour: 1\n'));

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture('written/guardduty-stealth-role-session.json'), context));

    // Assess
    expect(decision).toMatchObject({ outcome: 'refused', reason: 'account 444455556666 is not in TARGET_ACCOUNTS; nothing is done', actionIds: [] });
    expect(subject.exemptions.checked).toEqual([]);
    expect(await records(subject)).toEqual([]);
    expect(await subject.rates.state('quarantine')).toEqual({ tripped: false, trippedAt: null, reason: null });
  });

  it('refused: a protected target, and TARGET_ACCOUNTS=* still refuses it', async () => {
    // Prepare
    const subject = await stack(oneRule('quarantine', 'enforce', 'guardduty', ['CredentialAccess:*'], 'iam-quarantine'), {
      config: automationConfig({ targetAccounts: { all: true } }),
    });

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture('written/guardduty-credential-access-iam-user.json'), context));

    // Assess
    expect(decision).toMatchObject({
      outcome: 'refused',
      reason: 'arn:aws:iam::111122223333:user/deploy-bot is a protected target (PROTECTED_TARGETS, root or a member role); nothing is done',
    });
    expect(await records(subject)).toEqual([]);
  });

  it("refused: a rule's own inputs cannot aim an action past TARGET_ACCOUNTS", async () => {
    // Prepare: the finding is in an allowed account; the rule names a bucket's account that is not
    const extra = '      inputs: { "aws.account.id": "999988887777" }\n';
    const subject = await stack(oneRule('private', 'enforce', 'guardduty', ['Policy:S3/*'], 'make-cloud-resource-private', extra));

    // Act
    const decision = onlyDecision(await subject.service.receive(fixture('written/guardduty-policy-s3.json'), context));

    // Assess
    expect(decision).toMatchObject({ outcome: 'refused', reason: 'account 999988887777 is not in TARGET_ACCOUNTS; nothing is done' });
    expect(await records(subject)).toEqual([]);
  });

  it('exempt: a tagged target is recorded exempt, takes no claim, and acts once untagged', async () => {
    // Prepare
    const subject = await stack(isolateRule('enforce'));
    subject.exemptions.exempt.add(backdoorInstance);

    // Act
    const exempt = onlyDecision(await subject.service.receive(fixture(backdoor), context));
    subject.exemptions.exempt.delete(backdoorInstance);
    const later = onlyDecision(await subject.service.receive(fixture(backdoor), context));

    // Assess
    expect(exempt).toMatchObject({ outcome: 'exempt', reason: `${backdoorInstance} is tagged response-actions:exempt=true`, actionIds: [] });
    expect(later.outcome).toBe('executed');
    expect(await records(subject)).toHaveLength(1);
  });

  it('unmapped on a finding naming a hundred buckets: the reason is cut at 2000 characters and still recorded', async () => {
    // Prepare
    const subject = await stack(oneRule('kill-on-s3', 'enforce', 'guardduty', ['Exfiltration:S3/*'], 'kill-process'));
    const base = fixture('written/guardduty-exfiltration-s3.json') as { detail: { resource: Record<string, unknown> } };
    const buckets = Array.from({ length: 100 }, (_, n) => ({ arn: `arn:aws:s3:::exports-${n}`, name: `exports-${n}`, type: 'Destination' }));
    const body = { ...base, detail: { ...base.detail, resource: { ...base.detail.resource, s3BucketDetails: buckets } } };

    // Act
    const decision = onlyDecision(await subject.service.receive(body, context));

    // Assess
    expect(decision.outcome).toBe('unmapped');
    expect(decision.reason).toHaveLength(2000);
    expect(decision.reason).toMatch(/^kill-process cannot act on what the finding names: aws\.s3\.bucket "arn:aws:s3:::exports-0" lacks host\.id, process\.id .*…$/);
    expect((await logged(subject)).map((item) => item.reason)).toEqual([decision.reason]);
  });

  it('malformed: a 400 with nothing recorded, decided or created', async () => {
    // Prepare
    const subject = await stack(isolateRule('enforce'));
    const body = { ...(fixture(backdoor) as Record<string, unknown>), detail: { schemaVersion: '2.0' } };

    // Act
    const received = subject.service.receive(body, context);

    // Assess
    await expect(received).rejects.toBeInstanceOf(InvalidFindingError);
    expect(await logged(subject)).toEqual([]);
    expect(await records(subject)).toEqual([]);
    expect(subject.exemptions.checked).toEqual([]);
  });

  it('a sender the authorize hook refuses: its error, with nothing decided or recorded', async () => {
    // Prepare
    const subject = await stack(isolateRule('enforce'));
    const refused = new Error('this token may post only falco findings');

    // Act
    const received = subject.service.receive(fixture(backdoor), { ...context, authorize: () => { throw refused; } });

    // Assess
    await expect(received).rejects.toBe(refused);
    expect(await logged(subject)).toEqual([]);
    expect(await records(subject)).toEqual([]);
  });
});
