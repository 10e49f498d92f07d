import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler as createReportHandler } from '#functions/api/report-action.ts';
import { createHandler as createMarkStatusHandler } from '#functions/steps/mark-status.ts';
import { LocalTaskTokens } from '#local/runners/task-tokens.ts';
import { StatusWriteContendedError } from '#shared/actions/mark-status.ts';
import { systemClock } from '#shared/clock.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { postReport, startFaultyHistory, statusesOf, storedHostRecord, type FaultyHistory } from '#test/support/dynamo-faults.ts';

// A ConditionalCheckFailedException on a status write: DynamoDB's answer when another writer moved
// the record between a writer's read and its conditional write. No server gives one on demand, so
// a fault-injecting proxy sits in front of dynalite (test/support/dynamo-fault-proxy.ts) rather than
// aws-sdk-client-mock: the exception is still dynalite's own answer over the wire (the proxy makes
// the condition false, or replays a write that landed), and everything else the callers read and
// write goes to the real store. Real races, two writers on one record, are in dynamodb-status-races.test.ts.

let faulty: FaultyHistory;
const markStatus = (event: unknown): Promise<unknown> => createMarkStatusHandler({ repository: faulty.repository })(event);

beforeAll(async () => {
  faulty = await startFaultyHistory();
});

afterAll(async () => {
  await faulty.close();
});

beforeEach(() => {
  faulty.proxy.clear();
  faulty.proxy.injected.clear();
});

describe('a status write refused once on its condition (another writer seemed to win)', () => {
  it.each(['Completed', 'Error'] as const)('moves Created -> Enqueued -> Running -> %s through mark-status, each status recorded once', async (ending) => {
    // Prepare
    const record = await storedHostRecord(faulty.repository, 'ccf-once');
    for (const to of ['Enqueued', 'Running', ending]) faulty.proxy.inject({ to, mode: 'refuse', times: 1, actionId: record.id });

    // Act
    await markStatus({ actionId: record.id, status: 'Running' });
    await markStatus(ending === 'Completed' ? { actionId: record.id, status: 'Completed', result: { stopped: 'c0ffee' } } : { actionId: record.id, status: 'Error', error: { Error: 'ContainerNotFound', Cause: 'no container c0ffee' } });

    // Assess
    const final = await faulty.repository.get(record.id);
    expect(statusesOf(final)).toEqual(['Created', 'Enqueued', 'Running', ending]);
    expect(Object.fromEntries(faulty.proxy.injected)).toEqual({ Enqueued: 1, Running: 1, [ending]: 1 });
    if (ending === 'Completed') expect(final?.result).toEqual({ stopped: 'c0ffee' });
    else expect(final?.error).toEqual({ code: 'ContainerNotFound', message: 'no container c0ffee' });
  });

  it.each(['Completed', 'Error'] as const)('takes a write that landed but whose answer was lost (the retry meets the condition failure) as done, ending %s once', async (ending) => {
    // Prepare
    const record = await storedHostRecord(faulty.repository, 'ccf-lost');
    for (const to of ['Enqueued', 'Running', ending]) faulty.proxy.inject({ to, mode: 'lost-answer', times: 1, actionId: record.id });

    // Act
    const running = await markStatus({ actionId: record.id, status: 'Running' });
    const ended = await markStatus(ending === 'Completed' ? { actionId: record.id, status: 'Completed', result: null } : { actionId: record.id, status: 'Error', error: { Error: 'ContainerNotFound', Cause: 'gone' } });

    // Assess
    expect(running).toEqual({ actionId: record.id, status: 'Running' });
    expect(ended).toEqual({ actionId: record.id, status: ending });
    expect(statusesOf(await faulty.repository.get(record.id))).toEqual(['Created', 'Enqueued', 'Running', ending]);
    expect(faulty.proxy.injected.get(ending)).toBe(1);
  });
});

describe('a status write refused more often than the history writer retries', () => {
  it('lands Completed after a burst of 8 refusals (the writer tries 6 times), so the outcome is not lost', async () => {
    // Prepare
    const record = await storedHostRecord(faulty.repository, 'ccf-burst');
    await markStatus({ actionId: record.id, status: 'Running' });
    faulty.proxy.inject({ to: 'Completed', mode: 'refuse', times: 8, actionId: record.id });

    // Act
    const ended = await markStatus({ actionId: record.id, status: 'Completed', result: { stopped: 'c0ffee' } });

    // Assess
    expect(ended).toEqual({ actionId: record.id, status: 'Completed' });
    expect(faulty.proxy.injected.get('Completed')).toBe(8);
    expect(statusesOf(await faulty.repository.get(record.id))).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
  });

  it('fails MarkCompleted with an error that says what was refused when it never lands, and MarkError then ends the record, explained', async () => {
    // Prepare
    const record = await storedHostRecord(faulty.repository, 'ccf-always');
    await markStatus({ actionId: record.id, status: 'Running' });
    faulty.proxy.inject({ to: 'Completed', mode: 'refuse', times: Infinity, actionId: record.id });

    // Act: what the responder state machine does, MarkCompleted and then (its Catch) MarkError with the failure.
    const completing = await markStatus({ actionId: record.id, status: 'Completed', result: null }).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (!(completing instanceof StatusWriteContendedError)) throw new Error(`MarkCompleted did not fail as expected: ${String(completing)}`);
    await markStatus({ actionId: record.id, status: 'Error', error: { Error: completing.name, Cause: JSON.stringify({ errorMessage: completing.message }) } });

    // Assess
    const final = await faulty.repository.get(record.id);
    expect(completing.message).toMatch(new RegExp(`^action ${record.id} could not be marked Completed: the history store refused the conditional write 5 rounds running`));
    expect(statusesOf(final)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
    expect(final?.error).toEqual({ code: 'StatusWriteContendedError', message: completing.message });
  });
});

describe("a responder's report whose status write DynamoDB refuses", () => {
  let tokens: LocalTaskTokens;
  let report: ReturnType<typeof createReportHandler>;

  beforeAll(() => {
    tokens = new LocalTaskTokens();
    report = createReportHandler({ responders: new ResponderService({ repository: faulty.repository, store: faulty.store, callbacks: tokens, clock: systemClock }) });
  });

  afterAll(() => {
    tokens.close();
  });

  /** An Enqueued host action whose execution waits on a token, as Dispatch leaves it. */
  async function dispatched(host: string): Promise<string> {
    const record = await storedHostRecord(faulty.repository, host);
    await faulty.repository.transition(record.id, 'Enqueued', { detail: `sent to host ${host}'s queue` });
    const { token, settled } = tokens.open({ heartbeatSeconds: 120, timeoutSeconds: 300 });
    settled.catch(() => undefined);
    const now = systemClock.now().toISOString();
    await faulty.store.saveDispatch({ actionId: record.id, taskToken: token, target: { kind: 'host', name: host }, keyId: 'k', issuedAt: now, pickupDeadline: now, completionDeadline: now });
    return record.id;
  }

  it('is applied (200, Running once) after a burst of refusals longer than the writer retries', async () => {
    // Prepare
    const id = await dispatched('report-burst');
    faulty.proxy.inject({ to: 'Running', mode: 'refuse', times: 8, actionId: id });

    // Act
    const answer = await postReport(report, 'report-burst', id, { status: 'Running' });

    // Assess
    expect(answer.status).toBe(200);
    expect(statusesOf(await faulty.repository.get(id))).toEqual(['Created', 'Enqueued', 'Running']);
  });

  it('is answered 429 with Retry-After (never a 5xx, never a 409 that would end it), the record unchanged, and lands when asked again', async () => {
    // Prepare
    const id = await dispatched('report-always');
    const before = await faulty.repository.get(id);
    faulty.proxy.inject({ to: 'Running', mode: 'refuse', times: Infinity, actionId: id });

    // Act
    const refused = await postReport(report, 'report-always', id, { status: 'Running' });
    const unchanged = await faulty.repository.get(id);
    faulty.proxy.clear();
    const again = await postReport(report, 'report-always', id, { status: 'Running' });

    // Assess
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers['retry-after']).toBe('1');
    expect((refused.body as { detail: string }).detail).toContain('the history store refused the conditional write 5 rounds running');
    expect(unchanged).toEqual(before);
    expect(again.status).toBe(200);
    expect(statusesOf(await faulty.repository.get(id))).toEqual(['Created', 'Enqueued', 'Running']);
  });
});
