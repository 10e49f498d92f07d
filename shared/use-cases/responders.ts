/**
 * The responder protocol's server side (shared/responders/protocol.ts): registration, heartbeats,
 * the fleet listing, credentials for a responder's own queue, deregistration and the sweep of
 * silent responders, reports and evidence upload grants. Work itself never passes through here:
 * a responder receives it from its queue directly and deletes its messages itself. A responder's token is
 * bound to one host or cluster (`Caller.responder`); it sees and reports only its own work.
 * Every request is validated and authorized before anything is written or called back.
 */
import type * as z from 'zod';
import { canRespondFor, hasAnyActionScope, respondScope, type Caller, type ResponderBinding } from '#shared/auth/scopes.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import type { Clock } from '#shared/clock.ts';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  RetryLaterError,
  StatusConflictError,
} from '#shared/errors.ts';
import { EvidenceExistsError, InvalidEvidenceInputError, InvalidEvidenceNameError } from '#shared/evidence/errors.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import { isTerminal, type ActionStatus } from '#shared/history/status.ts';
import { logger as defaultLogger, type Logger } from '#shared/log.ts';
import type { EvidenceStore, UploadGrant } from '#shared/ports.ts';
import {
  registerRequestSchema,
  reportSchema,
  responderKinds,
  uploadRequestSchema,
  type QueueCredentials,
  type RegisterResponse,
  type Report,
  type ResponderRecord,
  type WorkSigningPublicKey,
  type WorkTarget,
} from '#shared/responders/protocol.ts';
import type { QueueAccessIssuer } from '#shared/responders/queue-access.ts';
import { QueueRecentlyDeletedError, type ResponderQueues } from '#shared/responders/queues.ts';
import { fieldErrorsOf, reportProblems } from '#shared/responders/report-schemas/index.ts';
import type { ResponderStore } from '#shared/responders/store.ts';
import { TaskTokenExpiredError, type TaskCallbacks } from '#shared/responders/task-callbacks.ts';
import { responderId, targetLabel, workTargetOf } from '#shared/responders/target.ts';

/**
 * What the service works with. The history table (`repository`, `store`) and the clock serve every
 * route; the other ports are optional so that each Lambda function wires, and bundles, only the
 * clients its own route calls (functions/api/aws/responders.ts). A route called without its port is
 * a wiring bug (500), except `queueAccess`, whose absence is a runtime without it (409).
 */
export interface ResponderServiceDeps {
  readonly repository: Pick<HistoryWriter, 'get' | 'transition' | 'recordProgress'>;
  readonly store: Pick<ResponderStore, 'register' | 'touch' | 'list' | 'getDispatch' | 'remove'>;
  /** register, queue-credentials, deregister and the sweep. */
  readonly queues?: Pick<ResponderQueues, 'ensure' | 'arnOf' | 'remove' | 'counts'>;
  /**
   * Hands out credentials for a responder's own queue (AWS: STS with a session policy). A runtime
   * without it (`npm start`, whose responder runs in-process on the embedded queue) answers 409.
   */
  readonly queueAccess?: QueueAccessIssuer;
  /** The report route's. */
  readonly callbacks?: TaskCallbacks;
  /** The public key work is signed with now (returned on registration). */
  readonly signingKey?: () => Promise<WorkSigningPublicKey>;
  /** The evidence-upload route's. */
  readonly evidence?: EvidenceStore;
  readonly clock: Clock;
  /** How long an upload grant's URL lives (default 300 s). */
  readonly uploadUrlSeconds?: number;
  readonly logger?: Logger;
}

/** What the sweep logs for a responder whose dead-letter queue holds work (refused or undeliverable). */
export const deadLetterWarning = "a responder's dead-letter queue holds work";

const namePattern = /^[A-Za-z0-9._:-]{1,253}$/;

type OptionalPort = 'queues' | 'callbacks' | 'signingKey' | 'evidence';

export class ResponderService {
  readonly #deps: ResponderServiceDeps;
  readonly #logger: Logger;

  constructor(deps: ResponderServiceDeps) {
    this.#deps = deps;
    this.#logger = deps.logger ?? defaultLogger;
  }

  /** POST /v1/responders: registers (or refreshes) the caller's own host or cluster. */
  async register(caller: Caller, body: unknown): Promise<RegisterResponse> {
    const binding = requireResponder(caller);
    const request = parse(registerRequestSchema, body);
    requireOwn(caller, binding, request);
    const queues = this.#port('queues');
    const signingKey = this.#port('signingKey');
    const record = await this.#deps.store.register(request, caller.sub);
    // The queue exists from registration on (asked afresh: a sweep elsewhere may have removed it).
    await freshQueue(queues, request);
    return { ...record, signingKey: await signingKey() };
  }

  /** POST /v1/responders/{kind}/{name}/heartbeat */
  async heartbeat(caller: Caller, kind: string | undefined, name: string | undefined): Promise<ResponderRecord> {
    const binding = requireResponder(caller);
    const target = pathTarget(kind, name);
    requireOwn(caller, binding, target);
    const record = await this.#deps.store.touch(target);
    if (record === null) throw new NotFoundError(`${responderId(target)} is not registered; register first (POST /v1/responders)`);
    return record;
  }

  /** GET /v1/responders: for people and tools holding any of the four action scopes. */
  async list(caller: Caller): Promise<ResponderRecord[]> {
    if (!hasAnyActionScope(caller)) {
      throw new ForbiddenError('listing responders needs one of the containment or data-gathering .read or .exec scopes');
    }
    return this.#deps.store.list();
  }

  /**
   * POST /v1/responders/{kind}/{name}/queue-credentials: temporary credentials that allow only
   * receive, delete and change-visibility on the caller's own queue, for a registered responder.
   * Counts as a sign of life (lastSeen moves). The credentials are never logged.
   */
  async queueCredentials(caller: Caller, kind: string | undefined, name: string | undefined): Promise<QueueCredentials> {
    const binding = requireResponder(caller);
    const target = pathTarget(kind, name);
    requireOwn(caller, binding, target);
    const access = this.#deps.queueAccess;
    if (access === undefined) {
      throw new ConflictError('this runtime hands out no queue credentials: its responder runs in-process and reads the local queue directly (npm start); a standalone responder needs the AWS deployment');
    }
    const queues = this.#port('queues');
    if ((await this.#deps.store.touch(target)) === null) throw new NotFoundError(`${responderId(target)} is not registered; register first (POST /v1/responders)`);
    // Asked afresh (a few calls an hour per responder): a sweep or deregistration elsewhere may have removed it.
    const url = await freshQueue(queues, target);
    return access.issue(target, { url, arn: await queues.arnOf(target) });
  }

  /**
   * POST /v1/responders/{kind}/{name}/deregister: the responder retires itself; its registration,
   * work queue and dead-letter queue go. Work still queued for it is lost with the queue (its
   * actions end at their pickup deadline). 404 when it was not registered.
   */
  async deregister(caller: Caller, kind: string | undefined, name: string | undefined): Promise<string> {
    const binding = requireResponder(caller);
    const target = pathTarget(kind, name);
    requireOwn(caller, binding, target);
    const queues = this.#port('queues');
    if (!(await this.#deps.store.remove(target))) throw new NotFoundError(`${responderId(target)} is not registered`);
    await queues.remove(target);
    this.#logger.info('responder deregistered', { responder: responderId(target) });
    return responderId(target);
  }

  /**
   * Removes every responder not seen for `retentionSeconds` with its queues (the scheduled sweep
   * in AWS, a timer locally). A responder that heartbeats between the listing and the removal
   * keeps its registration (conditional delete) and its queues. Of those kept, a dead-letter
   * queue holding work is logged at warn ({@link deadLetterWarning}: the alarm counts it).
   */
  async sweepSilent(retentionSeconds: number): Promise<{ removed: string[]; withDeadLetters: string[] }> {
    const queues = this.#port('queues');
    const cutoff = new Date(this.#deps.clock.now().getTime() - retentionSeconds * 1000).toISOString();
    const removed: string[] = [];
    const withDeadLetters: string[] = [];
    for (const record of await this.#deps.store.list()) {
      const target: WorkTarget = { kind: record.kind, name: record.name };
      if (record.lastSeen < cutoff && (await this.#deps.store.remove(target, cutoff))) {
        await queues.remove(target);
        removed.push(responderId(target));
        continue;
      }
      const { deadLetters } = await queues.counts(target);
      if (deadLetters > 0) {
        withDeadLetters.push(responderId(target));
        this.#logger.warn(deadLetterWarning, { responder: responderId(target), deadLetters });
      }
    }
    if (removed.length > 0) this.#logger.info('silent responders removed with their queues', { removed, retentionSeconds });
    return { removed, withDeadLetters };
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
    const callbacks = this.#port('callbacks');
    const dispatch = await this.#deps.store.getDispatch(record.id);
    if (dispatch === null) throw new ConflictError(`action ${record.id} has not been dispatched yet; nothing waits for a report`);
    switch (report.status) {
      case 'Running':
        return this.#running(record, target, () => callbacks.heartbeat(dispatch.taskToken), report);
      case 'Completed':
        if (record.status !== 'Running') {
          throw new ConflictError(`action ${record.id} is ${record.status}: report Running before Completed`);
        }
        return this.#ended(record, report, () => callbacks.succeed(dispatch.taskToken, { result: report.result ?? null }));
      case 'Error':
        return this.#ended(record, report, () => {
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
    const store = this.#port('evidence');
    try {
      return await store.uploadUrl(
        record.id,
        request.name,
        { contentType: request.contentType, size: request.size, sha256: request.sha256 },
        this.#deps.uploadUrlSeconds ?? 300,
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

  /** Completed or Error: what the action captured and changed is stored first, then the execution is told. */
  async #ended(record: ActionRecord, report: Report, callBack: () => Promise<void>): Promise<ActionRecord> {
    if (report.prior !== undefined || report.applied !== undefined) await this.#progress(record.id, report);
    await this.#expiredIsConflict(record, callBack);
    return (await this.#deps.repository.get(record.id)) ?? record;
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
      return await this.#deps.repository.transition(record.id, to, { detail });
    } catch (error) {
      if (!(error instanceof StatusConflictError)) throw error;
      const current = await this.#deps.repository.get(record.id);
      if (current === null || isTerminal(current.status)) {
        throw new ConflictError(`action ${record.id} already ended (${current?.status ?? 'gone'}); the report was not applied`, { cause: error });
      }
      return current;
    }
  }

  async #progress(actionId: string, report: Report): Promise<ActionRecord> {
    try {
      return await this.#deps.repository.recordProgress(actionId, {
        ...(report.prior === undefined ? {} : { prior: report.prior }),
        ...(report.applied === undefined ? {} : { applied: report.applied }),
      });
    } catch (error) {
      if (error instanceof StatusConflictError) throw new ConflictError(`action ${actionId} already ended; the report was not applied`, { cause: error });
      throw error;
    }
  }

  /** A port the route needs; its absence is a wiring bug of this function, so a 500. */
  #port<Name extends OptionalPort>(name: Name): NonNullable<ResponderServiceDeps[Name]> {
    const port = this.#deps[name];
    if (port === undefined) throw new Error(`the responder service was wired without ${name}, which this route needs`);
    return port;
  }

  /** The action, if it is a responder action for exactly the caller's host or cluster; 404 otherwise. */
  async #ownRecord(caller: Caller, binding: ResponderBinding, actionId: string | undefined): Promise<{ record: ActionRecord; target: WorkTarget }> {
    const id = actionId ?? '';
    const record = /^[A-Za-z0-9-]{1,128}$/.test(id) ? await this.#deps.repository.get(id) : null;
    if (record === null || (record.executor !== 'host' && record.executor !== 'kubernetes')) throw new NotFoundError(`no action ${id} for ${responderId(binding)}`);
    const target = workTargetOf(record);
    if (!canRespondFor(caller, target)) throw new NotFoundError(`no action ${id} for ${responderId(binding)}`);
    return { record, target };
  }
}

/** The target's queue, made again if missing; SQS's 60 s wait after a deletion is a 429 the responder retries. */
async function freshQueue(queues: Pick<ResponderQueues, 'ensure'>, target: WorkTarget): Promise<string> {
  try {
    return await queues.ensure(target, { fresh: true });
  } catch (error) {
    if (!(error instanceof QueueRecentlyDeletedError)) throw error;
    throw new RetryLaterError(`the queue of ${responderId(target)} was removed less than a minute ago; try again in 60 s`, 60, { cause: error });
  }
}

function requireResponder(caller: Caller): ResponderBinding {
  if (!caller.scopes.has(respondScope) || caller.responder === undefined) {
    throw new ForbiddenError(`this route is for responders: it needs the ${respondScope} scope and a token bound to a host or cluster`);
  }
  return caller.responder;
}

function requireOwn(caller: Caller, binding: ResponderBinding, target: WorkTarget): void {
  if (!canRespondFor(caller, target)) {
    throw new ForbiddenError(`this token is bound to ${responderId(binding)}; it cannot act for ${responderId(target)}`);
  }
}

function pathTarget(kind: string | undefined, name: string | undefined): WorkTarget {
  const errors: FieldError[] = [];
  const knownKind = responderKinds.find((each) => each === kind);
  if (knownKind === undefined) errors.push({ path: 'kind', message: `must be one of ${responderKinds.join(', ')}` });
  if (name === undefined || !namePattern.test(name)) {
    errors.push({ path: 'name', message: "must be 1-253 characters of letters, digits, '.', '_', ':' and '-'" });
  }
  if (knownKind === undefined || name === undefined || errors.length > 0) throw new InvalidInputError(errors);
  return { kind: knownKind, name };
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
