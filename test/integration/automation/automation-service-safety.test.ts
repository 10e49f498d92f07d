/**
 * AutomationService's safety rules on the real dedup store, rate limiter and decision log
 * (dynalite), with the real action, approval and plan services; the stand-in ports are described
 * in test/support/automation-fakes.ts. Dedup across re-deliveries and updates, the rate limit and
 * its reset, Kubernetes' deferred exemption, and one rule's failure never losing the others'.
 */
import { describe, expect, it } from 'vitest';
import type { EventAnswer } from '#shared/automation/types.ts';
import { FixedClock } from '#shared/clock.ts';
import { automationStack, oneRule } from '#test/support/automation-fakes.ts';
import type { AutomationStack } from '#test/support/automation-fakes.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { fixture } from '#test/unit/findings/fixtures.ts';

const dynalite = useDynalite();
const receivedAt = new Date('2026-12-05T12:00:00Z');
const context = { receivedAt, caller: 'eventbridge' };

const sshFirst = 'written/guardduty-unauthorized-access-ec2.json';
const sshUpdated = 'written/guardduty-unauthorized-access-ec2-updated.json';
const backdoor = 'written/guardduty-backdoor-ec2.json';
const sshInstance = 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0';
const isolateRule = (extra = '') => oneRule('isolate-ec2', 'enforce', 'guardduty', ['Backdoor:EC2/*', 'UnauthorizedAccess:EC2/*'], 'isolate-ec2-instance', extra);

async function stack(rulesYaml: string, clock = new FixedClock(receivedAt)): Promise<AutomationStack> {
  return automationStack({ endpoint: dynalite.endpoint, clock, rulesYaml });
}

function outcomes(answer: EventAnswer): [string, string][] {
  return answer.findings.flatMap((finding) => finding.decisions.map((decision): [string, string] => [decision.ruleId, decision.outcome]));
}

async function records(subject: AutomationStack) {
  return (await subject.repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items;
}

describe('AutomationService: dedup', () => {
  it('acts once on a finding delivered twice, naming the first action in the duplicate', async () => {
    // Prepare
    const subject = await stack(isolateRule());

    // Act
    const first = await subject.service.receive(fixture(sshFirst), context);
    const again = await subject.service.receive(fixture(sshFirst), context);

    // Assess
    const [record] = await records(subject);
    expect(first.findings[0]?.decisions[0]).toMatchObject({ outcome: 'executed', actionIds: [record?.id] });
    expect(again.findings[0]?.decisions[0]).toEqual({
      ruleId: 'isolate-ec2',
      outcome: 'deduplicated',
      reason: `this finding was already decided under this rule within 3600 s (event ${first.eventId}); it acts once however often it is delivered or updated`,
      actionIds: [record?.id],
      playbookRunId: null,
      approvalId: null,
      plan: null,
    });
    expect(await records(subject)).toHaveLength(1);
    // Both were received at the same instant, so the log's order between them is its id tie-break.
    expect((await subject.log.list({})).items.map((item) => item.outcome).sort()).toEqual(['deduplicated', 'executed']);
  });

  it('reads no exemption tag for a re-delivered finding: dedup answers before any call into the member account', async () => {
    // Prepare
    const subject = await stack(isolateRule());

    // Act
    await subject.service.receive(fixture(sshFirst), context);
    await subject.service.receive(fixture(sshFirst), context);
    await subject.service.receive(fixture(sshUpdated), context);

    // Assess
    expect(subject.exemptions.checked).toEqual([sshInstance]);
  });

  it('acts once on a finding delivered five times at once', async () => {
    // Prepare
    const subject = await stack(isolateRule());

    // Act
    const answers = await Promise.all(Array.from({ length: 5 }, () => subject.service.receive(fixture(sshFirst), context)));

    // Assess
    expect(answers.flatMap(outcomes).map(([, outcome]) => outcome).sort()).toEqual(['deduplicated', 'deduplicated', 'deduplicated', 'deduplicated', 'executed']);
    expect(await records(subject)).toHaveLength(1);
  });

  it('acts once on a finding GuardDuty updated (same id, new event, higher severity)', async () => {
    // Prepare
    const subject = await stack(isolateRule());

    // Act
    const first = await subject.service.receive(fixture(sshFirst), context);
    const updated = await subject.service.receive(fixture(sshUpdated), context);

    // Assess
    expect(updated.eventId).not.toBe(first.eventId);
    expect(outcomes(first)).toEqual([['isolate-ec2', 'executed']]);
    expect(outcomes(updated)).toEqual([['isolate-ec2', 'deduplicated']]);
    expect((await records(subject)).map((record) => record.inputs['aws.resource.arn'])).toEqual([sshInstance]);
  });

  it('acts again once dedupSeconds have passed', async () => {
    // Prepare
    const clock = new FixedClock(receivedAt);
    const subject = await stack(isolateRule('    dedupSeconds: 60\n'), clock);
    await subject.service.receive(fixture(sshFirst), context);

    // Act
    clock.advance(61_000);
    const later = await subject.service.receive(fixture(sshUpdated), context);

    // Assess
    expect(outcomes(later)).toEqual([['isolate-ec2', 'executed']]);
    expect(await records(subject)).toHaveLength(2);
  });
});

describe('AutomationService: dry-run to enforce', () => {
  it('acts on a finding the rule only planned, once an operator turns it to enforce', async () => {
    // Prepare
    const subject = await stack(oneRule('isolate-ec2', 'dry-run', 'guardduty', ['UnauthorizedAccess:EC2/*'], 'isolate-ec2-instance'));
    const planned = await subject.service.receive(fixture(sshFirst), context);

    // Act
    const enforced = await subject.restart(isolateRule()).receive(fixture(sshUpdated), context);

    // Assess
    expect(outcomes(planned)).toEqual([['isolate-ec2', 'planned']]);
    expect(outcomes(enforced)).toEqual([['isolate-ec2', 'executed']]);
  });

  it('records a plan the target refuses as refused, with the plan saying why, and plans it again on a re-delivery', async () => {
    // Prepare
    const subject = await stack(oneRule('plan-ec2', 'dry-run', 'guardduty', ['UnauthorizedAccess:EC2/*'], 'isolate-ec2-instance'));
    subject.cloudPlanner.missing.add(sshInstance);

    // Act
    const refused = await subject.service.receive(fixture(sshFirst), context);
    subject.cloudPlanner.missing.clear();
    const again = await subject.service.receive(fixture(sshFirst), context);

    // Assess
    const decision = refused.findings[0]?.decisions[0];
    expect(decision).toMatchObject({ outcome: 'refused', reason: `the plan refuses isolate-ec2-instance on ${sshInstance}: TargetNotFound: ${sshInstance} does not exist` });
    expect(decision?.plan).toMatchObject({ allowed: false, refusal: { code: 'TargetNotFound' } });
    expect(outcomes(again)).toEqual([['plan-ec2', 'planned']]);
  });
});

describe('AutomationService: rate limit', () => {
  it('stops the rule past maxActionsPerHour, gives the claim back, and acts on a re-delivery once reset', async () => {
    // Prepare
    const subject = await stack(isolateRule('    maxActionsPerHour: 1\n'));
    await subject.service.receive(fixture(backdoor), context);

    // Act
    const limited = await subject.service.receive(fixture(sshFirst), context);
    const stillLimited = await subject.service.receive(fixture(sshFirst), context);
    await subject.rates.reset('isolate-ec2', 'operator', receivedAt);
    const afterReset = await subject.service.receive(fixture(sshFirst), context);

    // Assess
    const decision = limited.findings[0]?.decisions[0];
    expect(decision).toMatchObject({ outcome: 'rate-limited', actionIds: [], approvalId: null });
    expect(decision?.reason).toMatch(/^rule isolate-ec2 stopped: .*it takes no action until an operator resets it$/);
    expect(outcomes(stillLimited)).toEqual([['isolate-ec2', 'rate-limited']]);
    expect(outcomes(afterReset)).toEqual([['isolate-ec2', 'executed']]);
    expect(await records(subject)).toHaveLength(2);
  });

  it('stops acting past 5 actions a minute in one account and region, across findings', async () => {
    // Prepare: six distinct backdoor findings on six instances of one account and region
    const subject = await stack(isolateRule());
    const base = fixture(backdoor) as { id: string; detail: { id: string; resource: { instanceDetails: { instanceId: string } } } };
    const bodies = Array.from({ length: 6 }, (_, n) => ({
      ...base,
      id: `6f1d2a40-3c1e-4b5a-9d7e-0a1b2c3d4e1${n}`,
      detail: { ...base.detail, id: `c3d4e5f60718293a4b5c6d7e8f90a1b${n}`, resource: { ...base.detail.resource, instanceDetails: { ...base.detail.resource.instanceDetails, instanceId: `i-0a1b2c3d4e5f6789${n}` } } },
    }));

    // Act
    const answers = [];
    for (const body of bodies) answers.push(await subject.service.receive(body, context));

    // Assess
    expect(answers.flatMap(outcomes).map(([, outcome]) => outcome)).toEqual(['executed', 'executed', 'executed', 'executed', 'executed', 'rate-limited']);
    expect(await records(subject)).toHaveLength(5);
  });

  it('never counts dry-run plans towards the limit', async () => {
    // Prepare
    const subject = await stack(oneRule('plan-ec2', 'dry-run', 'guardduty', ['*:EC2/*'], 'isolate-ec2-instance', '    maxActionsPerHour: 1\n'));

    // Act
    const answers = [
      await subject.service.receive(fixture(backdoor), context),
      await subject.service.receive(fixture(sshFirst), context),
      await subject.service.receive(fixture('written/guardduty-cryptocurrency-ec2-govcloud.json'), context),
    ];

    // Assess: the GovCloud finding's account is allowed too; each is planned, none limited
    expect(answers.flatMap(outcomes)).toEqual([
      ['plan-ec2', 'planned'],
      ['plan-ec2', 'planned'],
      ['plan-ec2', 'planned'],
    ]);
    expect(await subject.rates.state('plan-ec2')).toEqual({ tripped: false, trippedAt: null, reason: null });
  });
});

describe('AutomationService: exemptions and failures', () => {
  it('acts on a Kubernetes workload whose exemption only the responder can see, saying so', async () => {
    // Prepare
    const subject = await stack(oneRule('isolate-workload', 'enforce', 'guardduty', ['*:Runtime/*'], 'isolate-network'));

    // Act
    const answer = await subject.service.receive(fixture('written/guardduty-runtime-eks-deployment.json'), context);

    // Assess
    const [record] = await records(subject);
    expect(answer.findings[0]?.decisions[0]).toMatchObject({
      outcome: 'executed',
      reason: `created isolate-network on k8s/prod-eu/shop/deployment/checkout (action ${record?.id ?? ''}) (the Kubernetes responder checks the response-actions.io/exempt label before acting)`,
    });
    expect(record).toMatchObject({ executor: 'kubernetes', createdBy: 'automation:isolate-workload' });
  });

  it('refuses a target whose exemption tag cannot be read, takes no claim, and acts once it can be', async () => {
    // Prepare
    const subject = await stack(isolateRule());
    subject.exemptions.unknown.add(sshInstance);

    // Act
    const refused = await subject.service.receive(fixture(sshFirst), context);
    subject.exemptions.unknown.clear();
    const later = await subject.service.receive(fixture(sshFirst), context);

    // Assess
    expect(refused.findings[0]?.decisions[0]).toMatchObject({
      outcome: 'refused',
      reason: `cannot read the response-actions:exempt tag of ${sshInstance} (AccessDenied); not acting on it blindly; nothing is done`,
      actionIds: [],
    });
    expect(outcomes(later)).toEqual([['isolate-ec2', 'executed']]);
    expect(await records(subject)).toHaveLength(1);
  });

  it("records every rule's decision when one rule fails, gives its claim back, then throws for a retry", async () => {
    // Prepare: the bucket's tags cannot be read; the caller's user can be quarantined
    const rules = `${oneRule('private-bucket', 'enforce', 'guardduty', ['Policy:S3/*'], 'make-cloud-resource-private')}  - id: quarantine-caller
    description: quarantine whoever opened the bucket
    mode: enforce
    match: { source: guardduty, types: ["Policy:S3/*"] }
    run: { action: iam-quarantine }
`;
    const subject = await stack(rules);
    subject.exemptions.unreadable.add('arn:aws:s3:::orders-exports');

    // Act
    const received = subject.service.receive(fixture('written/guardduty-policy-s3.json'), context);

    // Assess
    await expect(received).rejects.toThrow('cannot read the tags of arn:aws:s3:::orders-exports');
    const logged = (await subject.log.list({})).items;
    expect(logged.map((item) => [item.ruleId, item.outcome]).sort()).toEqual([
      ['private-bucket', 'refused'],
      ['quarantine-caller', 'executed'],
    ]);
    expect(logged.find((item) => item.ruleId === 'private-bucket')?.reason).toBe(
      'nothing was done: reading its exemption tag failed (Error: cannot read the tags of arn:aws:s3:::orders-exports); a re-delivery of this finding decides it again',
    );
    expect((await records(subject)).map((record) => record.type)).toEqual(['iam-quarantine']);

    // Act: the re-delivery, with the tags readable again
    subject.exemptions.unreadable.clear();
    const retried = await subject.service.receive(fixture('written/guardduty-policy-s3.json'), context);

    // Assess
    expect(outcomes(retried)).toEqual([
      ['private-bucket', 'executed'],
      ['quarantine-caller', 'deduplicated'],
    ]);
  });

  it("records the other rules' decisions when deciding one rule throws outright", async () => {
    // Prepare: a rule set that skipped validation, naming an action the catalogue lacks, before a valid rule
    const subject = await stack(isolateRule());
    const [valid] = subject.service.rules().rules;
    if (valid === undefined) throw new Error('one rule');
    const broken = { ...valid, id: 'broken', run: { action: 'no-such-action' } };
    const service = subject.restart({ rules: [broken, valid], sha256: '0'.repeat(64), origin: 'test' });

    // Act
    const received = service.receive(fixture(sshFirst), context);

    // Assess
    await expect(received).rejects.toThrow('rule action no-such-action is not in the catalogue');
    expect((await subject.log.list({})).items.map((item) => [item.ruleId, item.outcome]).sort()).toEqual([
      ['broken', 'refused'],
      ['isolate-ec2', 'executed'],
    ]);
  });

  it('decides each finding of a Security Hub event on its own', async () => {
    // Prepare
    const subject = await stack(oneRule('private-s3', 'enforce', 'securityhub', ['S3.2', 'EC2.8'], 'make-cloud-resource-private'));

    // Act
    const answer = await subject.service.receive(fixture('written/securityhub-custom-action-several-findings.json'), context);

    // Assess
    expect(answer.findings.map((finding) => [finding.findingType, finding.decisions.map((decision) => decision.outcome)])).toEqual([
      ['S3.2', ['executed']],
      ['IAM.3', []],
      ['EC2.8', ['suppressed']],
      ['EC2.8', ['suppressed']],
    ]);
    expect((await records(subject)).map((record) => record.inputs['aws.resource.arn'])).toEqual(['arn:aws:s3:::orders-exports']);
  });

  it('plans a Falco rule as the responder work it would send', async () => {
    // Prepare
    const subject = await stack(oneRule('pause-shells', 'dry-run', 'falco', ['Terminal shell in container'], 'pause-container'));

    // Act
    const answer = await subject.service.receive(fixture('written/falco-terminal-shell-in-container.json'), context);

    // Assess
    const decision = answer.findings[0]?.decisions[0];
    expect(decision).toMatchObject({ outcome: 'planned', reason: 'dry-run: planned pause-container on host/node-7/container/3ad7b26ded6d; nothing was changed' });
    expect(decision?.plan).toMatchObject({ type: 'pause-container', allowed: true, resource: { key: 'host/node-7/container/3ad7b26ded6d', kind: 'container' } });
    expect(subject.cloudPlanner.requests).toEqual([]);
    expect(await records(subject)).toEqual([]);
  });
});
