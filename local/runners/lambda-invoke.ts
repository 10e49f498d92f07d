/**
 * A handler called the way a Task state's `lambda:invoke` calls a Lambda function, and the
 * aws-local-stepfunctions types the runners share.
 */
import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';

type Overrides = NonNullable<RunOptions['overrides']>;
export type TaskHandler = NonNullable<Overrides['taskResourceLocalHandlers']>[string];
export type JsonForMachine = Parameters<TaskHandler>[0];
export type Execution = ReturnType<StateMachine['run']>;
/** Shorter retry pauses and waits for tests (aws-local-stepfunctions' overrides, by state name). */
export type RetryIntervalOverrides = Overrides['retryIntervalOverrides'];
export type WaitTimeOverrides = Overrides['waitTimeOverrides'];

/** The tests' shorter retry pauses and waits, as the runners' options carry them. */
export interface MachineTiming {
  readonly retryIntervalOverrides?: RetryIntervalOverrides;
  readonly waitTimeOverrides?: WaitTimeOverrides;
}

/**
 * Starts an execution with its Task states bound to in-process handlers and the timing overrides
 * given; an abort (close) ends it without throwing. `context` is what `$$` reads.
 */
export function runWithHandlers(
  machine: StateMachine,
  input: JsonForMachine,
  handlers: Record<string, TaskHandler>,
  timing: MachineTiming,
  context?: RunOptions['context'],
): Execution {
  return machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      ...(timing.retryIntervalOverrides === undefined ? {} : { retryIntervalOverrides: timing.retryIntervalOverrides }),
      ...(timing.waitTimeOverrides === undefined ? {} : { waitTimeOverrides: timing.waitTimeOverrides }),
    },
    noThrowOnAbort: true,
    ...(context === undefined ? {} : { context }),
  });
}

/**
 * Calls a handler as Step Functions' `lambda:invoke` would: the Task's Parameters carry the
 * function's event under Payload, the answer comes back under Payload, and a thrown error keeps
 * its name (the Lambda errorType the Retry and Catch rules match) with the Lambda error object,
 * as JSON, as its cause.
 */
export async function invokeLikeLambda(handler: (event: unknown) => Promise<unknown>, input: JsonForMachine): Promise<JsonForMachine> {
  const event: unknown = typeof input === 'object' && input !== null && !Array.isArray(input) ? roundTrip(input['Payload'] ?? null) : null;
  try {
    const answer = await handler(event);
    return { ExecutedVersion: '$LATEST', StatusCode: 200, Payload: roundTrip(answer ?? null) };
  } catch (error) {
    throw new LambdaFunctionError(error);
  }
}

/** A handler's failure as Step Functions sees it: name = errorType, message = the Lambda error object. */
class LambdaFunctionError extends Error {
  constructor(error: unknown) {
    const errorType = error instanceof Error ? error.name : 'Error';
    const errorMessage = error instanceof Error ? error.message : String(error);
    super(JSON.stringify({ errorType, errorMessage }), { cause: error });
    this.name = errorType;
  }
}

/** What crosses a Lambda boundary is JSON: nothing else may leak between steps. */
export function roundTrip(value: unknown): JsonForMachine {
  return JSON.parse(JSON.stringify(value)) as JsonForMachine;
}
