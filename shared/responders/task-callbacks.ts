import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { JsonValue } from '#shared/json.ts';

/**
 * The callbacks of a `.waitForTaskToken` task: what the report route calls when a responder
 * reports. In AWS, Step Functions' SendTaskHeartbeat/Success/Failure; locally, the local runner's
 * in-process registry. Tokens are secrets: no implementation logs them.
 */
export interface TaskCallbacks {
  /** Resets the task's heartbeat timer (the pickup deadline, then keep-alive while running). */
  heartbeat(taskToken: string): Promise<void>;
  /** Ends the task successfully; `output` becomes the Dispatch state's result. */
  succeed(taskToken: string, output: JsonValue): Promise<void>;
  /** Ends the task with an error the state machine's Catch sees as `{ Error: error, Cause: cause }`. */
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** The execution no longer waits on this token: it timed out, failed or was stopped. A late report. */
export class TaskTokenExpiredError extends Error {
  override readonly name = 'TaskTokenExpiredError';
}

/** Step Functions' task callbacks. */
export class SfnTaskCallbacks implements TaskCallbacks {
  readonly #client: SFNClient;

  constructor(client: SFNClient) {
    this.#client = client;
  }

  async heartbeat(taskToken: string): Promise<void> {
    await expired(this.#client.send(new SendTaskHeartbeatCommand({ taskToken })));
  }

  async succeed(taskToken: string, output: JsonValue): Promise<void> {
    await expired(this.#client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    // SendTaskFailure takes an error of at most 256 and a cause of at most 32768 characters.
    await expired(this.#client.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) })));
  }
}

async function expired(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || error instanceof InvalidToken) {
      // The SDK error's message may quote the token: keep it out of the message (and so of logs).
      throw new TaskTokenExpiredError(`the execution no longer waits for this report (${error.name})`);
    }
    throw error;
  }
}
