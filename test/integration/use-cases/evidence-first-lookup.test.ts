/**
 * The evidence-first lookup's limits (issue 13), on real history (dynalite): it reads a bounded
 * number of records, and a lookup it cannot finish (its budget read through, or DynamoDB
 * failing) records no warning, says so in the log, and never stops the action.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Caller } from '#shared/auth/scopes.ts';
import { FixedClock } from '#shared/clock.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { HistoryReader } from '#shared/history/reader.ts';
import { createdRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { createLogger, useLogger, type Logger } from '#shared/log.ts';
import { ActionService, type ActionHistory } from '#shared/use-cases/action-service.ts';
import { noEvidenceWarnings } from '#shared/use-cases/evidence-first.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { freshHistory } from '#test/support/history-store.ts';

const dynalite = useDynalite();
const minutes = 60 * 1000;
const target = 'host/node-7/container/c0ffee';
const killContainer = { type: 'kill-container', resources: [{ key: target, kind: 'container' }] };

let clock: FixedClock;
let repository: HistoryRepository;
let client: Awaited<ReturnType<typeof freshHistory>>['client'];
let lines: Record<string, unknown>[];
let logger: Logger;

beforeEach(async () => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
  ({ repository, client } = await freshHistory(dynalite.endpoint, clock));
  lines = [];
  logger = createLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>), 'debug');
});
afterEach(() => {
  useLogger(createLogger());
});

/** A Completed host evidence action on `key`, created `minutesBefore` now. */
async function evidence(type: string, key: string, minutesBefore: number): Promise<void> {
  const at = new Date(clock.now().getTime() - minutesBefore * minutes);
  const record = createdRecord(
    {
      id: randomUUID(),
      type,
      category: 'data-gathering',
      executor: 'host',
      inputs: {},
      resources: [{ key, kind: key.includes('/file/') ? 'file' : 'container' }],
      createdBy: 'analyst-1',
      undoType: null,
    },
    at,
  );
  await repository.create(record);
  await repository.transition(record.id, 'Enqueued');
  await repository.transition(record.id, 'Running');
  await repository.transition(record.id, 'Completed', { result: { evidence: [] } });
}

/** `count` evidence actions in other hosts' containers in the last half hour: fleet-wide traffic, newer than anything else. */
async function busyFleet(type: 'acquire-file' | 'get-logs', count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const other = `host/node-${String(index)}/container/other`;
    await evidence(type, type === 'get-logs' ? other : `${other}/file//tmp/x`, 20 - index);
  }
}

/** The lookup with the full budget on a container with no evidence: it does warn. */
async function expectWarnedElsewhere(): Promise<void> {
  const elsewhere = { type: 'kill-container', resources: [{ key: 'host/node-7/container/other', kind: 'container' }], now: clock.now() };
  expect((await noEvidenceWarnings(repository, elsewhere, { logger })).map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
}

describe('the evidence-first lookup', () => {
  it('records no warning past its budget, and logs that it could not tell, where a full read would warn', async () => {
    // Prepare
    await busyFleet('acquire-file', 4);

    // Act
    const bounded = await noEvidenceWarnings(repository, { ...killContainer, now: clock.now() }, { maxRecords: 3, logger });
    const full = await noEvidenceWarnings(repository, { ...killContainer, now: clock.now() }, { logger });

    // Assess
    expect(bounded).toEqual([]);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', type: 'kill-container', resources: [target] })]);
    expect(full.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
  });

  it('finds evidence beneath the resource when it is within the budget, newest first', async () => {
    // Prepare
    await evidence('acquire-file', `${target}/file//tmp/xmrig`, 50);
    await busyFleet('acquire-file', 4);

    // Act
    const bounded = await noEvidenceWarnings(repository, { ...killContainer, now: clock.now() }, { maxRecords: 5, logger });

    // Assess
    expect(bounded).toEqual([]);
    expect(lines).toEqual([]);
    await expectWarnedElsewhere();
  });

  it('reads the resource’s own history first, so fleet-wide traffic cannot hide evidence on the same container', async () => {
    // Prepare
    await evidence('get-logs', target, 50);
    await busyFleet('get-logs', 4);

    // Act
    const bounded = await noEvidenceWarnings(repository, { ...killContainer, now: clock.now() }, { maxRecords: 3, logger });

    // Assess
    expect(bounded).toEqual([]);
    expect(lines).toEqual([]);
    await expectWarnedElsewhere();
  });
});

describe('evidence on a related resource', () => {
  it('counts process state captured on the whole host for a container on it (a host key above)', async () => {
    // Prepare
    await evidence('capture-process-state', 'host/node-7', 30);

    // Act
    const warnings = await noEvidenceWarnings(repository, { ...killContainer, now: clock.now() }, { logger });

    // Assess
    expect(warnings).toEqual([]);
    const otherHost = { type: 'kill-container', resources: [{ key: 'host/node-8/container/c0ffee', kind: 'container' }], now: clock.now() };
    expect((await noEvidenceWarnings(repository, otherHost, { logger })).map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
  });

  it('asks nothing of the types that delete evidence themselves', async () => {
    // Act
    const warnings = await noEvidenceWarnings(
      repository,
      { type: 'kubernetes-delete-volume-snapshot', resources: [{ key: 'k8s/prod/shop/volumesnapshot/snap-1', kind: 'k8s.volumesnapshot' }], now: clock.now() },
      { logger },
    );

    // Assess
    expect(warnings).toEqual([]);
    expect(lines).toEqual([]);
  });
});

describe('an action whose evidence lookup fails', () => {
  it('is accepted without a warning, and the failure is logged as an error', async () => {
    // Prepare: every history read of the lookup goes to a table DynamoDB does not have
    const missing = new HistoryReader({ client, tableName: 'no-such-table', cursors: new CursorCodec(randomBytes(32)), clock });
    const history: ActionHistory = {
      create: repository.create.bind(repository),
      transition: repository.transition.bind(repository),
      claimUndo: repository.claimUndo.bind(repository),
      releaseUndo: repository.releaseUndo.bind(repository),
      get: repository.get.bind(repository),
      replay: repository.replay.bind(repository),
      list: missing.list.bind(missing),
    };
    const service = new ActionService({ repository: history, starters: { host: { start: () => Promise.resolve() } }, clock });
    const analyst: Caller = { sub: 'analyst-1', scopes: new Set(['containment-response-actions.exec']) };
    useLogger(logger);

    // Act
    const outcome = await service.create(analyst, { type: 'kill-container', inputs: { 'host.id': 'node-7', 'container.id': 'c0ffee' } });

    // Assess
    if (!('record' in outcome)) throw new Error('expected an action');
    expect(await repository.get(outcome.record.id)).toMatchObject({ status: 'Created', warnings: [] });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        type: 'kill-container',
        resources: [target],
        error: expect.objectContaining({ name: 'ResourceNotFoundException' }) as unknown,
      }),
    ]);
  });
});
