/**
 * The Dispatch state of the responder state machine (`lambda:invoke.waitForTaskToken`): signs the
 * work order, stores the task token with the action, sends the work to the target's own queue and
 * marks the record Enqueued. The execution then waits until the responder's reports, through the
 * API, call back with the token. Also explains a lapsed deadline (ExplainLapse) from the record.
 */
import * as z from 'zod';
import type { Clock } from '#shared/clock.ts';
import { StatusConflictError } from '#shared/errors.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import { isTerminal } from '#shared/history/status.ts';
import { logger as defaultLogger, type Logger } from '#shared/log.ts';
import type { UndoSource, WorkOrder } from './protocol.ts';
import type { ResponderQueues } from './queues.ts';
import { storedReportProblems } from './report-schemas/index.ts';
import type { ResponderStore } from './store.ts';
import type { TaskCallbacks } from './task-callbacks.ts';
import { NotResponderWorkError, targetLabel, workTargetOf } from './target.ts';
import { signWorkOrder, type WorkSigningKey } from './work-signing.ts';

/** The work could not be sent (the action is gone or ended, its undo source is missing): not retried. */
export class DispatchFailedError extends Error {
  override readonly name = 'DispatchFailedError';
}

/** The state machine sent an event this function does not take (a defect). */
export class InvalidDispatchEventError extends Error {
  override readonly name = 'InvalidDispatchEventError';
}

export interface DispatchDeps {
  readonly repository: Pick<HistoryWriter, 'get' | 'transition'>;
  readonly store: Pick<ResponderStore, 'saveDispatch'>;
  readonly queues: Pick<ResponderQueues, 'send'>;
  readonly signingKey: WorkSigningKey;
  readonly clock: Clock;
  readonly logger?: Logger;
  /**
   * SendTaskHeartbeat, given right after the work is sent: Step Functions counts the Dispatch task's HeartbeatSeconds (the pickup
   * deadline) from the task's start, before the order is signed; the heartbeat restarts it from the send, so the service never
   * declares the pickup deadline before the `pickupDeadline` signed into the order. The local runner gives the same heartbeat
   * itself once Dispatch returns (local/runners/responder-runner.ts), so it leaves this out.
   */
  readonly callbacks?: Pick<TaskCallbacks, 'heartbeat'>;
}

const deadlines = z.strictObject({ pickupSeconds: z.number().int().min(1), completionSeconds: z.number().int().min(1) });
const lapseError = z.object({ Error: z.string(), Cause: z.string().nullish() });

const eventSchema = z.discriminatedUnion('step', [
  z.strictObject({
    step: z.literal('dispatch'),
    actionId: z.string().min(1),
    taskToken: z.string().min(1),
    deadlines,
  }),
  z.strictObject({
    step: z.literal('explain-lapse'),
    actionId: z.string().min(1),
    target: z.object({ label: z.string() }),
    deadlines,
    error: lapseError,
  }),
]);

export type DispatchEvent = z.infer<typeof eventSchema>;

/** What Dispatch returns (ignored by `.waitForTaskToken`, kept for the execution history). */
export interface DispatchOutput {
  readonly actionId: string;
  readonly messageId: string;
}

/** A Step Functions error object, as ExplainLapse hands it to MarkError. */
export interface LapseExplanation {
  readonly Error: string;
  readonly Cause: string;
}

/** The handler of the dispatch-work function; `deps` may be a factory called on first use. */
export function createDispatchWorkHandler(
  deps: DispatchDeps | (() => Promise<DispatchDeps>),
): (event: unknown) => Promise<DispatchOutput | LapseExplanation> {
  let resolved: Promise<DispatchDeps> | undefined;
  return async (event) => {
    let building = resolved;
    if (building === undefined) {
      const started = typeof deps === 'function' ? deps() : Promise.resolve(deps);
      // A failed start (a secret not readable yet) is tried again on the next invocation.
      started.catch(() => {
        if (resolved === started) resolved = undefined;
      });
      resolved = building = started;
    }
    const parsed = eventSchema.safeParse(event);
    if (!parsed.success) {
      // The issues name fields only; a task token in the event never reaches the message.
      throw new InvalidDispatchEventError(
        `dispatch-work needs { step: dispatch | explain-lapse, actionId, ... }: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`,
      );
    }
    const ready = await building;
    return parsed.data.step === 'dispatch' ? dispatchWork(ready, parsed.data) : explainLapse(ready, parsed.data);
  };
}

async function dispatchWork(deps: DispatchDeps, event: Extract<DispatchEvent, { step: 'dispatch' }>): Promise<DispatchOutput> {
  const record = await deps.repository.get(event.actionId);
  if (record === null) throw new DispatchFailedError(`action ${event.actionId} does not exist in the history`);
  if (isTerminal(record.status)) throw new DispatchFailedError(`action ${record.id} is already ${record.status}; nothing is sent`);
  let target;
  try {
    target = workTargetOf(record);
  } catch (error) {
    if (error instanceof NotResponderWorkError) throw new DispatchFailedError(error.message, { cause: error });
    throw error;
  }
  const now = deps.clock.now();
  const order: WorkOrder = {
    v: 1,
    actionId: record.id,
    type: record.type,
    inputs: record.inputs,
    target,
    undoOf: await undoSourceOf(deps, record),
    issuedAt: now.toISOString(),
    pickupDeadline: new Date(now.getTime() + event.deadlines.pickupSeconds * 1000).toISOString(),
    completionDeadline: new Date(now.getTime() + event.deadlines.completionSeconds * 1000).toISOString(),
    // Signed with the rest: a rule's work is refused on exempt targets, and no one can strip that.
    ...(record.trigger?.ruleId == null ? {} : { ruleId: record.trigger.ruleId }),
  };
  const signed = await signWorkOrder(order, deps.signingKey);
  const keyId = deps.signingKey.keyId;
  let messageId: string;
  try {
    // The token is stored before the work can reach anyone, so the first report always finds it.
    await deps.store.saveDispatch({
      actionId: record.id,
      taskToken: event.taskToken,
      target,
      keyId,
      issuedAt: order.issuedAt,
      pickupDeadline: order.pickupDeadline,
      completionDeadline: order.completionDeadline,
    });
    messageId = await deps.queues.send(target, signed);
  } catch (error) {
    // The SDK already retried; what is left is a message for the record (never the token).
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new DispatchFailedError(`the work could not be sent to ${targetLabel(target)}'s queue (${why})`, { cause: error });
  }
  await restartPickupWindow(deps, record.id, event.taskToken);
  try {
    await deps.repository.transition(record.id, 'Enqueued', { detail: `sent to ${targetLabel(target)}'s queue` });
  } catch (error) {
    // Already Enqueued (a re-dispatch) or moved on by a fast responder: the work is out either way.
    if (!(error instanceof StatusConflictError) || error.currentStatus === null) throw error;
  }
  (deps.logger ?? defaultLogger).info('work dispatched', { actionId: record.id, target: `${target.kind}/${target.name}`, messageId, keyId });
  return { actionId: record.id, messageId };
}

/**
 * The heartbeat after the send. The work is out, so a failure here fails nothing: it is logged (never with the token) and the
 * dispatch goes on; the pickup deadline then still counts from the task's start, as it did before this heartbeat existed.
 */
async function restartPickupWindow(deps: DispatchDeps, actionId: string, taskToken: string): Promise<void> {
  if (deps.callbacks === undefined) return;
  try {
    await deps.callbacks.heartbeat(taskToken);
  } catch (error) {
    (deps.logger ?? defaultLogger).warn('pickup heartbeat after dispatch failed; the pickup deadline counts from the Dispatch task\'s start', {
      actionId,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
}

async function undoSourceOf(deps: DispatchDeps, record: ActionRecord): Promise<UndoSource | null> {
  if (record.undoOf === null) return null;
  const original = await deps.repository.get(record.undoOf);
  if (original === null) throw new DispatchFailedError(`action ${record.undoOf}, which ${record.id} undoes, does not exist any more`);
  // Checked again here, not only when the undo was created: the work order is what the responder acts on.
  const problems = storedReportProblems(original);
  if (problems.length > 0) {
    throw new DispatchFailedError(
      `action ${original.id}, which ${record.id} undoes, recorded no ${original.type} report it can be undone from (${problems.map((error) => error.path).join(', ')})`,
    );
  }
  return { actionId: original.id, type: original.type, prior: original.prior, applied: original.applied, result: original.result };
}

/**
 * Says which deadline lapsed in words that fit what happened, from the record: still Enqueued
 * means nobody picked the work up; Running means the responder started and then went quiet
 * (no heartbeat) or ran past the completion deadline.
 */
async function explainLapse(deps: DispatchDeps, event: Extract<DispatchEvent, { step: 'explain-lapse' }>): Promise<LapseExplanation> {
  const record = await deps.repository.get(event.actionId);
  const label = event.target.label;
  const given: LapseExplanation = { Error: event.error.Error, Cause: event.error.Cause ?? event.error.Error };
  if (record === null || isTerminal(record.status)) return given;
  if (record.status !== 'Running') {
    return {
      Error: 'PickupDeadlineExceeded',
      Cause: `no responder for ${label} picked up the work within ${event.deadlines.pickupSeconds} s`,
    };
  }
  if (event.error.Error === 'PickupDeadlineExceeded') {
    return {
      Error: 'ResponderLost',
      Cause: `the responder for ${label} started the work but then stopped reporting (no heartbeat for ${event.deadlines.pickupSeconds} s); prior/applied as recorded, undo can clean up`,
    };
  }
  return given;
}
