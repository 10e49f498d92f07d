/**
 * One work order's action run to its end (step 5 and the outcome of step 6 in runner.ts): an
 * AbortSignal that fires at the completion deadline, when the responder stops, or when the service
 * says the action ended; Running keep-alives that hold the execution's heartbeat meanwhile; and
 * every way the action can end turned into a report.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '#shared/clock.ts';
import type { Logger } from '#shared/log.ts';
import {
  ResponderActionError,
  type Report,
  type ResponderAction,
  type ResponderActionContext,
  type ResponderOutcome,
  type WorkOrder,
  type WorkTarget,
} from '#shared/responders/protocol.ts';
import { targetLabel } from '#shared/responders/target.ts';
import { ResponderApiError, type ResponderApi } from './api-client.ts';

export interface ExecuteActionContext {
  readonly api: ResponderApi;
  readonly target: WorkTarget;
  readonly clock: Clock;
  readonly log: Logger;
  /** The responder's stop signal. */
  readonly stop: AbortSignal;
  /** Aborted when the service says the action ended (a Running report got 409). */
  readonly ended: AbortController;
}

/** What the service accepts as an error code (reportSchema); other codes become ResponderFailed. */
const errorCodePattern = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** Runs the action with its deadline and keep-alives; every way it can end becomes a report. */
export async function executeAction(action: ResponderAction, order: WorkOrder, context: ExecuteActionContext): Promise<Report> {
  const { api, target, clock, log, stop, ended } = context;
  const remaining = Date.parse(order.completionDeadline) - clock.now().getTime();
  const deadline = AbortSignal.timeout(Math.max(0, remaining));
  const signal = AbortSignal.any([stop, deadline, ended.signal]);
  const keepAlive = keepAliveFor(order, context);
  const actionContext: ResponderActionContext = {
    work: order,
    signal,
    uploadEvidence: (name, contentType, body) => uploadEvidence(api, order.actionId, name, contentType, body),
    recordProgress: async ({ prior, applied }) => {
      const report: Report = { status: 'Running', ...(prior === undefined ? {} : { prior }), ...(applied === undefined ? {} : { applied }) };
      try {
        await api.report(order.actionId, report);
      } catch (error) {
        if (error instanceof ResponderApiError && error.status === 409) ended.abort(new Error('the action ended on the service'));
        throw error;
      }
    },
  };
  try {
    const outcome: ResponderOutcome = await action.execute(actionContext);
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
    if (stop.aborted) {
      return { status: 'Error', error: { code: 'ResponderStopped', message: `the responder for ${targetLabel(target)} stopped while running ${order.type}` } };
    }
    log.error('action failed unexpectedly', { actionId: order.actionId, type: order.type, error });
    return { status: 'Error', error: { code: 'ResponderFailed', message: `${order.type} failed unexpectedly on the responder for ${targetLabel(target)}; its log says why (action ${order.actionId})` } };
  } finally {
    keepAlive.stop();
  }
}

/** Running reports at a third of the pickup window, so the execution's heartbeat never lapses while the action runs. */
function keepAliveFor(order: WorkOrder, { api, log, ended }: ExecuteActionContext): { stop(): void } {
  const window = Date.parse(order.pickupDeadline) - Date.parse(order.issuedAt);
  const every = Math.max(250, Math.min(window / 3, 60_000));
  const timer = setInterval(() => {
    api.report(order.actionId, { status: 'Running' }, { retry: false }).catch((error: unknown) => {
      if (error instanceof ResponderApiError && error.status === 409) {
        ended.abort(new Error('the action ended on the service'));
        return;
      }
      log.warn('keep-alive failed', { actionId: order.actionId, error: error instanceof Error ? error.message : String(error) });
    });
  }, every);
  return { stop: () => { clearInterval(timer); } };
}

async function uploadEvidence(api: ResponderApi, actionId: string, name: string, contentType: string, body: Uint8Array): Promise<{ name: string; sha256: string; size: number }> {
  const sha256 = createHash('sha256').update(body).digest('hex');
  const grant = await api.uploadGrant(actionId, { name, contentType, size: body.byteLength, sha256 });
  await api.upload(grant, body);
  return { name, sha256, size: body.byteLength };
}
