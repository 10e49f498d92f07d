/**
 * Restart recovery for the local runtime, whose executions live in memory: on start, nothing
 * that was in flight when the process stopped may stay hanging (API.md, "Running it on one machine").
 *
 * Cloud actions, Created, Enqueued or Running alike, are started again: a new execution of the
 * same state machine, with what is left of the completion deadline (counted from the first
 * Enqueued mark; none left: Error DeadlineExceeded, nothing started). Resuming is what keeps undo
 * true: a process killed after AWS made a change but before `applied` recorded it leaves a record
 * that does not list that change, so ending it in Error would let undo miss it. Every step is
 * written to be run again (the state machine retries them too): `prior` is kept from the first
 * capture, and apply decides on that `prior` and on its own `applied`, so a change already made
 * is found, recorded and not made twice.
 *
 * Host and Kubernetes actions (when the responder runtime is passed in):
 * - Created: started again (no work was sent).
 * - Enqueued: the work message may be gone (the embedded SQS keeps queues in memory) and so is
 *   the task token the old execution waited on, but no responder has begun (beginning is the
 *   Running report, which needs that execution). So the work is dispatched again, with what is
 *   left of its original deadlines: a new execution, a new signed order, a new token. A responder
 *   holding the old message acts at most once (its journal), and its Running report with the old
 *   delivery finds the new token. If the pickup deadline passed meanwhile, Error PickupDeadlineExceeded.
 * - Running: the responder began and the execution that tracked it is gone: Error
 *   InterruptedByRestart; prior/applied as recorded, undo can clean up. A responder still working
 *   on it gets 409 on its next report.
 */
import { endInError } from '#shared/actions/mark-status.ts';
import { categories } from '#shared/catalogue/index.ts';
import type { Clock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryReader } from '#shared/history/reader.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import type { ActionStatus } from '#shared/history/status.ts';
import type { WorkStarter } from '#shared/ports.ts';
import type { ResponderDeadlines } from '#shared/responders/starter.ts';
import type { ResponderStore } from '#shared/responders/store.ts';
import { targetLabel, workTargetOf } from '#shared/responders/target.ts';
import { CompletionDeadlinePassedError } from './runners/cloud-runner.ts';

export interface RecoveryReport {
  /** Created actions started again (nothing had been done yet), and Enqueued or Running cloud actions resumed. */
  readonly restarted: readonly string[];
  /** Enqueued host/kubernetes actions whose work was sent again (no responder had begun). */
  readonly redispatched: readonly string[];
  /** Running host/kubernetes actions: ended in Error InterruptedByRestart. */
  readonly interrupted: readonly string[];
  /** Enqueued host/kubernetes actions whose pickup deadline, and cloud actions whose completion deadline, passed while the service was down: Error. */
  readonly expired: readonly string[];
  /** Actions that could not be started again (each then ended in Error, saying why). */
  readonly failedToRestart: readonly string[];
  /** Records of executors this recovery was not given (host/kubernetes without the responder runtime). */
  readonly left: readonly string[];
}

/** The responder runtime, for host and Kubernetes actions. */
export interface ResponderRecovery {
  readonly starter: WorkStarter;
  /** Dispatches an Enqueued action again with these deadlines (the local runner's `resume`). */
  resume(record: ActionRecord, deadlines: ResponderDeadlines): Promise<void>;
  /** Where the deadlines of the work sent before the restart are. */
  readonly store: Pick<ResponderStore, 'getDispatch'>;
  /** The configured deadlines, for work sent again without a dispatch on record. */
  readonly deadlines: ResponderDeadlines;
  readonly clock: Clock;
}

const inFlightStatuses: readonly ActionStatus[] = ['Created', 'Enqueued', 'Running'];

/**
 * Finds every record left Created, Enqueued or Running and settles it: a cloud action is started
 * again (Created: its execution never ran a step; Enqueued or Running: resumed, see above), and
 * one that cannot be ends in Error StartFailed.
 */
export async function recoverInFlight(
  repository: Pick<HistoryReader, 'list'> & Pick<HistoryWriter, 'transition' | 'get' | 'releaseUndo'>,
  starter: WorkStarter,
  responders?: ResponderRecovery,
): Promise<RecoveryReport> {
  const found: ActionRecord[] = [];
  // Everything is read before anything moves: moving records changes the status index being paged.
  for (const status of inFlightStatuses) found.push(...(await allWithStatus(repository, status)));

  const report = {
    restarted: [] as string[],
    redispatched: [] as string[],
    interrupted: [] as string[],
    expired: [] as string[],
    failedToRestart: [] as string[],
    left: [] as string[],
  };
  for (const record of found) {
    if (record.executor !== 'cloud') {
      if (responders === undefined) report.left.push(record.id);
      else await recoverResponderAction(repository, responders, record, report);
      continue;
    }
    try {
      await starter.start(record);
      report.restarted.push(record.id);
    } catch (error) {
      if (error instanceof CompletionDeadlinePassedError) {
        await endInError(repository, record.id, { code: 'DeadlineExceeded', message: error.message });
        report.expired.push(record.id);
        continue;
      }
      await endInError(repository, record.id, {
        code: 'StartFailed',
        message: `the action could not be handed to its executor after a restart: ${error instanceof Error ? error.message : String(error)}; prior/applied as recorded, undo can clean up`,
      });
      report.failedToRestart.push(record.id);
    }
  }
  return report;
}

async function allWithStatus(repository: Pick<HistoryReader, 'list'>, status: ActionStatus): Promise<ActionRecord[]> {
  const records: ActionRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await repository.list({ status, limit: 100, ...(cursor === undefined ? {} : { cursor }) }, categories);
    records.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return records;
}

type MutableReport = { -readonly [Key in keyof RecoveryReport]: string[] };

async function recoverResponderAction(
  repository: Pick<HistoryWriter, 'transition' | 'get' | 'releaseUndo'>,
  responders: ResponderRecovery,
  record: ActionRecord,
  report: MutableReport,
): Promise<void> {
  const label = targetLabel(workTargetOf(record));
  try {
    if (record.status === 'Created') {
      await responders.starter.start(record);
      report.restarted.push(record.id);
      return;
    }
    if (record.status === 'Running') {
      await endInError(repository, record.id, {
        code: 'InterruptedByRestart',
        message: `interrupted by restart while the responder for ${label} was running it; prior/applied as recorded, undo can clean up`,
      });
      report.interrupted.push(record.id);
      return;
    }
    const dispatch = await responders.store.getDispatch(record.id);
    if (dispatch === null) {
      await responders.resume(record, responders.deadlines);
      report.redispatched.push(record.id);
      return;
    }
    const now = responders.clock.now().getTime();
    const pickupLeft = Math.ceil((Date.parse(dispatch.pickupDeadline) - now) / 1000);
    if (pickupLeft < 1) {
      const window = Math.round((Date.parse(dispatch.pickupDeadline) - Date.parse(dispatch.issuedAt)) / 1000);
      await endInError(repository, record.id, {
        code: 'PickupDeadlineExceeded',
        message: `no responder for ${label} picked up the work within ${window} s (the service restarted meanwhile)`,
      });
      report.expired.push(record.id);
      return;
    }
    const completionLeft = Math.max(pickupLeft, Math.ceil((Date.parse(dispatch.completionDeadline) - now) / 1000));
    await responders.resume(record, { pickupSeconds: pickupLeft, completionSeconds: completionLeft });
    report.redispatched.push(record.id);
  } catch (error) {
    await endInError(repository, record.id, {
      code: 'StartFailed',
      message: `the action could not be handed to its responder again after a restart: ${error instanceof Error ? error.message : String(error)}`,
    });
    report.failedToRestart.push(record.id);
  }
}
