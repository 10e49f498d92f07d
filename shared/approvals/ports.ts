/**
 * What the action use cases and the approval use cases ask of each other. Both sides depend on
 * these shapes, never on each other's module: ActionService requests approvals, ApprovalService
 * creates actions on approval.
 */
import type { Category } from '#shared/catalogue/types.ts';
import type { ActionRecord, Trigger } from '#shared/history/record.ts';
import type { Plan } from '#shared/plans/types.ts';
import type { PlaybookPlan } from '#shared/playbooks/types.ts';
import type { Approval } from './types.ts';

/** What a create answers: the action, or the approval it needs first. */
export type CreateOutcome = { readonly record: ActionRecord } | { readonly approval: Approval };

/** A create as a principal asked for it, already free of HTTP. */
export interface OnBehalfRequest {
  readonly type: string;
  readonly inputs: Record<string, unknown>;
  readonly reason: string | null;
}

/**
 * An undo or re-execute of one specific action. Kept on the approval (never shown) so that
 * approving it undoes or re-executes exactly that action, not whichever is newest by then.
 */
export interface ApprovalOrigin {
  readonly kind: 'undo' | 'reexecute';
  readonly actionId: string;
}

/** A rule's limits an approved action counts towards (API.md: actions created by approving count). */
export interface CountAs {
  readonly ruleId: string;
  readonly accountId: string | null;
  readonly region: string | null;
}

export interface OnBehalfOptions {
  /** Null for a step of a person's own playbook run (its actions carry the run's trigger, API.md). */
  readonly trigger: Trigger | null;
  /** True when a second person already approved it: the APPROVAL_REQUIRED gate is passed. */
  readonly approved: boolean;
  readonly origin?: ApprovalOrigin;
  /** For a rule's request the gate turns into an approval: what approving it counts towards. */
  readonly countAs?: CountAs;
  /** A playbook step: the run it belongs to, recorded as the action's `playbookRunId`. */
  readonly playbookRunId?: string;
  /**
   * A playbook step: the action id its run claimed before creating it. The create is then
   * conditional on that id: a second create with it fails without writing, never a second action.
   */
  readonly actionId?: string;
}

/** ActionService.createOnBehalf, as the approvals see it. */
export interface ActionsOnBehalf {
  createOnBehalf(principal: string, request: OnBehalfRequest, options: OnBehalfOptions): Promise<CreateOutcome>;
}

export interface ApprovalRequestInput {
  readonly request: OnBehalfRequest;
  readonly requestedBy: string;
  readonly trigger: Trigger | null;
  readonly category: Category;
  readonly plan: Plan | null;
  readonly countAs?: CountAs;
  readonly origin?: ApprovalOrigin;
}

/** ApprovalService.request, as the action use cases see it. */
export interface ApprovalRequests {
  request(input: ApprovalRequestInput): Promise<Approval>;
}

/** A playbook run (or the undo of one) that needs an approval first (issue 13). */
export interface RunApprovalRequestInput {
  readonly playbook: string;
  readonly inputs: Record<string, unknown>;
  readonly reason: string | null;
  readonly requestedBy: string;
  readonly trigger: Trigger | null;
  /** Who may read and decide it: `containment` when any step is a containment, else `data-gathering`. */
  readonly category: Category;
  /**
   * Every category the run's steps use: a decider needs the exec scope of each. The categories of
   * the plan's step types and `category` are added to it, so leaving it out never lowers the bar.
   */
  readonly categories?: readonly Category[];
  readonly plan: PlaybookPlan | null;
  readonly countAs?: CountAs;
  /** Approving undoes exactly this run instead of starting the playbook. */
  readonly undoOf?: string;
}

/** ApprovalService.requestRun, as the run use cases see it. */
export interface RunApprovalRequests {
  requestRun(input: RunApprovalRequestInput): Promise<Approval>;
}
