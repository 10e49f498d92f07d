/**
 * The EventBridge target (functions/events/eventbridge-target.ts) handing events to the real
 * AutomationService on a dynalite history table (test/support/automation-fakes.ts says which
 * three ports are stand-ins and where each is tested for real): decided events count their
 * outcomes; a refused event is logged without its content, writes nothing and is not thrown (a
 * retry could never succeed); any other failure is thrown, so Lambda retries it and then leaves
 * the event on the dead-letter queue.
 */
import { describe, expect, it } from 'vitest';
import { createHandler, eventBridgeCaller } from '#functions/events/eventbridge-target.ts';
import { refusedEventMessage } from '#functions/events/log-messages.ts';
import { FixedClock } from '#shared/clock.ts';
import type { Logger } from '#shared/log.ts';
import { automationStack, oneRule, type AutomationStack } from '#test/support/automation-fakes.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { fixture } from '#test/unit/findings/fixtures.ts';

const dynalite = useDynalite();
const receivedAt = new Date('2026-12-05T12:00:00Z');
const isolateRule = oneRule('isolate-backdoor', 'enforce', 'guardduty', ['Backdoor:EC2/*'], 'isolate-ec2-instance');

/** Log lines as the handler writes them, level and message first. */
function capturingLogger(): Logger & { readonly lines: { level: string; message: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}): void => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function subject(): Promise<{ stack: AutomationStack; logger: ReturnType<typeof capturingLogger>; handle: (event: unknown) => Promise<unknown> }> {
  const stack = await automationStack({ endpoint: dynalite.endpoint, clock: new FixedClock(receivedAt), rulesYaml: isolateRule });
  const logger = capturingLogger();
  return { stack, logger, handle: createHandler({ automation: stack.service, clock: new FixedClock(receivedAt), logger }) };
}

async function written(stack: AutomationStack): Promise<{ records: number; decisions: number }> {
  const records = (await stack.repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items.length;
  return { records, decisions: (await stack.log.list({})).items.length };
}

describe('the EventBridge target', () => {
  it('hands a GuardDuty event to the automation as EventBridge, and counts the decisions', async () => {
    // Prepare
    const { stack, logger, handle } = await subject();

    // Act
    const result = await handle(fixture('written/guardduty-backdoor-ec2.json'));

    // Assess
    expect(result).toEqual({ eventId: '6f1d2a40-3c1e-4b5a-9d7e-0a1b2c3d4e03', outcomes: { executed: 1 } });
    expect(await written(stack)).toEqual({ records: 1, decisions: 1 });
    expect(stack.starter.started).toHaveLength(1);
    expect((await stack.log.list({})).items[0]).toMatchObject({ receivedAt: receivedAt.toISOString(), ruleId: 'isolate-backdoor', outcome: 'executed' });
    expect(eventBridgeCaller).toBe('eventbridge');
    expect(logger.lines.map((line) => [line.level, line.message])).toEqual([['info', 'finding event decided']]);
  });

  it('a re-delivery of the same event is decided as a duplicate, acting once', async () => {
    // Prepare
    const { stack, handle } = await subject();
    const event = fixture('written/guardduty-backdoor-ec2.json');

    // Act
    await handle(event);
    const again = await handle(event);

    // Assess
    expect(again).toEqual({ eventId: '6f1d2a40-3c1e-4b5a-9d7e-0a1b2c3d4e03', outcomes: { deduplicated: 1 } });
    expect(stack.starter.started).toHaveLength(1);
  });

  it('logs a malformed event by its envelope and field paths, never its content, writes nothing and does not throw (no endless retries)', async () => {
    // Prepare: a real event whose finding lost its type, carrying a secret-looking value
    const { stack, logger, handle } = await subject();
    const event = fixture('written/guardduty-backdoor-ec2.json') as { detail: Record<string, unknown> };
    delete event.detail['type'];
    event.detail['description'] = 'AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

    // Act
    const result = await handle(event);

    // Assess
    expect(result).toEqual({ refused: expect.stringContaining('detail.type') as unknown });
    expect(await written(stack)).toEqual({ records: 0, decisions: 0 });
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: refusedEventMessage,
        fields: {
          eventId: '6f1d2a40-3c1e-4b5a-9d7e-0a1b2c3d4e03',
          source: 'aws.guardduty',
          detailType: 'GuardDuty Finding',
          account: expect.stringMatching(/^\d{12}$/) as unknown,
          error: 'InvalidFindingError',
          errors: [expect.objectContaining({ path: 'detail.type' })],
        },
      },
    ]);
    expect(JSON.stringify(logger.lines)).not.toMatch(/AKIA|wJalr/);
  });

  it('refuses a body that is not an event at all, logging nothing of it', async () => {
    // Prepare
    const { stack, logger, handle } = await subject();

    // Act
    const results = [await handle('a string'), await handle({ id: { nested: 'x'.repeat(500) } }), await handle(null)];

    // Assess
    expect(results.map((result) => Object.keys(result as object))).toEqual([['refused'], ['refused'], ['refused']]);
    expect(await written(stack)).toEqual({ records: 0, decisions: 0 });
    expect(logger.lines.map((line) => [line.level, line.message, line.fields['eventId']])).toEqual(Array.from({ length: 3 }, () => ['warn', refusedEventMessage, undefined]));
    expect(JSON.stringify(logger.lines)).not.toContain('xxxxxxxx');
  });

  it('refuses a Falco alert, which no finding rule can deliver, before anything is decided', async () => {
    // Prepare
    const { stack, logger, handle } = await subject();

    // Act
    const result = await handle(fixture('written/falco-host-sensitive-file.json'));

    // Assess
    expect(result).toEqual({ refused: expect.stringContaining('POST /v1/events') as unknown });
    expect(await written(stack)).toEqual({ records: 0, decisions: 0 });
    expect(logger.lines.map((line) => [line.level, line.message, line.fields['error']])).toEqual([['warn', refusedEventMessage, 'ForbiddenError']]);
  });

  it('throws what is not the event\'s fault (a store down), so Lambda retries and then dead-letters it', async () => {
    // Prepare: an outage dynalite cannot be made to have mid-call, so the automation port fails as a store would
    const outage = new Error('ProvisionedThroughputExceededException: the history table is throttling');
    const logger = capturingLogger();
    const handle = createHandler({ automation: { receive: () => Promise.reject(outage) }, logger });

    // Act + Assess
    await expect(handle(fixture('written/guardduty-backdoor-ec2.json'))).rejects.toBe(outage);
    expect(logger.lines).toEqual([]);
  });
});
