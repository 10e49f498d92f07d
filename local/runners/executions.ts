/**
 * The executions one local runner has started: one per action id (as Step Functions' execution
 * names make it in AWS), each with its event history and the handler invocations in flight.
 */
import { endInError, type StatusRepository } from '#shared/actions/mark-status.ts';
import { isTerminal } from '#shared/history/status.ts';
import type { Logger } from '#shared/log.ts';
import type { Execution, JsonForMachine } from './lambda-invoke.ts';

/** One entry of an execution's event history (StateEntered, StateRetried, ExecutionFailed, ...). */
export type ExecutionEvent = Execution['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;

export interface Running {
  readonly actionId: string;
  readonly events: ExecutionEvent[];
  /** Handler invocations in progress, so a deadline can let a running step record what it changed. */
  readonly inFlight: Set<Promise<unknown>>;
  abort: () => void;
  done: Promise<void>;
}

/** Marks a handler invocation as in flight until it settles. */
export type Track = (invocation: Promise<JsonForMachine>) => Promise<JsonForMachine>;

/** Histories are for tests and debugging; a long-running process keeps the latest few hundred. */
const keptHistories = 500;

export class Executions {
  readonly #running = new Map<string, Running>();
  readonly #started = new Set<string>();
  readonly #histories = new Map<string, ExecutionEvent[]>();
  readonly #what: string;
  readonly #logger: Logger;

  /** `what` names the runner in its log lines ("local cloud action"). */
  constructor(what: string, logger: Logger) {
    this.#what = what;
    this.#logger = logger;
  }

  /**
   * Starts the action's execution unless it has one here already: a second start counts as
   * started, as ExecutionAlreadyExists does in AWS. `run` starts it, wrapping its handlers in
   * `track`; `drive` waits for it and makes sure the record ends.
   */
  launch(actionId: string, run: (track: Track) => Execution, drive: (running: Running, execution: Execution) => Promise<void>): void {
    if (this.#started.has(actionId)) return;
    this.#started.add(actionId);
    const running: Running = { actionId, events: [], inFlight: new Set(), abort: () => undefined, done: Promise.resolve() };
    const execution = run((invocation) => {
      running.inFlight.add(invocation);
      void invocation.finally(() => running.inFlight.delete(invocation)).catch(() => undefined);
      return invocation;
    });
    running.abort = execution.abort;
    this.#histories.set(actionId, running.events);
    if (this.#histories.size > keptHistories) {
      const oldest = this.#histories.keys().next().value;
      if (oldest !== undefined) this.#histories.delete(oldest);
    }
    void collectEvents(execution.eventLogs, running.events);
    running.done = drive(running, execution).catch((error: unknown) => {
      this.#logger.error(`${this.#what} execution could not be closed out`, { actionId, error });
    });
    this.#running.set(actionId, running);
    void running.done.finally(() => {
      this.#running.delete(actionId);
    });
  }

  /** Resolves when no execution runs. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.allSettled([...this.#running.values()].map((running) => running.done));
    }
  }

  /** Stops every execution; their records stay as they are, for restart recovery. */
  abortAll(): void {
    for (const running of this.#running.values()) running.abort();
  }

  /** The event history of an action's execution, oldest first. */
  history(actionId: string): readonly ExecutionEvent[] {
    return this.#histories.get(actionId) ?? [];
  }
}

/** An execution failed: MarkError normally ended the record; if even that failed, the record must still not stay Running. */
export async function endFailedExecution(repository: StatusRepository, actionId: string, error: unknown): Promise<void> {
  const record = await repository.get(actionId);
  if (record === null || isTerminal(record.status)) return;
  await endInError(repository, actionId, { code: 'ExecutionFailed', message: unrecordedFailure(error) });
}

/** Why an execution failed when nothing recorded it: the handler's own error under the Lambda error the runner wrapped it in. */
export function unrecordedFailure(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return `the execution failed without recording why: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`;
}

async function collectEvents(events: Execution['eventLogs'], into: ExecutionEvent[]): Promise<void> {
  for await (const event of events) {
    into.push(event);
    if (event.type === 'ExecutionSucceeded' || event.type === 'ExecutionFailed' || event.type === 'ExecutionAborted' || event.type === 'ExecutionTimeout') {
      return;
    }
  }
}
