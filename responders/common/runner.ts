/**
 * The loop every responder runs (host and Kubernetes alike): register, heartbeat, long-poll its own
 * SQS queue directly (work-source.ts: no API call while it waits), check each piece of work, act
 * at most once per action id, report over the API, and delete the message itself.
 *
 * For each piece of work, in order:
 * 1. the JWS: header exactly alg EdDSA + a `kid` of a configured key + our typ, the signature,
 *    and that the payload is a work order; then that the order names this responder. Work failing
 *    any of these is refused and NOT reported on: its action id cannot be trusted. The action then
 *    ends at its pickup deadline, and the message, never deleted, ends in the dead-letter queue.
 * 2. the journal (journal.ts): a duplicate delivery re-reports the stored outcome, or keeps the
 *    running action alive, and never runs it a second time.
 * 3. the pickup deadline, and that this responder runs the type: otherwise Error, nothing done.
 * 4. journal `acting`, then report Running (the execution's heartbeat is reset). Only a 2xx answer
 *    lets the action start; the responder then deletes the message (the journal keeps a redelivery
 *    from running it twice). A message is deleted whenever the service answered for it (2xx, or 409:
 *    the action ended), and otherwise left to come back or reach the dead-letter queue.
 * 5. the action runs with an AbortSignal that fires at the completion deadline (or when the
 *    responder stops), while Running keep-alives hold the execution's heartbeat.
 * 6. journal `done` with the outcome, then report Completed or Error: a ResponderActionError keeps
 *    its code and message; anything else is `ResponderFailed` with a message that says only which
 *    type failed (the error itself goes to the responder's own log, redacted).
 *
 * Never logged: the bearer token, presigned URLs, receipts, queue credentials, task tokens (which
 * never reach a responder in the first place).
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { systemClock, type Clock } from '#shared/clock.ts';
import type { Logger } from '#shared/log.ts';
import {
  ResponderActionError,
  type Report,
  type ResponderAction,
  type ResponderActionContext,
  type ResponderKind,
  type ResponderOutcome,
  type WorkOrder,
  type WorkTarget,
} from '#shared/responders/protocol.ts';
import { ConfigError } from '#shared/errors.ts';
import { TrustedWorkKeys, UntrustedWorkError, workKeyId } from '#shared/responders/work-signing.ts';
import { pause, ResponderApi, ResponderApiError, type TokenSource } from './api-client.ts';
import { ActionJournal, type JournalEntry } from './journal.ts';
import { checkApiUrl } from './api-url.ts';
import { SqsWorkSource, type WorkMessage, type WorkSource } from './work-source.ts';

export interface RunResponderOptions {
  /** The service's base URL: https, or plain http on loopback only (`http://127.0.0.1:8787`). */
  readonly apiUrl: string;
  /** A token with `response-actions.respond` bound to this host or cluster (`ra_responder`). */
  readonly token: TokenSource;
  readonly kind: ResponderKind;
  /** `host.id` or `kubernetes.cluster.name`, exactly as the token's binding names it. */
  readonly name: string;
  readonly version: string;
  /** The action types this responder runs; their types are its capabilities. */
  readonly actions: readonly ResponderAction[];
  /**
   * The service's public work signing keys (JWKs) this responder trusts: pinned from
   * configuration only. The key the service announces is never adopted (a service or network
   * that could announce one could sign work with it); none configured is a ConfigError.
   */
  readonly signingKeys: readonly unknown[];
  /** Where the journal lives (0700); one per responder. */
  readonly stateDir: string;
  readonly logger: Logger;
  /** Stops the responder: polling ends, running actions are aborted and report. */
  readonly signal: AbortSignal;
  /**
   * Where work comes from. Default: the responder's own SQS queue with the short-lived credentials
   * of the API's queue-credentials route (AWS). The local runtime hands its in-process responder
   * a source over the embedded queue.
   */
  readonly workSource?: WorkSource;
  /** SQS long-poll wait (default 20 s, at most 20). */
  readonly pollWaitSeconds?: number;
  /** Responder heartbeat interval (default 30 s). */
  readonly heartbeatSeconds?: number;
  /** Actions run at once (default 4). */
  readonly concurrency?: number;
  /** What deadlines are checked against. */
  readonly clock?: Clock;
  /** Retry pacing of the HTTP client (tests shorten it). */
  readonly retryBackoffMs?: number;
}

/** The responder could not start (its token is refused, or it has no key to trust). */
export class ResponderStartError extends Error {
  override readonly name = 'ResponderStartError';
}

/** Runs until `signal` aborts; rejects only when the responder cannot start at all. */
export async function runResponder(options: RunResponderOptions): Promise<void> {
  const runner = new ResponderRunner(options);
  await runner.run();
}

interface InProgress {
  /** Fires when the service says the action ended (a keep-alive got 409). */
  readonly ended: AbortController;
}

const journalKeepMs = 7 * 24 * 60 * 60 * 1000;
/** SQS long-poll wait (the most SQS allows) and heartbeat interval when not configured. */
export const defaultPollWaitSeconds = 20;
export const defaultHeartbeatSeconds = 30;
/** What the service accepts as an error code (reportSchema); other codes become ResponderFailed. */
const errorCodePattern = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

class ResponderRunner {
  readonly #options: RunResponderOptions;
  readonly #target: WorkTarget;
  readonly #api: ResponderApi;
  readonly #journal: ActionJournal;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #actions: ReadonlyMap<string, ResponderAction>;
  readonly #inProgress = new Map<string, InProgress>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #source: WorkSource;
  #trusted: TrustedWorkKeys | undefined;

  constructor(options: RunResponderOptions) {
    checkApiUrl(options.apiUrl, 'apiUrl');
    if (options.signingKeys.length === 0) {
      throw new ConfigError('signingKeys', "no work-signing key is configured: pin the service's public key (the signing keys file); an announced key is never trusted");
    }
    this.#options = options;
    this.#target = { kind: options.kind, name: options.name };
    this.#api = new ResponderApi({ apiUrl: options.apiUrl, token: options.token, ...(options.retryBackoffMs === undefined ? {} : { backoffMs: options.retryBackoffMs }) });
    this.#journal = new ActionJournal(options.stateDir);
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger;
    this.#actions = new Map(options.actions.map((action) => [action.type, action]));
    this.#source = options.workSource ?? new SqsWorkSource((signal) => this.#api.queueCredentials(this.#target, signal));
  }

  async run(): Promise<void> {
    await mkdir(this.#options.stateDir, { recursive: true, mode: 0o700 });
    await this.#journal.prepare();
    await this.#journal.prune(journalKeepMs, this.#clock.now());
    this.#trusted = new TrustedWorkKeys(this.#options.signingKeys);
    if (!(await this.#register())) return;
    await this.#prepareSource();
    const heartbeats = this.#heartbeatLoop();
    try {
      await this.#pollLoop();
    } finally {
      await Promise.allSettled([...this.#tasks]);
      await heartbeats;
      if (this.#source instanceof SqsWorkSource) this.#source.close();
    }
    if (this.#stopped()) this.#log.info('responder stopped', { responder: this.#id() });
  }

  /** Registers, retrying while the service is unreachable; false when stopped first. */
  async #register(): Promise<boolean> {
    const { signal } = this.#options;
    for (let attempt = 0; !this.#stopped(); attempt += 1) {
      try {
        const answer = await this.#api.register(
          { kind: this.#target.kind, name: this.#target.name, version: this.#options.version, capabilities: [...this.#actions.keys()] },
          signal,
        );
        if (!this.#trustedKeys().has(answer.signingKey.kid)) {
          this.#log.warn('the service signs work with a key this responder does not trust; such work is refused until the key is configured', {
            responder: this.#id(),
            keyId: answer.signingKey.kid,
          });
        }
        this.#log.info('responder registered', { responder: this.#id(), version: this.#options.version, capabilities: [...this.#actions.keys()] });
        return true;
      } catch (error) {
        if (this.#stopped()) return false;
        if (error instanceof ResponderApiError && !error.transient) {
          throw new ResponderStartError(`registration refused: ${error.message}`, { cause: error });
        }
        if (!(error instanceof ResponderApiError)) throw error;
        this.#log.warn('registration failed; retrying', { responder: this.#id(), error: error.message });
        await pause(Math.min(1000 * 2 ** attempt, 30_000), signal);
      }
    }
    return false;
  }

  /**
   * Fetches the queue credentials once before polling: a refusal that retrying cannot change (the
   * local runtime's 409, a token without the binding) stops the responder with the service's words.
   */
  async #prepareSource(): Promise<void> {
    try {
      await this.#source.prepare?.(this.#options.signal);
    } catch (error) {
      if (this.#stopped()) return;
      // A queue URL this responder must not send credentials to (plain http off loopback).
      if (error instanceof ConfigError) throw error;
      if (error instanceof ResponderApiError && !error.transient) {
        throw new ResponderStartError(`queue credentials refused: ${error.message}`, { cause: error });
      }
      // Unreachable or throttled: the poll loop keeps trying.
      this.#log.warn('queue credentials could not be fetched yet; retrying while polling', { responder: this.#id(), error: error instanceof Error ? error.message : String(error) });
    }
  }

  async #heartbeatLoop(): Promise<void> {
    const { signal } = this.#options;
    const interval = (this.#options.heartbeatSeconds ?? defaultHeartbeatSeconds) * 1000;
    while (!this.#stopped()) {
      await pause(interval, signal);
      if (this.#stopped()) return;
      try {
        // Not aborted by a stop: the last heartbeat lands (and ends) before the responder returns.
        await this.#api.heartbeat(this.#target);
      } catch (error) {
        if (this.#stopped()) return;
        if (error instanceof ResponderApiError && error.status === 404) {
          // The service forgot the registration: register again (no new key is taken on here).
          await this.#register().catch((failure: unknown) => {
            this.#log.error('re-registration failed', { responder: this.#id(), error: failure });
          });
          continue;
        }
        this.#log.warn('heartbeat failed', { responder: this.#id(), error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  async #pollLoop(): Promise<void> {
    const { signal } = this.#options;
    const concurrency = this.#options.concurrency ?? 4;
    let failures = 0;
    while (!this.#stopped()) {
      if (this.#tasks.size >= concurrency) {
        await Promise.race([...this.#tasks, pause(60_000, signal)]);
        continue;
      }
      let batch: readonly WorkMessage[];
      try {
        batch = await this.#source.receive(Math.min(10, concurrency - this.#tasks.size), Math.min(20, this.#options.pollWaitSeconds ?? defaultPollWaitSeconds), signal);
        failures = 0;
      } catch (error) {
        if (this.#stopped()) return;
        failures += 1;
        this.#log.warn('polling for work failed; retrying', { responder: this.#id(), error: error instanceof Error ? error.message : String(error) });
        await pause(Math.min(500 * 2 ** failures, 30_000), signal);
        continue;
      }
      for (const item of batch) {
        const task = this.#handle(item).catch((error: unknown) => {
          this.#log.error('a piece of work could not be handled', { responder: this.#id(), error });
        });
        this.#tasks.add(task);
        void task.finally(() => this.#tasks.delete(task));
      }
    }
  }

  async #handle(item: WorkMessage): Promise<void> {
    const order = await this.#verify(item);
    if (order === undefined) return;
    if (this.#stopped()) {
      // Stopping before anything was done: hand the work back rather than hide it until it times out.
      await this.#source.release(item.receipt).catch(() => undefined);
      return;
    }
    const { actionId } = order;
    const running = this.#inProgress.get(actionId);
    if (running !== undefined) {
      // Delivered again while it runs here: keep it alive and let the duplicate leave the queue.
      await this.#report(actionId, { status: 'Running' }, 'duplicate delivery while running', item.receipt);
      return;
    }
    const entry = await this.#journal.get(actionId);
    if (entry?.state === 'done' && entry.outcome !== undefined) {
      await this.#report(actionId, entry.outcome, 'duplicate delivery: stored outcome', item.receipt);
      return;
    }
    if (entry?.state === 'acting') {
      await this.#finish(
        actionId,
        {
          status: 'Error',
          error: {
            code: 'ResponderInterrupted',
            message: `the responder for ${label(this.#target)} stopped while running this action and does not run it twice; check the target before retrying`,
          },
        },
        item.receipt,
      );
      return;
    }
    if (this.#clock.now().getTime() > Date.parse(order.pickupDeadline)) {
      await this.#report(
        actionId,
        { status: 'Error', error: { code: 'PickupDeadlinePassed', message: `the work reached the responder for ${label(this.#target)} after its pickup deadline (${order.pickupDeadline}); nothing was done` } },
        'late work',
        item.receipt,
      );
      return;
    }
    const action = this.#actions.get(order.type);
    if (action === undefined) {
      await this.#report(
        actionId,
        { status: 'Error', error: { code: 'UnsupportedActionType', message: `the responder for ${label(this.#target)} (version ${this.#options.version}) does not run ${order.type}` } },
        'unsupported type',
        item.receipt,
      );
      return;
    }
    await this.#journal.write({ actionId, state: 'acting', at: this.#clock.now().toISOString() });
    const progress: InProgress = { ended: new AbortController() };
    this.#inProgress.set(actionId, progress);
    try {
      try {
        await this.#api.report(actionId, { status: 'Running' });
      } catch (error) {
        if (error instanceof ResponderApiError && !error.transient) {
          // The service refused the pickup: nothing was done, a later dispatch may run it.
          await this.#journal.write({ actionId, state: 'abandoned', at: this.#clock.now().toISOString() });
          this.#log.warn('pickup refused by the service; not acting', { actionId, status: error.status, detail: error.detail });
          if (error.status === 409) await this.#settle(item.receipt);
          return;
        }
        // Unknown whether the service took the pickup: not acting is the safe side (the deadline ends it).
        this.#log.error('pickup could not be reported; not acting', { actionId, error: error instanceof Error ? error.message : String(error) });
        return;
      }
      // Picked up: the message goes now; the journal's `acting` keeps a redelivery from running it again.
      await this.#settle(item.receipt);
      this.#log.info('acting', { actionId, type: order.type, responder: this.#id() });
      const outcome = await this.#execute(action, order, progress);
      await this.#finish(actionId, outcome);
    } finally {
      this.#inProgress.delete(actionId);
    }
  }

  /** The work order, or undefined when the work is refused (logged, not reported). */
  async #verify(item: WorkMessage): Promise<WorkOrder | undefined> {
    let order: WorkOrder;
    try {
      order = await this.#trustedKeys().verify(item.body);
    } catch (error) {
      if (!(error instanceof UntrustedWorkError)) throw error;
      this.#log.warn('work refused: not acted on, not reported', { responder: this.#id(), reason: error.reason, keyId: workKeyId(item.body) ?? null, detail: error.message });
      return undefined;
    }
    if (order.target.kind !== this.#target.kind || order.target.name !== this.#target.name) {
      this.#log.warn('work refused: it names another target; not acted on, not reported', {
        responder: this.#id(),
        actionId: order.actionId,
        namedTarget: `${order.target.kind}/${order.target.name}`,
      });
      return undefined;
    }
    if (!ActionJournal.isJournalable(order.actionId)) {
      this.#log.warn('work refused: its action id cannot be journaled', { responder: this.#id(), actionIdDigest: digest(order.actionId) });
      return undefined;
    }
    return order;
  }

  /** Runs the action with its deadline and keep-alives; every way it can end becomes a report. */
  async #execute(action: ResponderAction, order: WorkOrder, progress: InProgress): Promise<Report> {
    const remaining = Date.parse(order.completionDeadline) - this.#clock.now().getTime();
    const deadline = AbortSignal.timeout(Math.max(0, remaining));
    const signal = AbortSignal.any([this.#options.signal, deadline, progress.ended.signal]);
    const keepAlive = this.#keepAlive(order, progress);
    const context: ResponderActionContext = {
      work: order,
      signal,
      uploadEvidence: (name, contentType, body) => this.#uploadEvidence(order.actionId, name, contentType, body),
      recordProgress: async ({ prior, applied }) => {
        const report: Report = { status: 'Running', ...(prior === undefined ? {} : { prior }), ...(applied === undefined ? {} : { applied }) };
        try {
          await this.#api.report(order.actionId, report);
        } catch (error) {
          if (error instanceof ResponderApiError && error.status === 409) progress.ended.abort(new Error('the action ended on the service'));
          throw error;
        }
      },
    };
    try {
      const outcome: ResponderOutcome = await action.execute(context);
      return {
        status: 'Completed',
        result: outcome.result,
        ...(outcome.prior === undefined ? {} : { prior: outcome.prior }),
        ...(outcome.applied === undefined ? {} : { applied: outcome.applied }),
      };
    } catch (error) {
      if (error instanceof ResponderActionError && errorCodePattern.test(error.code)) {
        return { status: 'Error', error: { code: error.code, message: error.message.slice(0, 2000) || error.code } };
      }
      if (deadline.aborted) {
        return { status: 'Error', error: { code: 'CompletionDeadlinePassed', message: `${order.type} did not finish before its completion deadline (${order.completionDeadline})` } };
      }
      if (this.#stopped()) {
        return { status: 'Error', error: { code: 'ResponderStopped', message: `the responder for ${label(this.#target)} stopped while running ${order.type}` } };
      }
      this.#log.error('action failed unexpectedly', { actionId: order.actionId, type: order.type, error });
      return { status: 'Error', error: { code: 'ResponderFailed', message: `${order.type} failed unexpectedly on the responder for ${label(this.#target)}; its log says why (action ${order.actionId})` } };
    } finally {
      keepAlive.stop();
    }
  }

  /** Running reports at a third of the pickup window, so the execution's heartbeat never lapses while the action runs. */
  #keepAlive(order: WorkOrder, progress: InProgress): { stop(): void } {
    const window = Date.parse(order.pickupDeadline) - Date.parse(order.issuedAt);
    const every = Math.max(250, Math.min(window / 3, 60_000));
    const timer = setInterval(() => {
      this.#api.report(order.actionId, { status: 'Running' }, { retry: false }).catch((error: unknown) => {
        if (error instanceof ResponderApiError && error.status === 409) {
          progress.ended.abort(new Error('the action ended on the service'));
          return;
        }
        this.#log.warn('keep-alive failed', { actionId: order.actionId, error: error instanceof Error ? error.message : String(error) });
      });
    }, every);
    return { stop: () => { clearInterval(timer); } };
  }

  async #uploadEvidence(actionId: string, name: string, contentType: string, body: Uint8Array): Promise<{ name: string; sha256: string; size: number }> {
    const sha256 = createHash('sha256').update(body).digest('hex');
    const grant = await this.#api.uploadGrant(actionId, { name, contentType, size: body.byteLength, sha256 });
    await this.#api.upload(grant, body);
    return { name, sha256, size: body.byteLength };
  }

  /** Journals the outcome, then reports it (and deletes the message of a duplicate delivery, if any). */
  async #finish(actionId: string, outcome: Report, receipt?: string): Promise<void> {
    const entry: JournalEntry = { actionId, state: 'done', at: this.#clock.now().toISOString(), outcome };
    await this.#journal.write(entry);
    await this.#report(actionId, outcome, `outcome ${outcome.status}`, receipt);
  }

  /**
   * A report whose refusal is logged, not thrown: 409 means the service had already settled it.
   * With a receipt, the message goes once the service answered for it (2xx or 409).
   */
  async #report(actionId: string, report: Report, why: string, receipt?: string): Promise<void> {
    try {
      await this.#api.report(actionId, report);
      this.#log.info('reported', { actionId, status: report.status, why, ...(report.error === undefined ? {} : { code: report.error.code }) });
    } catch (error) {
      if (error instanceof ResponderApiError) {
        this.#log.warn('report not applied', { actionId, status: report.status, why, httpStatus: error.status, detail: error.detail });
        if (error.status === 409 && receipt !== undefined) await this.#settle(receipt);
        return;
      }
      throw error;
    }
    if (receipt !== undefined) await this.#settle(receipt);
  }

  /** Deletes a message the service has answered for; a failure leaves it to come back, where the journal answers it. */
  async #settle(receipt: string): Promise<void> {
    try {
      await this.#source.delete(receipt);
    } catch (error) {
      this.#log.warn('a settled work message could not be deleted; a redelivery is answered from the journal', {
        responder: this.#id(),
        error: error instanceof Error ? error.name : String(error),
      });
    }
  }

  /** Read through a call, so checks after an await are not narrowed away. */
  #stopped(): boolean {
    return this.#options.signal.aborted;
  }

  #trustedKeys(): TrustedWorkKeys {
    if (this.#trusted === undefined) throw new Error('the trusted keys are read before anything is received');
    return this.#trusted;
  }

  #id(): string {
    return `${this.#target.kind}/${this.#target.name}`;
  }
}

function label(target: WorkTarget): string {
  return `${target.kind === 'host' ? 'host' : 'cluster'} ${target.name}`;
}

/** Names a value in a log without repeating it. */
function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}
