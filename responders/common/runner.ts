/**
 * The loop every responder runs (host and Kubernetes alike): register, heartbeat, long-poll its own
 * SQS queue directly (work-source.ts: no API call while it waits), check each piece of work, act
 * at most once per action id, report over the API, and delete the message itself.
 *
 * For each piece of work, in order (work-handler.ts, and execute-action.ts for 5 and 6):
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
import { mkdir } from 'node:fs/promises';
import { systemClock, type Clock } from '#shared/clock.ts';
import { ConfigError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import type { ResponderAction, ResponderKind, WorkTarget } from '#shared/responders/protocol.ts';
import { responderId } from '#shared/responders/target.ts';
import { TrustedWorkKeys } from '#shared/responders/work-signing.ts';
import { pause, ResponderApi, ResponderApiError, type TokenSource } from './api-client.ts';
import { checkApiUrl } from './api-url.ts';
import { ActionJournal } from './journal.ts';
import { WorkHandler } from './work-handler.ts';
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

const journalKeepMs = 7 * 24 * 60 * 60 * 1000;
/** SQS long-poll wait (the most SQS allows) and heartbeat interval when not configured. */
export const defaultPollWaitSeconds = 20;
export const defaultHeartbeatSeconds = 30;

class ResponderRunner {
  readonly #options: RunResponderOptions;
  readonly #target: WorkTarget;
  readonly #api: ResponderApi;
  readonly #journal: ActionJournal;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #actions: ReadonlyMap<string, ResponderAction>;
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
    const trusted = new TrustedWorkKeys(this.#options.signingKeys);
    this.#trusted = trusted;
    if (!(await this.#register())) return;
    await this.#prepareSource();
    const handler = new WorkHandler({
      api: this.#api,
      journal: this.#journal,
      source: this.#source,
      trusted,
      target: this.#target,
      version: this.#options.version,
      actions: this.#actions,
      clock: this.#clock,
      log: this.#log,
      stop: this.#options.signal,
    });
    const heartbeats = this.#heartbeatLoop();
    try {
      // What a previous process left unsaid (killed mid-action) is reported before new work comes.
      await handler.recover().catch((error: unknown) => {
        this.#log.error('the journal of a previous run could not be replayed; its actions end at their deadlines', { responder: this.#id(), error });
      });
      await this.#pollLoop(handler);
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

  async #pollLoop(handler: WorkHandler): Promise<void> {
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
        const task = handler.handle(item).catch((error: unknown) => {
          this.#log.error('a piece of work could not be handled', { responder: this.#id(), error });
        });
        this.#tasks.add(task);
        void task.finally(() => this.#tasks.delete(task));
      }
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
    return responderId(this.#target);
  }
}
