/**
 * AutomationService under an attacker's pressure (real stores on dynalite, the real action
 * service): failures that must never make a rule act twice on one finding.
 */
import { describe, expect, it } from 'vitest';
import type { ActionsOnBehalf } from '#shared/approvals/ports.ts';
import { FixedClock } from '#shared/clock.ts';
import { automationStack, oneRule } from '#test/support/automation-fakes.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { fixture } from '#test/unit/findings/fixtures.ts';

const dynalite = useDynalite();
const receivedAt = new Date('2026-12-05T12:00:00Z');
const context = { receivedAt, caller: 'eventbridge' };
const sshFirst = 'written/guardduty-unauthorized-access-ec2.json';
const isolateRule = oneRule('isolate-ec2', 'enforce', 'guardduty', ['UnauthorizedAccess:EC2/*'], 'isolate-ec2-instance');

describe('AutomationService: a create that fails after it wrote the action', () => {
  it('keeps the claim, so the retried delivery is deduplicated instead of acting twice', async () => {
    // Prepare: the first create writes and starts the action, then its read-back fails (a throttled store)
    let failOnce = true;
    const wrapActions = (actions: ActionsOnBehalf): ActionsOnBehalf => ({
      createOnBehalf: async (principal, request, options) => {
        const outcome = await actions.createOnBehalf(principal, request, options);
        if (!failOnce) return outcome;
        failOnce = false;
        throw new Error('ProvisionedThroughputExceededException: reading the action back failed');
      },
    });
    const subject = await automationStack({ endpoint: dynalite.endpoint, clock: new FixedClock(receivedAt), rulesYaml: isolateRule, wrapActions });

    // Act: the delivery fails, and EventBridge's retry delivers it again
    await expect(subject.service.receive(fixture(sshFirst), context)).rejects.toThrow('reading the action back failed');
    const retried = await subject.service.receive(fixture(sshFirst), context);

    // Assess: one action, started once; the retry is recorded as a duplicate
    expect(retried.findings[0]?.decisions[0]?.outcome).toBe('deduplicated');
    expect(subject.starter.started).toHaveLength(1);
    const logged = (await subject.log.list({})).items;
    expect(logged.map((item) => item.outcome).sort()).toEqual(['deduplicated', 'refused']);
    expect(logged.find((item) => item.outcome === 'refused')?.reason).toContain('the claim is kept');
  });
});
