/**
 * APPROVAL_REQUIRED (API.md "Approvals"): an action on a matching target is not created; an
 * approval is, and a second person decides. Whoever asks: a person's create, undo or re-execute,
 * or a rule in `enforce` mode.
 */
import type { ApprovalOrigin, ApprovalRequests, CountAs, OnBehalfRequest } from '#shared/approvals/ports.ts';
import type { Approval } from '#shared/approvals/types.ts';
import type { ActionInputs, Category, ResourceRef } from '#shared/catalogue/types.ts';
import { isProtectedTarget } from '#shared/guards/protected-targets.ts';
import type { ActionRecord, Trigger } from '#shared/history/record.ts';
import type { Planner } from '#shared/plans/types.ts';

/** Who an action is created for and on whose authority: a person's own request, a rule, or an approval. */
export interface Actor {
  /** The record's `createdBy`: the caller, `automation:<rule id>`, or the requester of an approval. */
  readonly principal: string;
  readonly trigger: Trigger | null;
  /** A second person approved it already: the gate is passed. */
  readonly approved: boolean;
  readonly countAs?: CountAs;
  /** A playbook step: the run it belongs to (the record's `playbookRunId`). */
  readonly playbookRunId?: string;
  /** A playbook step: the id its run claimed for it, so a retried step finds its action instead of making another. */
  readonly actionId?: string;
}

export interface ApprovalGateDeps {
  /** APPROVAL_REQUIRED patterns: ARNs or resource keys, `*` matching any run of characters. */
  readonly approvalRequired?: readonly string[];
  readonly approvals?: ApprovalRequests;
  /** Plans what approving would do, for the approver to read; absent: the approval carries no plan. */
  readonly planner?: Planner;
}

/** A person's own request: no trigger (API.md), and the gate applies. */
export function personActor(sub: string): Actor {
  return { principal: sub, trigger: null, approved: false };
}

/**
 * Whether any target the action names matches a pattern: its resource keys and every ARN among
 * its inputs. Patterns match as protected targets do (IAM names on any path, in any case).
 */
export function requiresApproval(patterns: readonly string[], resources: readonly ResourceRef[], inputs: ActionInputs): boolean {
  if (patterns.length === 0) return false;
  const arns = Object.entries(inputs).flatMap(([name, value]) => (name.endsWith('.arn') && typeof value === 'string' ? [value] : []));
  return [...resources.map((resource) => resource.key), ...arns].some((target) => isProtectedTarget(target, patterns));
}

/** Fails at construction, not on the first matching request, when the gate has nowhere to send approvals. */
export function checkGate(deps: ApprovalGateDeps): void {
  if ((deps.approvalRequired ?? []).length > 0 && deps.approvals === undefined) {
    throw new Error('APPROVAL_REQUIRED is set but this ActionService was built without approvals to request');
  }
}

/** The approval that replaces the action when the gate applies; undefined when the action may be created now. */
export async function approvalInstead(
  deps: ApprovalGateDeps,
  actor: Actor,
  target: {
    readonly request: OnBehalfRequest;
    readonly category: Category;
    readonly resources: readonly ResourceRef[];
    readonly origin?: ApprovalOrigin;
    /** An undo: exactly the action it undoes, so the plan is of undoing that one. */
    readonly undoing?: ActionRecord;
  },
): Promise<{ readonly approval: Approval } | undefined> {
  if (actor.approved || !requiresApproval(deps.approvalRequired ?? [], target.resources, target.request.inputs)) return undefined;
  const approvals = deps.approvals;
  if (approvals === undefined) throw new Error('APPROVAL_REQUIRED matched but no approvals are configured');
  const planOptions = target.undoing === undefined ? {} : { undoing: target.undoing };
  const plan = deps.planner === undefined ? null : await deps.planner.plan(null, target.request, [], planOptions);
  const approval = await approvals.request({
    request: target.request,
    requestedBy: actor.principal,
    trigger: actor.trigger,
    category: target.category,
    plan,
    ...(actor.countAs === undefined ? {} : { countAs: actor.countAs }),
    ...(target.origin === undefined ? {} : { origin: target.origin }),
  });
  return { approval };
}
