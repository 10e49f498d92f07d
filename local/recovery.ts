/**
 * Restart recovery for the local runtime, whose executions live in memory: on start, nothing
 * that was in flight when the process stopped may stay hanging (API.md, "Running it on one machine").
 */
import { endInError } from '#shared/actions/mark-status.ts';
import { categories } from '#shared/catalogue/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import type { ActionStatus } from '#shared/history/status.ts';
import type { WorkStarter } from '#shared/ports.ts';

export interface RecoveryReport {
  /** Created cloud actions started again (nothing had been done yet). */
  readonly restarted: readonly string[];
  /** Enqueued or Running cloud actions ended in Error InterruptedByRestart. */
  readonly interrupted: readonly string[];
  /** Cloud actions that could not be started again (each then ended in Error, saying why). */
  readonly failedToRestart: readonly string[];
  /** Records of other executors, left for their own recovery. */
  readonly left: readonly string[];
}

const inFlightStatuses: readonly ActionStatus[] = ['Created', 'Enqueued', 'Running'];

/**
 * Finds every record left Created, Enqueued or Running and settles the cloud ones: Created is
 * started again (its execution never ran a step); Enqueued or Running may have changed something,
 * and the execution that knew how far it got is gone, so it ends in Error and undo can clean up.
 */
export async function recoverInFlight(
  repository: Pick<HistoryRepository, 'list' | 'transition' | 'get' | 'releaseUndo'>,
  starter: WorkStarter,
): Promise<RecoveryReport> {
  const found: ActionRecord[] = [];
  // Everything is read before anything moves: moving records changes the status index being paged.
  for (const status of inFlightStatuses) found.push(...(await allWithStatus(repository, status)));

  const report = { restarted: [] as string[], interrupted: [] as string[], failedToRestart: [] as string[], left: [] as string[] };
  for (const record of found) {
    if (record.executor !== 'cloud') {
      // TODO(responders issue: host and Kubernetes responders): their queued work needs the responders'
      // own recovery (requeue or the pickup deadline); left untouched until that issue lands.
      report.left.push(record.id);
      continue;
    }
    if (record.status === 'Created') {
      try {
        await starter.start(record);
        report.restarted.push(record.id);
      } catch (error) {
        await endInError(repository, record.id, {
          code: 'StartFailed',
          message: `the action could not be handed to its executor after a restart: ${error instanceof Error ? error.message : String(error)}`,
        });
        report.failedToRestart.push(record.id);
      }
      continue;
    }
    await endInError(repository, record.id, {
      code: 'InterruptedByRestart',
      message: 'interrupted by restart; prior/applied as recorded, undo can clean up',
    });
    report.interrupted.push(record.id);
  }
  return report;
}

async function allWithStatus(repository: Pick<HistoryRepository, 'list'>, status: ActionStatus): Promise<ActionRecord[]> {
  const records: ActionRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await repository.list({ status, limit: 100, ...(cursor === undefined ? {} : { cursor }) }, categories);
    records.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return records;
}
