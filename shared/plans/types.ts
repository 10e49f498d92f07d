/**
 * Plans (API.md "Plans (dry run)"): what an action would do, read now, with nothing written and
 * nothing changed. `POST /v1/actions?dryRun=true` answers one; dry-run rules record one; an
 * approval carries one.
 */
import type { Caller } from '#shared/auth/scopes.ts';
import type { ActionInputs, FieldError, ResourceRef } from '#shared/catalogue/types.ts';
import type { ActionRecord, ActionWarning } from '#shared/history/record.ts';
import type { JsonValue } from '#shared/json.ts';

/** One call (cloud) or one piece of responder work (host, Kubernetes) the action would make. */
export interface PlannedChange {
  /** `iam:AttachUserPolicy`, `ec2:ModifyNetworkInterfaceAttribute`, `host:kill-process`, `kubernetes:create NetworkPolicy`. */
  readonly call: string;
  /** What it acts on: an ARN, a resource key. */
  readonly target: string;
  /** What exactly, for a person: `attach AWSDenyAll (arn:aws:iam::aws:policy/AWSDenyAll)`. */
  readonly detail: string;
}

export interface PlanRefusal {
  /** The code the action would end in Error with: `TargetAccountNotAllowed`, `ProtectedTarget`, ... */
  readonly code: string;
  readonly message: string;
}

export interface Plan {
  readonly type: string;
  readonly resource: ResourceRef;
  /** False when a guard refuses the target; `refusal` says why and `changes` is empty. */
  readonly allowed: boolean;
  readonly refusal: PlanRefusal | null;
  /** The state that would be captured now (cloud: read through the member role); null when the responder captures it at run time. */
  readonly prior: JsonValue | null;
  readonly changes: readonly PlannedChange[];
  /** The undo type and what it would restore; null when the type has no undo. */
  readonly undo: { readonly type: string; readonly restores: string } | null;
  /** The cautions the action's record would carry if it were created now (a `NoEvidenceFirst`); empty when none. */
  readonly warnings: readonly ActionWarning[];
}

/** The body of a create, as posted (validated by the planner exactly as a create validates it). */
export interface PlanRequest {
  readonly type: unknown;
  readonly inputs: unknown;
  readonly reason?: unknown;
}

export interface PlanOptions {
  /**
   * For an undo type: exactly the action it would undo (`POST /v1/actions/{id}/undo?dryRun=true`,
   * an approval of that undo), instead of the newest Completed, not yet undone one on the resource
   * that a directly posted undo type reverses. Its undo type must be the request's.
   */
  readonly undoing?: ActionRecord;
}

/**
 * Plans a create. `caller` null means the service itself (a rule, an approval being decided):
 * no scope check, everything else identical. Throws exactly what create throws for bad input
 * (ForbiddenError before InvalidInputError); a refused target is a Plan with `allowed: false`,
 * never an error.
 */
export interface Planner {
  /** `requestErrors`: the HTTP body's own problems (unknown fields), reported with the inputs' once the scope is settled. */
  plan(caller: Caller | null, request: PlanRequest, requestErrors?: readonly FieldError[], options?: PlanOptions): Promise<Plan>;
}

/** What the cloud part of a plan needs: the captured prior and the calls apply would make, for one valid cloud action. */
export interface CloudPlanRequest {
  readonly type: string;
  readonly inputs: ActionInputs;
  /** For an undo type: the id of the action it would undo (its prior/applied say what to reverse). */
  readonly undoOf: string | null;
}

export interface CloudPlanResult {
  readonly prior: JsonValue | null;
  readonly changes: readonly PlannedChange[];
}

/**
 * Runs a cloud action's capture against the target through the family's member role, with
 * progress kept in memory (nothing written), then asks the action which calls apply would make.
 * Guards (TARGET_ACCOUNTS, protected targets) refuse first with the same errors a run gets.
 * Locally: in process. In AWS: the family's function, invoked with `{ "plan": CloudPlanRequest }`.
 */
export interface CloudPlanner {
  plan(request: CloudPlanRequest): Promise<CloudPlanResult>;
}
