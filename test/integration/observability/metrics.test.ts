import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMarkStatusHandler } from '#shared/actions/mark-status.ts';
import { FixedClock } from '#shared/clock.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { withOutcomeMetrics } from '#shared/observability/metrics.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { recordFixture } from '#test/support/records.ts';

const dynalite = useDynalite();
const created = '2026-03-01T10:00:00.000Z';

/** EMF's units (CloudWatch's StandardUnit). */
const units = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits',
  'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
  'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
]);

/**
 * What makes a log line an embedded-metric-format document CloudWatch extracts metrics from
 * (the EMF specification): `_aws` with an integer millisecond Timestamp and CloudWatchMetrics
 * directives, each with a Namespace, dimension sets naming string members of the root (at most
 * 30 each), and metric definitions naming numeric members of the root with a known unit.
 */
function emfProblems(document: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const aws = document['_aws'] as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (typeof aws !== 'object') return ['no _aws object'];
  if (!Number.isInteger(aws.Timestamp) || (aws.Timestamp as number) <= 0) problems.push('_aws.Timestamp is not epoch milliseconds');
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length === 0) return [...problems, 'no CloudWatchMetrics directive'];
  for (const directive of aws.CloudWatchMetrics as { Namespace?: unknown; Dimensions?: unknown; Metrics?: unknown }[]) {
    if (typeof directive.Namespace !== 'string' || directive.Namespace.length === 0 || directive.Namespace.length > 1024) problems.push('bad Namespace');
    if (!Array.isArray(directive.Dimensions)) problems.push('Dimensions is not an array');
    for (const set of (directive.Dimensions ?? []) as unknown[]) {
      if (!Array.isArray(set) || set.length > 30) problems.push('a dimension set is not an array of at most 30');
      for (const name of (set ?? []) as unknown[]) {
        if (typeof name !== 'string' || typeof document[name] !== 'string') problems.push(`dimension ${String(name)} is not a string member of the root`);
      }
    }
    if (!Array.isArray(directive.Metrics) || directive.Metrics.length === 0 || directive.Metrics.length > 100) problems.push('Metrics is not 1-100 definitions');
    for (const metric of (directive.Metrics ?? []) as { Name?: unknown; Unit?: unknown }[]) {
      if (typeof metric.Name !== 'string' || typeof document[metric.Name] !== 'number') problems.push(`metric ${String(metric.Name)} is not a numeric member of the root`);
      if (metric.Unit !== undefined && (typeof metric.Unit !== 'string' || !units.has(metric.Unit))) problems.push(`metric ${String(metric.Name)} has unit ${JSON.stringify(metric.Unit)}`);
    }
  }
  return problems;
}

let written: string[];
beforeEach(() => {
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'ResponseActionsTest');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'response-actions');
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** The EMF documents written so far (Powertools Metrics writes one JSON line per publish). */
function emfDocuments(): Record<string, unknown>[] {
  return written
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** mark-status as deployed (functions/steps/mark-status.ts): the writer wrapped for outcomes, Powertools Metrics from the environment. */
async function markStatusOnFreshHistory(clock: FixedClock): Promise<{ handler: (event: unknown) => Promise<unknown>; repository: HistoryRepository }> {
  const { repository } = await freshHistory(dynalite.endpoint, clock);
  return { handler: createMarkStatusHandler({ repository: withOutcomeMetrics(repository, new Metrics()) }), repository };
}

async function runningAction(repository: HistoryRepository, type: string): Promise<string> {
  const { record } = await repository.create(recordFixture({ type, at: created }));
  await repository.transition(record.id, 'Enqueued');
  await repository.transition(record.id, 'Running');
  return record.id;
}

describe('ActionOutcome metrics from mark-status (shared/observability/metrics.ts)', () => {
  it('publishes one EMF document for a Completed action, by type and outcome, with its duration', async () => {
    // Prepare
    const clock = new FixedClock(created);
    const { handler, repository } = await markStatusOnFreshHistory(clock);
    const actionId = await runningAction(repository, 'isolate-ec2-instance');
    clock.advance(90_000);

    // Act: the state machine's MarkCompleted, then its retry of the same state
    await handler({ actionId, status: 'Completed', result: { isolated: true } });
    await handler({ actionId, status: 'Completed', result: { isolated: true } });

    // Assess
    const documents = emfDocuments();
    expect(documents).toHaveLength(1);
    const [document] = documents;
    expect(emfProblems(document ?? {})).toEqual([]);
    expect(document).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'ResponseActionsTest',
            Dimensions: [['service', 'ActionType', 'Outcome']],
            Metrics: [
              { Name: 'ActionOutcome', Unit: 'Count' },
              { Name: 'ActionDuration', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      service: 'response-actions',
      ActionType: 'isolate-ec2-instance',
      Outcome: 'Completed',
      ActionOutcome: 1,
      ActionDuration: 90_000,
      actionId,
    });
  });

  it('publishes an Error outcome from MarkError and from an execution that timed out, and nothing for Running', async () => {
    // Prepare
    const clock = new FixedClock(created);
    const { handler, repository } = await markStatusOnFreshHistory(clock);
    const failing = await runningAction(repository, 'iam-quarantine');
    const { record: lapsing } = await repository.create(recordFixture({ type: 'kill-process', executor: 'host', at: created }));
    clock.advance(5_000);

    // Act
    await handler({ actionId: lapsing.id, status: 'Running' });
    await handler({ actionId: failing, status: 'Error', error: { Error: 'AccessDenied', Cause: 'not authorized to perform iam:PutUserPolicy' } });
    clock.advance(5_000);
    await handler({ 'detail-type': 'Step Functions Execution Status Change', detail: { name: lapsing.id, status: 'TIMED_OUT' } });

    // Assess
    const documents = emfDocuments();
    expect(documents.map((document) => emfProblems(document))).toEqual([[], []]);
    expect(documents.map((document) => [document['ActionType'], document['Outcome'], document['ActionOutcome'], document['ActionDuration']])).toEqual([
      ['iam-quarantine', 'Error', 1, 5_000],
      ['kill-process', 'Error', 1, 10_000],
    ]);
  });

  it('publishes Undone under the undone action\'s type when its undo completes', async () => {
    // Prepare: a Completed iam-quarantine and its undo, running
    const clock = new FixedClock(created);
    const { handler, repository } = await markStatusOnFreshHistory(clock);
    const quarantine = await runningAction(repository, 'iam-quarantine');
    await handler({ actionId: quarantine, status: 'Completed', result: {} });
    const { record: undo } = await repository.create({ ...recordFixture({ type: 'iam-unquarantine', undoType: null, at: created }), undoOf: quarantine });
    await repository.transition(undo.id, 'Enqueued');
    await repository.transition(undo.id, 'Running');
    clock.advance(30_000);

    // Act
    await handler({ actionId: undo.id, status: 'Completed', result: {} });

    // Assess: the quarantine Completed, its undo Completed, and the quarantine Undone
    const documents = emfDocuments();
    expect(documents.map((document) => emfProblems(document))).toEqual([[], [], []]);
    expect(documents.map((document) => [document['ActionType'], document['Outcome'], document['ActionOutcome'], document['actionId']])).toEqual([
      ['iam-quarantine', 'Completed', 1, quarantine],
      ['iam-unquarantine', 'Completed', 1, undo.id],
      ['iam-quarantine', 'Undone', 1, quarantine],
    ]);
    expect(documents[2]).toMatchObject({ undoActionId: undo.id, _aws: { CloudWatchMetrics: [{ Metrics: [{ Name: 'ActionOutcome', Unit: 'Count' }] }] } });
  });

  it('finds fault with what is not EMF', () => {
    // Assess: the validator itself refuses a metric that names no number and a dimension that names nothing
    expect(
      emfProblems({
        _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['ActionType']], Metrics: [{ Name: 'ActionOutcome', Unit: 'Things' }] }] },
        ActionOutcome: '1',
      }),
    ).toEqual(['dimension ActionType is not a string member of the root', 'metric ActionOutcome is not a numeric member of the root', 'metric ActionOutcome has unit "Things"']);
  });
});
