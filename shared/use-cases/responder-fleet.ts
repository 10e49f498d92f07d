/**
 * The responder protocol's routes that need no request body: heartbeats, the fleet listing, queue
 * credentials, deregistration, and the sweep of silent responders. Their functions build this
 * class alone, so their bundles carry neither the request and report schemas nor zod
 * (ResponderService adds registration, reports and evidence upload grants).
 */
import { canRespondFor, hasAnyActionScope, respondScope, responderKinds, type Caller, type ResponderBinding } from '#shared/auth/scopes.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import type { Clock } from '#shared/clock.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, RetryLaterError } from '#shared/errors.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import { logger as defaultLogger, type Logger } from '#shared/log.ts';
import type { EvidenceStore } from '#shared/ports.ts';
import type { QueueCredentials, ResponderKind, ResponderRecord, WorkSigningPublicKey, WorkTarget } from '#shared/responders/protocol.ts';
import type { QueueAccessIssuer } from '#shared/responders/queue-access.ts';
import { QueueRecentlyDeletedError, type ResponderQueues } from '#shared/responders/queues.ts';
import type { ResponderStore } from '#shared/responders/store.ts';
import type { TaskCallbacks } from '#shared/responders/task-callbacks.ts';
import { responderId } from '#shared/responders/target.ts';

/**
 * What the service works with. The history table (`repository`, `store`) and the clock serve every
 * route; the other ports are optional so that each Lambda function wires, and bundles, only the
 * clients its own route calls (functions/api/aws/responder-*.ts). A route called without its port is
 * a wiring bug (500), except `queueAccess`, whose absence is a runtime without it (409).
 */
export interface ResponderServiceDeps {
  readonly repository: Pick<HistoryWriter, 'get' | 'transition' | 'recordProgress'>;
  readonly store: Pick<ResponderStore, 'register' | 'touch' | 'list' | 'all' | 'get' | 'names' | 'getDispatch' | 'remove'>;
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

export class ResponderFleet {
  protected readonly deps: ResponderServiceDeps;
  protected readonly logger: Logger;

  constructor(deps: ResponderServiceDeps) {
    this.deps = deps;
    this.logger = deps.logger ?? defaultLogger;
  }

  /** POST /v1/responders/{kind}/{name}/heartbeat */
  async heartbeat(caller: Caller, kind: string | undefined, name: string | undefined): Promise<ResponderRecord> {
    const binding = requireResponder(caller);
    const target = pathTarget(kind, name);
    requireOwn(caller, binding, target);
    const record = await this.deps.store.touch(target);
    if (record === null) throw new NotFoundError(`${responderId(target)} is not registered; register first (POST /v1/responders)`);
    return record;
  }

  /** GET /v1/responders: for people and tools holding any of the four action scopes. */
  async list(caller: Caller): Promise<ResponderRecord[]> {
    requireListing(caller);
    return this.deps.store.list();
  }

  /** Whether a responder has registered for the target (POST /v1/actions' admission), with list's scope rule. */
  async isRegistered(caller: Caller, target: WorkTarget): Promise<boolean> {
    requireListing(caller);
    return (await this.deps.store.get(target)) !== null;
  }

  /** The first `atMost` names of one kind's responders (POST /v1/actions' refusal names them), with list's scope rule. */
  async names(caller: Caller, kind: ResponderKind, atMost: number): Promise<string[]> {
    requireListing(caller);
    return this.deps.store.names(kind, atMost);
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
    const access = this.deps.queueAccess;
    if (access === undefined) {
      throw new ConflictError('this runtime hands out no queue credentials: its responder runs in-process and reads the local queue directly (npm start); a standalone responder needs the AWS deployment');
    }
    const queues = this.port('queues');
    if ((await this.deps.store.touch(target)) === null) throw new NotFoundError(`${responderId(target)} is not registered; register first (POST /v1/responders)`);
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
    const queues = this.port('queues');
    if (!(await this.deps.store.remove(target))) throw new NotFoundError(`${responderId(target)} is not registered`);
    await queues.remove(target);
    this.logger.info('responder deregistered', { responder: responderId(target) });
    return responderId(target);
  }

  /**
   * Removes every responder not seen for `retentionSeconds` with its queues (the scheduled sweep
   * in AWS, a timer locally). A responder that heartbeats between the listing and the removal
   * keeps its registration (conditional delete) and its queues. Of those kept, a dead-letter
   * queue holding work is logged at warn ({@link deadLetterWarning}: the alarm counts it).
   */
  async sweepSilent(retentionSeconds: number): Promise<{ removed: string[]; withDeadLetters: string[] }> {
    const queues = this.port('queues');
    const cutoff = new Date(this.deps.clock.now().getTime() - retentionSeconds * 1000).toISOString();
    const removed: string[] = [];
    const withDeadLetters: string[] = [];
    for await (const record of this.deps.store.all()) {
      const target: WorkTarget = { kind: record.kind, name: record.name };
      if (record.lastSeen < cutoff && (await this.deps.store.remove(target, cutoff))) {
        await queues.remove(target);
        removed.push(responderId(target));
        continue;
      }
      const { deadLetters } = await queues.counts(target);
      if (deadLetters > 0) {
        withDeadLetters.push(responderId(target));
        this.logger.warn(deadLetterWarning, { responder: responderId(target), deadLetters });
      }
    }
    if (removed.length > 0) this.logger.info('silent responders removed with their queues', { removed, retentionSeconds });
    return { removed, withDeadLetters };
  }

  /** A port the route needs; its absence is a wiring bug of this function, so a 500. */
  protected port<Name extends OptionalPort>(name: Name): NonNullable<ResponderServiceDeps[Name]> {
    const port = this.deps[name];
    if (port === undefined) throw new Error(`the responder service was wired without ${name}, which this route needs`);
    return port;
  }
}

/** The target's queue, made again if missing; SQS's 60 s wait after a deletion is a 429 the responder retries. */
export async function freshQueue(queues: Pick<ResponderQueues, 'ensure'>, target: WorkTarget): Promise<string> {
  try {
    return await queues.ensure(target, { fresh: true });
  } catch (error) {
    if (!(error instanceof QueueRecentlyDeletedError)) throw error;
    throw new RetryLaterError(`the queue of ${responderId(target)} was removed less than a minute ago; try again in 60 s`, 60, { cause: error });
  }
}

export function requireResponder(caller: Caller): ResponderBinding {
  if (!caller.scopes.has(respondScope) || caller.responder === undefined) {
    throw new ForbiddenError(`this route is for responders: it needs the ${respondScope} scope and a token bound to a host or cluster`);
  }
  return caller.responder;
}

export function requireOwn(caller: Caller, binding: ResponderBinding, target: WorkTarget): void {
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

/** Who may see the registered responders (GET /v1/responders, and the names a refused POST /v1/actions gives): any action scope. */
function requireListing(caller: Caller): void {
  if (!hasAnyActionScope(caller)) {
    throw new ForbiddenError('listing responders needs one of the containment or data-gathering .read or .exec scopes');
  }
}
