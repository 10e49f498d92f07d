/**
 * One piece of work from the queue, from its JWS to its report (steps 1 to 4 and 6 in runner.ts):
 * checked, answered from the journal when it is a duplicate, run at most once, reported, and its
 * message deleted once the service has answered for it.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '#shared/clock.ts';
import type { Logger } from '#shared/log.ts';
import type { Report, ResponderAction, WorkOrder, WorkTarget } from '#shared/responders/protocol.ts';
import { responderId, targetLabel } from '#shared/responders/target.ts';
import { UntrustedWorkError, workKeyId, type TrustedWorkKeys } from '#shared/responders/work-signing.ts';
import { ResponderApiError, type ResponderApi } from './api-client.ts';
import { executeAction } from './execute-action.ts';
import { ActionJournal, type JournalEntry } from './journal.ts';
import type { WorkMessage, WorkSource } from './work-source.ts';

export interface WorkHandlerOptions {
  readonly api: ResponderApi;
  readonly journal: ActionJournal;
  readonly source: WorkSource;
  readonly trusted: TrustedWorkKeys;
  readonly target: WorkTarget;
  readonly version: string;
  /** The action types this responder runs, by type. */
  readonly actions: ReadonlyMap<string, ResponderAction>;
  readonly clock: Clock;
  readonly log: Logger;
  /** The responder's stop signal. */
  readonly stop: AbortSignal;
}

export class WorkHandler {
  readonly #options: WorkHandlerOptions;
  /** Actions running here, each with what fires when the service says it ended (a keep-alive got 409). */
  readonly #inProgress = new Map<string, AbortController>();
  /**
   * Per action id, the delivery deciding now (journal, deadline, pickup) that later ones wait for:
   * SQS may hand out several copies of one message in one receive, handled concurrently, and each
   * would otherwise read the journal before any had written `acting`, and all would run it.
   */
  readonly #deciding = new Map<string, Promise<void>>();

  constructor(options: WorkHandlerOptions) {
    this.#options = options;
  }

  async handle(item: WorkMessage): Promise<void> {
    const order = await this.#verify(item);
    if (order === undefined) return;
    if (this.#options.stop.aborted) {
      // Stopping before anything was done: hand the work back rather than hide it until it times out.
      await this.#options.source.release(item.receipt).catch(() => undefined);
      return;
    }
    const { actionId } = order;
    const earlier = this.#deciding.get(actionId);
    let decided = (): void => undefined;
    const mine = new Promise<void>((resolve) => { decided = resolve; });
    const turn = (earlier ?? Promise.resolve()).then(() => mine);
    this.#deciding.set(actionId, turn);
    try {
      await earlier;
      await this.#decide(item, order, decided);
    } finally {
      decided();
      if (this.#deciding.get(actionId) === turn) this.#deciding.delete(actionId);
    }
  }

  /** One delivery, its turn come: answered from the journal, refused, or run; `decided` lets the next copy in once this one is in progress. */
  async #decide(item: WorkMessage, order: WorkOrder, decided: () => void): Promise<void> {
    const { journal, clock, target, log } = this.#options;
    const { actionId } = order;
    if (this.#inProgress.has(actionId)) {
      // Delivered again while it runs here: keep it alive and let the duplicate leave the queue.
      await this.#report(actionId, { status: 'Running' }, 'duplicate delivery while running', item.receipt);
      return;
    }
    const entry = await journal.get(actionId);
    if (entry?.state === 'done' && entry.outcome !== undefined) {
      await this.#reportDone(entry, 'duplicate delivery: stored outcome', item.receipt);
      return;
    }
    if (entry?.state === 'acting') {
      await this.#finish(actionId, this.#interrupted(), item.receipt);
      return;
    }
    if (clock.now().getTime() > Date.parse(order.pickupDeadline)) {
      await this.#report(
        actionId,
        { status: 'Error', error: { code: 'PickupDeadlinePassed', message: `the work reached the responder for ${targetLabel(target)} after its pickup deadline (${order.pickupDeadline}); nothing was done` } },
        'late work',
        item.receipt,
      );
      return;
    }
    const action = this.#options.actions.get(order.type);
    if (action === undefined) {
      await this.#report(
        actionId,
        { status: 'Error', error: { code: 'UnsupportedActionType', message: `the responder for ${targetLabel(target)} (version ${this.#options.version}) does not run ${order.type}` } },
        'unsupported type',
        item.receipt,
      );
      return;
    }
    await journal.write({ actionId, state: 'acting', at: clock.now().toISOString() });
    const ended = new AbortController();
    this.#inProgress.set(actionId, ended);
    // A copy delivered from here on is answered as a duplicate of a running action.
    decided();
    try {
      try {
        await this.#options.api.report(actionId, { status: 'Running' });
      } catch (error) {
        if (error instanceof ResponderApiError && !error.transient) {
          // The service refused the pickup: nothing was done, a later dispatch may run it.
          await journal.write({ actionId, state: 'abandoned', at: clock.now().toISOString() });
          log.warn('pickup refused by the service; not acting', { actionId, status: error.status, detail: error.detail });
          if (error.status === 409) await this.#settle(item.receipt);
          return;
        }
        // Unknown whether the service took the pickup: not acting is the safe side (the deadline ends it).
        log.error('pickup could not be reported; not acting', { actionId, error: error instanceof Error ? error.message : String(error) });
        return;
      }
      // Picked up: the message goes now; the journal's `acting` keeps a redelivery from running it again.
      await this.#settle(item.receipt);
      log.info('acting', { actionId, type: order.type, responder: responderId(target) });
      const { api, stop } = this.#options;
      const outcome = await executeAction(action, order, { api, target, clock, log, stop, ended });
      await this.#finish(actionId, outcome);
    } finally {
      this.#inProgress.delete(actionId);
    }
  }

  /**
   * On start, before any work is received: what a previous process of this responder left unsaid.
   * An `acting` entry means it died while acting (one process per state directory), so the
   * service hears now that the action was interrupted instead of waiting for its heartbeat to
   * lapse; a `done` outcome the service never answered for is reported again. Nothing is run again.
   */
  async recover(): Promise<void> {
    const { journal, log } = this.#options;
    for (const entry of await journal.list()) {
      if (this.#options.stop.aborted) return;
      if (entry.state === 'acting') {
        log.warn('an action was interrupted by a stop of this responder; reporting it, not running it again', { actionId: entry.actionId });
        await this.#finish(entry.actionId, this.#interrupted());
      } else if (entry.state === 'done' && entry.outcome !== undefined && entry.reported !== true) {
        await this.#reportDone(entry, 'restart: outcome never answered for');
      }
    }
  }

  #interrupted(): Report {
    return {
      status: 'Error',
      error: {
        code: 'ResponderInterrupted',
        message: `the responder for ${targetLabel(this.#options.target)} stopped while running this action and does not run it twice; check the target before retrying`,
      },
    };
  }

  /** The work order, or undefined when the work is refused (logged, not reported). */
  async #verify(item: WorkMessage): Promise<WorkOrder | undefined> {
    const { trusted, target, log } = this.#options;
    let order: WorkOrder;
    try {
      order = await trusted.verify(item.body);
    } catch (error) {
      if (!(error instanceof UntrustedWorkError)) throw error;
      log.warn('work refused: not acted on, not reported', { responder: responderId(target), reason: error.reason, keyId: workKeyId(item.body) ?? null, detail: error.message });
      return undefined;
    }
    if (order.target.kind !== target.kind || order.target.name !== target.name) {
      log.warn('work refused: it names another target; not acted on, not reported', {
        responder: responderId(target),
        actionId: order.actionId,
        namedTarget: `${order.target.kind}/${order.target.name}`,
      });
      return undefined;
    }
    if (!ActionJournal.isJournalable(order.actionId)) {
      log.warn('work refused: its action id cannot be journaled', { responder: responderId(target), actionIdDigest: digest(order.actionId) });
      return undefined;
    }
    return order;
  }

  /** Journals the outcome, then reports it (and deletes the message of a duplicate delivery, if any). */
  async #finish(actionId: string, outcome: Report, receipt?: string): Promise<void> {
    const entry: JournalEntry = { actionId, state: 'done', at: this.#options.clock.now().toISOString(), outcome };
    await this.#options.journal.write(entry);
    await this.#reportDone(entry, `outcome ${outcome.status}`, receipt);
  }

  /** Reports a journaled outcome; once the service has answered for it, the journal says so (a restart then stays silent). */
  async #reportDone(entry: JournalEntry, why: string, receipt?: string): Promise<void> {
    if (entry.outcome === undefined) return;
    const answered = await this.#report(entry.actionId, entry.outcome, why, receipt);
    if (answered && entry.reported !== true) await this.#options.journal.write({ ...entry, reported: true });
  }

  /**
   * A report whose refusal is logged, not thrown: 409 means the service had already settled it.
   * With a receipt, the message goes once the service answered for it (2xx or 409). True when the
   * service answered for it (2xx, or a refusal that asking again cannot change).
   */
  async #report(actionId: string, report: Report, why: string, receipt?: string): Promise<boolean> {
    const { api, log } = this.#options;
    try {
      await api.report(actionId, report);
      log.info('reported', { actionId, status: report.status, why, ...(report.error === undefined ? {} : { code: report.error.code }) });
    } catch (error) {
      if (error instanceof ResponderApiError) {
        log.warn('report not applied', { actionId, status: report.status, why, httpStatus: error.status, detail: error.detail });
        if (error.status === 409 && receipt !== undefined) await this.#settle(receipt);
        return !error.transient;
      }
      throw error;
    }
    if (receipt !== undefined) await this.#settle(receipt);
    return true;
  }

  /** Deletes a message the service has answered for; a failure leaves it to come back, where the journal answers it. */
  async #settle(receipt: string): Promise<void> {
    try {
      await this.#options.source.delete(receipt);
    } catch (error) {
      this.#options.log.warn('a settled work message could not be deleted; a redelivery is answered from the journal', {
        responder: responderId(this.#options.target),
        error: error instanceof Error ? error.name : String(error),
      });
    }
  }
}

/** Names a value in a log without repeating it. */
function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}
