/**
 * The local `.waitForTaskToken` callback registry (LocalTaskTokens) and the Step Functions errors
 * its timers raise into the responder state machine's own Catch rules.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '#shared/clock.ts';
import type { JsonValue } from '#shared/json.ts';
import { TaskTokenExpiredError, type TaskCallbacks } from '#shared/responders/task-callbacks.ts';

/** The task's heartbeat timer ran out: Step Functions' States.HeartbeatTimeout. */
class HeartbeatTimeoutError extends Error {
  constructor(seconds: number) {
    super(`no heartbeat within ${seconds} s`);
    this.name = 'States.HeartbeatTimeout';
  }
}

/** The task's TimeoutSeconds ran out: Step Functions' States.Timeout. */
class TaskTimeoutError extends Error {
  constructor(seconds: number) {
    super(`the task did not finish within ${seconds} s`);
    this.name = 'States.Timeout';
  }
}

/** SendTaskFailure as a Catch sees it: the error is the name, the cause the message. */
class TaskFailureError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** The local runtime stopped while a task waited. */
export class TaskAbandonedError extends Error {
  override readonly name = 'States.Runtime';
}

interface PendingTask {
  readonly resolve: (output: JsonValue) => void;
  readonly reject: (error: Error) => void;
  readonly heartbeatSeconds: number;
  /** Armed by the first heartbeat (see open). */
  heartbeatTimer: NodeJS.Timeout | undefined;
  timeoutTimer: NodeJS.Timeout;
}

/**
 * The local `.waitForTaskToken` callback: aws-local-stepfunctions has none, so the Dispatch state's
 * handler opens a token here and waits on it. SendTaskHeartbeat/Success/Failure become
 * `heartbeat`, `succeed` and `fail`; the heartbeat and timeout timers raise States.HeartbeatTimeout
 * and States.Timeout into the state machine's own Catch rules. Tokens are random, live in memory
 * only (a restart forgets them: see local/recovery.ts) and are never logged.
 */
export class LocalTaskTokens implements TaskCallbacks {
  readonly #pending = new Map<string, PendingTask>();
  readonly #clock: Clock;

  /** `clock` is the one the history records times with: a deadline never fires before it says the time is up. */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** Tasks waiting now. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * A new token and what it settles to. The timeout timer starts now, as TimeoutSeconds does; the
   * heartbeat timer (the pickup deadline) starts with the first `heartbeat`, which the runner gives
   * once Dispatch has signed and sent the work: the pickup deadline then runs from no earlier than
   * the work order's issuedAt, as the order's signed pickupDeadline tells the responder.
   */
  open(timers: { readonly heartbeatSeconds: number; readonly timeoutSeconds: number }): { token: string; settled: Promise<JsonValue> } {
    const token = randomBytes(48).toString('base64url');
    const settled = new Promise<JsonValue>((resolve, reject) => {
      const pending: PendingTask = {
        resolve,
        reject,
        heartbeatSeconds: timers.heartbeatSeconds,
        heartbeatTimer: undefined,
        timeoutTimer: this.#deadline(this.#clock.now().getTime() + timers.timeoutSeconds * 1000, (timer) => {
          const pending = this.#pending.get(token);
          if (pending !== undefined) pending.timeoutTimer = timer;
        }, () => {
          this.#settle(token)?.reject(new TaskTimeoutError(timers.timeoutSeconds));
        }),
      };
      this.#pending.set(token, pending);
    });
    return { token, settled };
  }

  /** Forgets a token whose dispatch failed (the task fails with the dispatch's own error). */
  cancel(token: string): void {
    this.#settle(token);
  }

  heartbeat(taskToken: string): Promise<void> {
    const pending = this.#pending.get(taskToken);
    if (pending === undefined) return Promise.reject(expired());
    clearTimeout(pending.heartbeatTimer);
    pending.heartbeatTimer = this.#heartbeatTimer(taskToken, pending.heartbeatSeconds);
    return Promise.resolve();
  }

  succeed(taskToken: string, output: JsonValue): Promise<void> {
    const pending = this.#settle(taskToken);
    if (pending === undefined) return Promise.reject(expired());
    pending.resolve(output);
    return Promise.resolve();
  }

  fail(taskToken: string, error: string, cause: string): Promise<void> {
    const pending = this.#settle(taskToken);
    if (pending === undefined) return Promise.reject(expired());
    pending.reject(new TaskFailureError(error, cause));
    return Promise.resolve();
  }

  /** Fails every waiting task (the runtime is stopping) and clears the timers. */
  close(): void {
    for (const token of [...this.#pending.keys()]) this.#settle(token)?.reject(new TaskAbandonedError('the local runtime stopped'));
  }

  #heartbeatTimer(token: string, seconds: number): NodeJS.Timeout {
    return this.#deadline(this.#clock.now().getTime() + seconds * 1000, (timer) => {
      const pending = this.#pending.get(token);
      if (pending !== undefined) pending.heartbeatTimer = timer;
    }, () => {
      this.#settle(token)?.reject(new HeartbeatTimeoutError(seconds));
    });
  }

  /**
   * Fires `lapse` once the clock reads `due` or later. A Node timer runs on the monotonic loop
   * clock and may fire a little before the wall clock the history records with reaches `due`;
   * firing then would record the lapse before its own deadline, so it waits out the rest.
   */
  #deadline(due: number, rearmed: (timer: NodeJS.Timeout) => void, lapse: () => void): NodeJS.Timeout {
    return setTimeout(() => {
      const left = due - this.#clock.now().getTime();
      if (left > 0) rearmed(this.#deadline(due, rearmed, lapse));
      else lapse();
    }, Math.max(0, due - this.#clock.now().getTime()));
  }

  #settle(token: string): PendingTask | undefined {
    const pending = this.#pending.get(token);
    if (pending === undefined) return undefined;
    this.#pending.delete(token);
    clearTimeout(pending.heartbeatTimer);
    clearTimeout(pending.timeoutTimer);
    return pending;
  }
}

function expired(): TaskTokenExpiredError {
  return new TaskTokenExpiredError('the execution no longer waits for this report (its task ended or timed out)');
}
