import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { StatusConflictError } from '#shared/errors.ts';
import type { ActionError, ActionRecord } from '#shared/history/record.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import type { ActionStatus } from '#shared/history/status.ts';
import type { JsonValue } from '#shared/json.ts';
import { logger } from '#shared/log.ts';
import { ActionNotRunningError, InvalidStepEventError, errorCodeOf } from './errors.ts';

export type StatusRepository = Pick<HistoryWriter, 'get' | 'transition' | 'releaseUndo'>;

export interface MarkStatusDeps {
  readonly repository: StatusRepository;
}

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

/** What the state machine's MarkRunning, MarkCompleted and MarkError states send. */
const stepEventSchema = z.discriminatedUnion('status', [
  z.object({ actionId: z.string().min(1), status: z.literal('Running') }),
  z.object({ actionId: z.string().min(1), status: z.literal('Completed'), result: jsonValue.optional() }),
  z.object({
    actionId: z.string().min(1),
    status: z.literal('Error'),
    // The Step Functions error object a Catch put at $.error (or the wait bound's own).
    error: z.object({ Error: z.string(), Cause: z.string().nullish() }),
  }),
]);

/**
 * Step Functions' own "Execution Status Change" event, for an EventBridge rule on executions
 * that ended without reaching MarkError (timed out at the state machine's TimeoutSeconds,
 * stopped by hand, or MarkError itself failing): the record must not stay Running.
 */
const executionEventSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    name: z.string().min(1),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

export type MarkStatusEvent = z.infer<typeof stepEventSchema>;

export interface MarkStatusOutput {
  readonly actionId: string;
  readonly status: ActionStatus | null;
}

/** The handler of the mark-status function; `deps` may be a factory called on first use. */
export function createMarkStatusHandler(deps: MarkStatusDeps | (() => MarkStatusDeps)): (event: unknown) => Promise<MarkStatusOutput> {
  let resolved: MarkStatusDeps | undefined;
  return async (event) => {
    resolved ??= typeof deps === 'function' ? deps() : deps;
    const step = stepEventSchema.safeParse(event);
    if (step.success) return markStatus(resolved.repository, step.data);
    const execution = executionEventSchema.safeParse(event);
    if (execution.success) return markEndedExecution(resolved.repository, execution.data.detail);
    throw new InvalidStepEventError(`mark-status needs { actionId, status: Running | Completed | Error }: ${step.error.message}`);
  };
}

/**
 * A status write DynamoDB refused on its condition every time the history writer re-read and tried
 * (the record kept changing, or the store kept answering so): the move did not happen.
 */
export class StatusWriteContendedError extends Error {
  override readonly name = 'StatusWriteContendedError';
}

/** Rounds of the writer's own attempts (each re-reads the record) before a status write is given up. */
const contendedRounds = 5;

/**
 * Runs a status write again, after a jittered pause, when the history writer gave up on
 * ConditionalCheckFailedException (it retries at once, re-reading, a few times; a real race settles
 * within those, since a status moves at most four times). Anything else is thrown as is; a write
 * refused every round becomes a StatusWriteContendedError that says so, never the SDK's bare error.
 */
export async function retryContendedStatusWrite<Result>(what: string, write: () => Promise<Result>): Promise<Result> {
  for (let round = 1; ; round += 1) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (round >= contendedRounds) {
        throw new StatusWriteContendedError(
          `${what}: the history store refused the conditional write ${String(round)} rounds running, each after reading the record again; nothing was changed`,
          { cause: error },
        );
      }
      // Full jitter, so writers that collided do not collide again in step.
      await sleep(Math.random() * Math.min(1000, 50 * 2 ** round));
    }
  }
}

/** Moves the record as the state machine says; every move is safe to repeat (the state machine retries). */
export async function markStatus(repository: StatusRepository, event: MarkStatusEvent): Promise<MarkStatusOutput> {
  switch (event.status) {
    case 'Running':
      return { actionId: event.actionId, status: (await markRunning(repository, event.actionId)).status };
    case 'Completed':
      return { actionId: event.actionId, status: (await markCompleted(repository, event.actionId, event.result ?? null)).status };
    case 'Error': {
      const ended = await endInError(repository, event.actionId, stepFunctionsError(event.error.Error, event.error.Cause));
      return { actionId: event.actionId, status: ended?.status ?? null };
    }
  }
}

/**
 * Created → Enqueued ("execution started") → Running. The execution may start before the
 * starter's own Enqueued mark lands, so a Created record is enqueued here first and whichever
 * of the two writes loses simply finds it done.
 */
export async function markRunning(repository: StatusRepository, actionId: string): Promise<ActionRecord> {
  const record = await repository.get(actionId);
  if (record === null) throw new ActionNotRunningError(`action ${actionId} does not exist in the history`);
  if (record.status === 'Running') return record;
  if (record.status === 'Created') {
    try {
      await retryContendedStatusWrite(`action ${actionId} could not be marked Enqueued`, () => repository.transition(actionId, 'Enqueued', { detail: 'execution started' }));
    } catch (error) {
      // Someone else moved it meanwhile; the move to Running below decides whether that matters.
      if (!(error instanceof StatusConflictError)) throw error;
    }
  }
  try {
    return await retryContendedStatusWrite(`action ${actionId} could not be marked Running`, () => repository.transition(actionId, 'Running', { detail: 'execution running' }));
  } catch (error) {
    if (!(error instanceof StatusConflictError)) throw error;
    const current = await repository.get(actionId);
    if (current?.status === 'Running') return current;
    throw new ActionNotRunningError(`action ${actionId} is ${current?.status ?? 'gone'}, so its execution stops here`, { cause: error });
  }
}

export async function markCompleted(repository: StatusRepository, actionId: string, result: JsonValue): Promise<ActionRecord> {
  try {
    return await retryContendedStatusWrite(`action ${actionId} could not be marked Completed`, () => repository.transition(actionId, 'Completed', { result }));
  } catch (error) {
    if (!(error instanceof StatusConflictError)) throw error;
    const current = await repository.get(actionId);
    if (current?.status === 'Completed') return current;
    logger.warn('a Completed outcome lost to an earlier ending', { actionId, status: current?.status ?? null });
    throw new ActionNotRunningError(`action ${actionId} is ${current?.status ?? 'gone'} and cannot become Completed`, { cause: error });
  }
}

/**
 * Ends an action in Error unless it already ended; an undo that ends in Error unlinks itself from
 * the action it undoes, so that undo may be tried again. Used by MarkError, the local deadline
 * timer and restart recovery alike. Returns the record as it ends up (null when it does not exist).
 */
export async function endInError(repository: StatusRepository, actionId: string, error: ActionError): Promise<ActionRecord | null> {
  let record: ActionRecord | null;
  try {
    record = await retryContendedStatusWrite(`action ${actionId} could not be marked Error (${error.code})`, () => repository.transition(actionId, 'Error', { error }));
  } catch (conflict) {
    if (!(conflict instanceof StatusConflictError)) throw conflict;
    // Already terminal (or gone): the first ending stands, and the log says which ending lost.
    record = await repository.get(actionId);
    if (!(record?.status === 'Error' && record.error?.code === error.code)) {
      logger.warn('an Error ending lost to an earlier ending', { actionId, status: record?.status ?? null, code: error.code });
    }
  }
  if (record?.status === 'Error' && record.undoOf !== null) {
    // Conditional on the link naming this undo, so repeating it is harmless.
    await repository.releaseUndo(record.undoOf, record.id);
  }
  return record;
}

const maxMessageLength = 2000;

/** The record's error for a Step Functions `{ Error, Cause }`; a Lambda's Cause is JSON with its errorMessage. */
export function stepFunctionsError(name: string, cause: string | null | undefined): ActionError {
  return { code: errorCodeOf(name), message: causeMessage(name, cause).slice(0, maxMessageLength) };
}

function causeMessage(name: string, cause: string | null | undefined): string {
  if (cause === undefined || cause === null || cause.trim() === '') {
    return name === 'States.Timeout' ? 'a step did not finish within its time limit (States.Timeout)' : `${name} (no message)`;
  }
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') {
      return parsed.errorMessage;
    }
  } catch {
    // Not JSON: the cause is the message itself.
  }
  return cause;
}

async function markEndedExecution(
  repository: StatusRepository,
  detail: z.infer<typeof executionEventSchema>['detail'],
): Promise<MarkStatusOutput> {
  const error: ActionError =
    detail.status === 'TIMED_OUT'
      ? { code: 'DeadlineExceeded', message: 'the action did not finish before its deadline; prior/applied as recorded, undo can clean up' }
      : detail.status === 'ABORTED'
        ? { code: 'ExecutionFailed', message: 'the execution was stopped before the action finished; prior/applied as recorded' }
        : { code: 'ExecutionFailed', message: stepFunctionsError(detail.error ?? 'States.Runtime', detail.cause).message };
  const ended = await endInError(repository, detail.name, error);
  return { actionId: detail.name, status: ended?.status ?? null };
}
