import { randomUUID } from 'node:crypto';
import { canExecute, readableCategories, type Caller } from '#shared/auth/scopes.ts';
import type { Clock } from '#shared/clock.ts';
import { ConflictError, ForbiddenError, InvalidCursorError, InvalidInputError, NotFoundError } from '#shared/errors.ts';
import { findActionType } from '#shared/catalogue/catalogue.ts';
import { categories, type Category, type FieldError } from '#shared/catalogue/types.ts';
import type { Trigger } from '#shared/history/record.ts';
import { HttpProblem } from '#shared/http/problem.ts';
import { checkReason } from '#shared/plans/create-checks.ts';
import type { PlaybookRuns, RunOutcome } from '#shared/playbooks/types.ts';
import { readablePlan } from './readable-plan.ts';
import { asOf, type ApprovalDecision, type ApprovalStore, type StoredApproval } from './approval-store.ts';
import type {
  ActionsOnBehalf,
  ApprovalRequestInput,
  ApprovalRequests,
  CountAs,
  CreateOutcome,
  RunApprovalRequestInput,
  RunApprovalRequests,
} from './ports.ts';
import type { Approval, ApprovalStatus } from './types.ts';

export interface ApprovalServiceDeps {
  readonly store: Pick<ApprovalStore, 'create' | 'get' | 'decide' | 'undecide' | 'expire' | 'recordActions' | 'recordRun' | 'list' | 'pending'>;
  /** Creates the approved action; the approver is the authority, so no scope of the requester is checked again. */
  readonly actions: ActionsOnBehalf;
  /** Creates the approved playbook run (issue 13); without it a playbook approval cannot be approved (503). */
  readonly runs?: Pick<PlaybookRuns, 'createOnBehalf'>;
  readonly clock: Clock;
  /** APPROVAL_TTL_SECONDS: a pending approval expires this long after it was requested. */
  readonly ttlSeconds: number;
  readonly newId?: () => string;
  /** Called once an approval created its action or run, e.g. to count it towards the rule's limits (a run counts once). */
  readonly onApproved?: (approval: Approval, outcome: CreateOutcome | RunOutcome, countAs: CountAs | null) => Promise<void>;
}

export interface ApprovalPageQuery {
  readonly status?: ApprovalStatus;
  readonly cursor?: string;
  readonly limit: number;
}

/** The trigger of a person's request that went through an approval (API.md: the other fields null). */
const personTrigger: Trigger = { source: 'person', eventId: null, findingId: null, findingType: null, ruleId: null, approvedBy: null };

const approvalIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Approvals (API.md "Approvals"): requested by the action use cases or a rule, read by readers
 * of the action's category, decided once by a second person with its exec scope.
 */
export class ApprovalService implements ApprovalRequests, RunApprovalRequests {
  readonly #deps: ApprovalServiceDeps;
  readonly #newId: () => string;

  constructor(deps: ApprovalServiceDeps) {
    this.#deps = deps;
    this.#newId = deps.newId ?? randomUUID;
  }

  /** Records a pending approval; nothing is acted on until a second person approves it. */
  async request(input: ApprovalRequestInput): Promise<Approval> {
    const approval = this.#pending(
      { type: input.request.type, inputs: input.request.inputs, reason: input.request.reason },
      input,
    );
    await this.#deps.store.create({ approval, origin: input.origin ?? null, countAs: input.countAs ?? null, runCategories: null, runUndoOf: null });
    return approval;
  }

  /**
   * Records a pending approval of a playbook run (or of undoing one); approving starts it. The
   * categories a decider needs the exec scope of are kept with it, never shown.
   */
  async requestRun(input: RunApprovalRequestInput): Promise<Approval> {
    const approval = this.#pending({ playbook: input.playbook, inputs: input.inputs, reason: input.reason }, input);
    const stepCategories = (input.plan?.steps ?? []).flatMap((step) => findActionType(step.type)?.category ?? []);
    const runCategories = categories.filter((each) => each === input.category || (input.categories ?? []).includes(each) || stepCategories.includes(each));
    await this.#deps.store.create({ approval, origin: null, countAs: input.countAs ?? null, runCategories, runUndoOf: input.undoOf ?? null });
    return approval;
  }

  /** A new pending approval of `request`, expiring after the TTL. */
  #pending(
    request: Approval['request'],
    input: Pick<Approval, 'plan' | 'requestedBy' | 'trigger' | 'category'>,
  ): Approval {
    const now = this.#deps.clock.now();
    return {
      id: this.#newId(),
      status: 'pending',
      request,
      plan: input.plan,
      requestedBy: input.requestedBy,
      trigger: input.trigger,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.#deps.ttlSeconds * 1000).toISOString(),
      decidedBy: null,
      decidedAt: null,
      decisionReason: null,
      actionIds: [],
      playbookRunId: null,
      category: input.category,
    };
  }

  /** GET /v1/approvals/{id}: an approval of a category the caller may not read does not exist for them. */
  async get(caller: Caller, id: string): Promise<Approval> {
    return shownTo(caller, asOf((await this.#readable(caller, id)).approval, this.#deps.clock.now()));
  }

  /** GET /v1/approvals: newest first, in the categories the caller may read. */
  async list(caller: Caller, query: ApprovalPageQuery): Promise<{ items: Approval[]; nextCursor: string | null }> {
    const now = this.#deps.clock.now();
    try {
      const page = await this.#deps.store.list({ ...query, categories: readableCategories(caller), now });
      return { items: page.items.map((item) => shownTo(caller, asOf(item.approval, now))), nextCursor: page.nextCursor };
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new InvalidInputError([{ path: 'cursor', message: error.message }], { cause: error });
      throw error;
    }
  }

  /**
   * POST /v1/approvals/{id}/approve: decides, then creates the action on the requester's behalf
   * with `trigger.approvedBy`. The decision is a conditional write, so of two approvers at the same
   * moment exactly one creates the action; the other gets 409.
   */
  async approve(caller: Caller, id: string, reason: unknown, requestErrors: readonly FieldError[] = []): Promise<Approval> {
    const { runs } = this.#deps;
    if (runs === undefined && (await this.#readable(caller, id)).approval.request.playbook !== undefined) {
      // Checked before deciding, so the approval stays pending for a runtime that can start it.
      throw new HttpProblem(503, 'Service Unavailable', 'this runtime runs no playbooks, so a playbook approval cannot be approved here');
    }
    const { stored, decision } = await this.#decide(caller, id, 'approved', reason, requestErrors);
    const { approval } = stored;
    if (approval.request.playbook !== undefined && runs !== undefined) return this.#approveRun(caller, stored, decision, approval.request.playbook, runs);
    let outcome: CreateOutcome;
    try {
      outcome = await this.#deps.actions.createOnBehalf(
        approval.requestedBy,
        { type: approval.request.type ?? '', inputs: { ...approval.request.inputs }, reason: approval.request.reason },
        {
          trigger: { ...(approval.trigger ?? personTrigger), approvedBy: caller.sub },
          approved: true,
          ...(stored.origin === null ? {} : { origin: stored.origin }),
        },
      );
    } catch (error) {
      // Refused before anything was written (the target changed, the undo was taken meanwhile):
      // the approval goes back to pending, for a person to reject or approve once it is possible.
      if (error instanceof ConflictError || error instanceof InvalidInputError || error instanceof NotFoundError) {
        await this.#deps.store.undecide(stored, decision);
      }
      throw error;
    }
    const actionIds = 'record' in outcome ? [outcome.record.id] : [];
    const linked = (await this.#deps.store.recordActions(approval.id, actionIds))?.approval ?? { ...approval, actionIds };
    await this.#deps.onApproved?.(linked, outcome, stored.countAs);
    return linked;
  }

  /** Approving a playbook request: the run, created on the requester's behalf with `trigger.approvedBy`. */
  async #approveRun(
    caller: Caller,
    stored: StoredApproval,
    decision: ApprovalDecision,
    playbook: string,
    runs: Pick<PlaybookRuns, 'createOnBehalf'>,
  ): Promise<Approval> {
    const { approval } = stored;
    let outcome: RunOutcome;
    try {
      outcome = await runs.createOnBehalf(
        approval.requestedBy,
        playbook,
        { inputs: { ...approval.request.inputs }, reason: approval.request.reason },
        {
          trigger: { ...(approval.trigger ?? personTrigger), approvedBy: caller.sub },
          approved: true,
          ...(stored.countAs === null ? {} : { countAs: stored.countAs }),
          ...(stored.runUndoOf === null ? {} : { undoOf: stored.runUndoOf }),
        },
      );
    } catch (error) {
      // As for an action: refused before anything was written, the approval is pending again.
      if (error instanceof ConflictError || error instanceof InvalidInputError || error instanceof NotFoundError) {
        await this.#deps.store.undecide(stored, decision);
      }
      throw error;
    }
    const linked = 'run' in outcome ? ((await this.#deps.store.recordRun(approval.id, outcome.run.id))?.approval ?? { ...approval, playbookRunId: outcome.run.id }) : approval;
    await this.#deps.onApproved?.(linked, outcome, stored.countAs);
    return linked;
  }

  /** POST /v1/approvals/{id}/reject: decides; nothing is created. */
  async reject(caller: Caller, id: string, reason: unknown, requestErrors: readonly FieldError[] = []): Promise<Approval> {
    return (await this.#decide(caller, id, 'rejected', reason, requestErrors)).stored.approval;
  }

  /** Stores every pending approval past its expiry as expired; returns how many. Reads and decisions expire lazily as well. */
  async sweep(now: Date = this.#deps.clock.now()): Promise<number> {
    let expired = 0;
    for await (const stored of this.#deps.store.pending(categories, now)) {
      if (asOf(stored.approval, now).status === 'expired' && (await this.#deps.store.expire(stored, now))) expired += 1;
    }
    return expired;
  }

  async #readable(caller: Caller, id: string): Promise<StoredApproval> {
    const stored = approvalIdPattern.test(id) ? await this.#deps.store.get(id) : null;
    if (stored === null || !readableCategories(caller).includes(stored.approval.category)) {
      throw new NotFoundError(`no approval ${id}`);
    }
    return stored;
  }

  /** The checks both decisions share (API.md order: existence, scope, second person, then state), then the conditional write. */
  async #decide(
    caller: Caller,
    id: string,
    status: ApprovalDecision['status'],
    reason: unknown,
    requestErrors: readonly FieldError[],
  ): Promise<{ stored: StoredApproval; decision: ApprovalDecision }> {
    const found = await this.#readable(caller, id);
    const { category, requestedBy } = found.approval;
    // A playbook's approval needs the exec scope of every category its steps use, as starting the run would.
    const lacking = [category, ...(found.runCategories ?? [])].find((each: Category) => !canExecute(caller, each));
    if (lacking !== undefined) {
      const what = found.approval.request.playbook === undefined ? `a ${category} approval` : `playbook ${found.approval.request.playbook}'s approval`;
      throw new ForbiddenError(`deciding ${what} needs the ${lacking}-response-actions.exec scope`);
    }
    if (requestedBy === caller.sub) {
      throw new ForbiddenError('a second person decides: the requester may not approve or reject their own request');
    }
    const checked = checkReason(reason);
    const errors = [...requestErrors, ...checked.errors];
    if (errors.length > 0) throw new InvalidInputError(errors);
    const now = this.#deps.clock.now();
    const decision: ApprovalDecision = { status, decidedBy: caller.sub, decidedAt: now.toISOString(), decisionReason: checked.value };
    await this.#refuseDecided(found, now);
    const decided = await this.#deps.store.decide(found, decision);
    if (decided !== null) return { stored: decided, decision };
    // Another decision (or the clock) won between the read and the write.
    const current = await this.#deps.store.get(id);
    if (current !== null) await this.#refuseDecided(current, now);
    throw new ConflictError(`approval ${id} was decided by another request at the same time`);
  }

  /** 409 unless the approval is still pending at `now`; a pending one past expiry is stored as expired on the way. */
  async #refuseDecided(stored: StoredApproval, now: Date): Promise<void> {
    const current = asOf(stored.approval, now);
    if (current.status === 'pending') return;
    if (current.status === 'expired') {
      await this.#deps.store.expire(stored, now);
      throw new ConflictError(`approval ${current.id} expired at ${current.expiresAt}; ask for the action again`);
    }
    throw new ConflictError(`approval ${current.id} was already ${current.status} by ${current.decidedBy ?? 'someone'} at ${current.decidedAt ?? ''}`);
  }
}

/**
 * A playbook's approval is read by readers of its category (containment if any step is), but each
 * step's planned state only by readers of that step's category.
 */
function shownTo(caller: Caller, approval: Approval): Approval {
  return approval.plan === null ? approval : { ...approval, plan: readablePlan(caller, approval.plan) };
}

/** A decision's body is optional and `{ "reason" }` at most; reported once the caller may decide. */
export function decisionBodyErrors(body: Readonly<Record<string, unknown>> | undefined): FieldError[] {
  return Object.keys(body ?? {})
    .filter((field) => field !== 'reason')
    .map((field) => ({ path: field, message: 'is not a field of a decision (reason)' }));
}
