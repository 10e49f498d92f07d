/**
 * The responder protocol's server side (shared/responders/protocol.ts): registration, reports and
 * evidence upload grants here, on top of ResponderFleet's heartbeats, fleet listing, queue
 * credentials, deregistration and sweep of silent responders (responder-fleet.ts). Work itself never passes through here:
 * a responder receives it from its queue directly and deletes its messages itself. A responder's token is
 * bound to one host or cluster (`Caller.responder`); it sees and reports only its own work.
 * Every request is validated and authorized before anything is written or called back.
 */
import type * as z from 'zod';
import { canRespondFor, type Caller, type ResponderBinding } from '#shared/auth/scopes.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import { ConflictError, InvalidInputError, NotFoundError, StatusConflictError } from '#shared/errors.ts';
import { EvidenceExistsError, InvalidEvidenceInputError, InvalidEvidenceNameError } from '#shared/evidence/errors.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { isTerminal, type ActionStatus } from '#shared/history/status.ts';
import type { UploadGrant } from '#shared/ports.ts';
import { registerRequestSchema, reportSchema, uploadRequestSchema, type RegisterResponse, type Report, type WorkTarget } from '#shared/responders/protocol.ts';
import { fieldErrorsOf, reportProblems } from '#shared/responders/report-schemas/index.ts';
import { TaskTokenExpiredError } from '#shared/responders/task-callbacks.ts';
import { responderId, targetLabel, workTargetOf } from '#shared/responders/target.ts';
import { freshQueue, requireOwn, requireResponder, ResponderFleet } from './responder-fleet.ts';

export { deadLetterWarning, ResponderFleet, type ResponderServiceDeps } from './responder-fleet.ts';

/** The whole responder protocol: the fleet's routes, and those that parse a request body. */
export class ResponderService extends ResponderFleet {
  /** POST /v1/responders: registers (or refreshes) the caller's own host or cluster. */
  async register(caller: Caller, body: unknown): Promise<RegisterResponse> {
    const binding = requireResponder(caller);
    const request = parse(registerRequestSchema, body);
    requireOwn(caller, binding, request);
    const queues = this.port('queues');
    const signingKey = this.port('signingKey');
    const record = await this.deps.store.register(request, caller.sub);
    // The queue exists from registration on (asked afresh: a sweep elsewhere may have removed it).
    await freshQueue(queues, request);
    return { ...record, signingKey: await signingKey() };
  }

  /**
   * POST /v1/actions/{id}/reports. Only the responder bound to the action's target may report
   * (anyone else's responder gets 404, as if the action did not exist); a report on an action that
   * has ended, or whose execution stopped waiting (a deadline passed), is refused with 409.
   *
   * `prior`, `applied` and `result` must meet the action type's report schema
   * (shared/responders/report-schemas) and agree with the action's inputs, or the report is refused
   * with 400 before anything is written, called back or deleted: the record keeps what it had, the
   * execution keeps waiting, and an action whose responder only sends such reports ends in Error at
   * its completion deadline. Forged data never reaches the `prior`/`applied` an undo acts on.
   * The queue message is the responder's to delete once it has this answer.
   */
  async report(caller: Caller, actionId: string | undefined, body: unknown): Promise<ActionRecord> {
    const binding = requireResponder(caller);
    const report = parse(reportSchema, body);
    checkReportFields(report);
    const { record, target } = await this.#ownRecord(caller, binding, actionId);
    const problems = reportProblems(record, report);
    if (problems.length > 0) throw new InvalidInputError(problems);
    if (isTerminal(record.status)) {
      throw new ConflictError(`action ${record.id} already ended (${record.status}); the report was not applied`);
    }
    const callbacks = this.port('callbacks');
    const dispatch = await this.deps.store.getDispatch(record.id);
    if (dispatch === null) throw new ConflictError(`action ${record.id} has not been dispatched yet; nothing waits for a report`);
    switch (report.status) {
      case 'Running':
        return this.#running(record, target, () => callbacks.heartbeat(dispatch.taskToken), report);
      case 'Completed':
        if (record.status !== 'Running') {
          throw new ConflictError(`action ${record.id} is ${record.status}: report Running before Completed`);
        }
        return this.#ended(record, report, () => callbacks.heartbeat(dispatch.taskToken), () => callbacks.succeed(dispatch.taskToken, { result: report.result ?? null }));
      case 'Error':
        return this.#ended(record, report, () => callbacks.heartbeat(dispatch.taskToken), () => {
          const error = report.error ?? { code: 'ResponderFailed', message: 'the responder reported an error' };
          return callbacks.fail(dispatch.taskToken, error.code, error.message);
        });
    }
  }

  /** POST /v1/actions/{id}/evidence-uploads: a presigned PUT for one evidence object of a Running action, for its responder only. */
  async grantUpload(caller: Caller, actionId: string | undefined, body: unknown): Promise<UploadGrant> {
    const binding = requireResponder(caller);
    const request = parse(uploadRequestSchema, body);
    const { record } = await this.#ownRecord(caller, binding, actionId);
    if (record.status !== 'Running') {
      throw new ConflictError(`action ${record.id} is ${record.status}: evidence is uploaded while the action runs`);
    }
    const store = this.port('evidence');
    try {
      return await store.uploadUrl(
        record.id,
        request.name,
        { contentType: request.contentType, size: request.size, sha256: request.sha256 },
        this.deps.uploadUrlSeconds ?? 300,
      );
    } catch (error) {
      if (error instanceof EvidenceExistsError) throw new ConflictError(error.message, { cause: error });
      if (error instanceof InvalidEvidenceNameError) throw new InvalidInputError([{ path: error.field, message: error.message }], { cause: error });
      if (error instanceof InvalidEvidenceInputError) throw new InvalidInputError([{ path: error.field, message: error.message }], { cause: error });
      throw error;
    }
  }

  /**
   * Running: the pickup (first report) or a keep-alive while the action runs, optionally with prior/applied. The heartbeat goes first: a
   * task that stopped waiting refuses it, and then nothing is written.
   */
  async #running(record: ActionRecord, target: WorkTarget, heartbeat: () => Promise<void>, report: Report): Promise<ActionRecord> {
    await this.#expiredIsConflict(record, heartbeat);
    let current = record;
    if (current.status === 'Created') {
      // The responder was quicker than Dispatch's own Enqueued mark.
      current = await this.#move(current, 'Enqueued', `sent to ${targetLabel(target)}'s queue`);
    }
    if (current.status === 'Enqueued') {
      current = await this.#move(current, 'Running', report.detail ?? `picked up by the responder for ${targetLabel(target)}`);
    }
    if (report.prior !== undefined || report.applied !== undefined) {
      current = await this.#progress(current.id, report);
    }
    return current;
  }

  /**
   * Completed or Error: what the action captured and changed is stored first, then the execution is told (once told, MarkCompleted or
   * MarkError ends the record and nothing more can be stored). Before storing, the task is asked whether it still waits (a heartbeat):
   * a report after another one settled the task, or after a deadline, is refused there with nothing written, even while the winner's
   * ending is not recorded yet and the record still reads Running.
   */
  async #ended(record: ActionRecord, report: Report, stillWaiting: () => Promise<void>, callBack: () => Promise<void>): Promise<ActionRecord> {
    if (report.prior !== undefined || report.applied !== undefined) {
      await this.#expiredIsConflict(record, stillWaiting);
      await this.#progress(record.id, report);
    }
    await this.#expiredIsConflict(record, callBack);
    return (await this.deps.repository.get(record.id)) ?? record;
  }

  async #expiredIsConflict(record: ActionRecord, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (!(error instanceof TaskTokenExpiredError)) throw error;
      throw new ConflictError(`action ${record.id} no longer waits for reports: its deadline passed or it ended; the report was not applied`, { cause: error });
    }
  }

  async #move(record: ActionRecord, to: ActionStatus, detail: string): Promise<ActionRecord> {
    try {
      return await this.deps.repository.transition(record.id, to, { detail });
    } catch (error) {
      if (!(error instanceof StatusConflictError)) throw error;
      const current = await this.deps.repository.get(record.id);
      if (current === null || isTerminal(current.status)) {
        throw new ConflictError(`action ${record.id} already ended (${current?.status ?? 'gone'}); the report was not applied`, { cause: error });
      }
      return current;
    }
  }

  async #progress(actionId: string, report: Report): Promise<ActionRecord> {
    try {
      return await this.deps.repository.recordProgress(actionId, {
        ...(report.prior === undefined ? {} : { prior: report.prior }),
        ...(report.applied === undefined ? {} : { applied: report.applied }),
      });
    } catch (error) {
      if (error instanceof StatusConflictError) throw new ConflictError(`action ${actionId} already ended; the report was not applied`, { cause: error });
      throw error;
    }
  }

  /** The action, if it is a responder action for exactly the caller's host or cluster; 404 otherwise. */
  async #ownRecord(caller: Caller, binding: ResponderBinding, actionId: string | undefined): Promise<{ record: ActionRecord; target: WorkTarget }> {
    const id = actionId ?? '';
    const record = /^[A-Za-z0-9-]{1,128}$/.test(id) ? await this.deps.repository.get(id) : null;
    if (record === null || (record.executor !== 'host' && record.executor !== 'kubernetes')) throw new NotFoundError(`no action ${id} for ${responderId(binding)}`);
    const target = workTargetOf(record);
    if (!canRespondFor(caller, target)) throw new NotFoundError(`no action ${id} for ${responderId(binding)}`);
    return { record, target };
  }
}

/** Rules across fields that the schema alone does not say. */
function checkReportFields(report: Report): void {
  const errors: FieldError[] = [];
  if (report.status === 'Error' && report.error === undefined) errors.push({ path: 'error', message: 'is required with status Error ({ code, message })' });
  if (report.status !== 'Error' && report.error !== undefined) errors.push({ path: 'error', message: 'is only allowed with status Error' });
  if (report.status !== 'Completed' && report.result !== undefined) errors.push({ path: 'result', message: 'is only allowed with status Completed' });
  if (errors.length > 0) throw new InvalidInputError(errors);
}

function parse<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(fieldErrorsOf(parsed.error.issues), { cause: parsed.error });
}
