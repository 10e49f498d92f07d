/**
 * The wire shapes of API.md, as the console reads them. The console is a client of the HTTP
 * contract like any SOC tool: these are written from API.md, not imported from the service's
 * internals, so a server change that breaks the contract breaks the console's tests too.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type Category = 'containment' | 'data-gathering';
export type Executor = 'cloud' | 'host' | 'kubernetes';
export type Effect = 'evidence' | 'preserving' | 'destructive';
export const actionStatuses = ['Created', 'Enqueued', 'Running', 'Completed', 'Error'] as const;
export type ActionStatus = (typeof actionStatuses)[number];
export const terminalStatuses: readonly ActionStatus[] = ['Completed', 'Error'];

/** A JSON Schema (draft 2020-12) object as `GET /v1/action-types` and `GET /v1/playbooks` give it. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly enum?: readonly JsonValue[];
  readonly const?: JsonValue;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly description?: string;
  readonly format?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly default?: JsonValue;
  readonly additionalProperties?: boolean | JsonSchema;
}

export interface ActionType {
  readonly type: string;
  readonly title: string;
  readonly description: string;
  readonly category: Category;
  readonly executors: readonly Executor[];
  readonly undoType: string | null;
  readonly effect: Effect;
  readonly inputs: JsonSchema;
}

export interface ResourceRef {
  readonly key: string;
  readonly kind: string;
}

export interface StatusChange {
  readonly status: ActionStatus;
  readonly at: string;
  readonly detail?: string;
}

export interface ActionError {
  readonly code: string;
  readonly message: string;
}

export interface Trigger {
  readonly source: 'guardduty' | 'securityhub' | 'falco' | 'person';
  readonly eventId: string | null;
  readonly findingId: string | null;
  readonly findingType: string | null;
  readonly ruleId: string | null;
  readonly approvedBy: string | null;
}

export interface ActionWarning {
  readonly code: string;
  readonly message: string;
  readonly evidenceTypes?: readonly string[];
}

export interface ActionRecord {
  readonly id: string;
  readonly type: string;
  readonly category: Category;
  readonly executor: Executor;
  readonly inputs: Readonly<Record<string, JsonValue>>;
  readonly reason: string | null;
  readonly resource: ResourceRef;
  readonly resources: readonly ResourceRef[];
  readonly status: ActionStatus;
  readonly statusHistory: readonly StatusChange[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly error: ActionError | null;
  readonly result: JsonValue | null;
  readonly prior: JsonValue | null;
  readonly applied: JsonValue | null;
  readonly undo: { readonly available: boolean; readonly type: string | null; readonly actionId: string | null };
  readonly undoOf: string | null;
  readonly reexecuteOf: string | null;
  readonly trigger: Trigger | null;
  readonly playbookRunId: string | null;
  readonly warnings: readonly ActionWarning[];
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface EvidenceObject {
  readonly name: string;
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly contentType: string;
  readonly createdAt: string;
  readonly downloadUrl: string;
  readonly downloadUrlExpiresAt: string;
}

export interface PlannedChange {
  readonly call: string;
  readonly target: string;
  readonly detail: string;
}

export interface Plan {
  readonly type: string;
  readonly resource: ResourceRef;
  readonly allowed: boolean;
  readonly refusal: { readonly code: string; readonly message: string } | null;
  readonly prior: JsonValue | null;
  readonly changes: readonly PlannedChange[];
  readonly undo: { readonly type: string; readonly restores: string } | null;
  /** Cautions the action would be recorded with (`NoEvidenceFirst`); absent on older servers. */
  readonly warnings?: readonly ActionWarning[];
}

export type StepPhase = 'evidence' | 'containment';

export interface PlaybookPlan {
  readonly playbook: string;
  readonly steps: readonly {
    readonly id: string;
    readonly type: string;
    readonly phase: StepPhase;
    readonly plan: Plan | null;
    readonly note: string | null;
  }[];
}

export interface Playbook {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputs: JsonSchema;
  readonly steps: readonly { readonly id: string; readonly type: string; readonly phase: StepPhase; readonly continueOnError: boolean }[];
}

export type RunStatus = 'Created' | 'Running' | 'Completed' | 'Error';
export type PlaybookStepStatus = 'Pending' | 'Skipped' | ActionStatus;

export interface PlaybookRun {
  readonly id: string;
  readonly playbook: string;
  readonly inputs: Readonly<Record<string, JsonValue>>;
  readonly reason: string | null;
  readonly status: RunStatus;
  readonly steps: readonly {
    readonly id: string;
    readonly type: string;
    readonly phase: StepPhase;
    readonly actionId: string | null;
    readonly status: PlaybookStepStatus;
    readonly skipReason: string | null;
    readonly error: ActionError | null;
    readonly continueOnError: boolean;
  }[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deadline: string;
  readonly error: ActionError | null;
  readonly undo: { readonly available: boolean; readonly runId: string | null };
  readonly undoOf: string | null;
  readonly trigger: Trigger | null;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface Approval {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly request: { readonly type?: string; readonly playbook?: string; readonly inputs: Readonly<Record<string, JsonValue>>; readonly reason: string | null };
  readonly plan: Plan | PlaybookPlan | null;
  readonly requestedBy: string;
  readonly trigger: Trigger | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly decisionReason?: string | null;
  readonly actionIds: readonly string[];
  readonly playbookRunId: string | null;
  readonly category?: Category;
}

export type DecisionOutcome = 'executed' | 'planned' | 'awaiting-approval' | 'deduplicated' | 'exempt' | 'rate-limited' | 'suppressed' | 'unmapped' | 'refused';

export interface DecisionRecord {
  readonly eventId: string;
  readonly receivedAt: string;
  readonly source: 'guardduty' | 'securityhub' | 'falco';
  readonly findingId: string;
  readonly findingType: string;
  readonly ruleId: string;
  readonly outcome: DecisionOutcome;
  readonly reason: string;
  readonly actionIds: readonly string[];
  readonly approvalId: string | null;
  readonly playbookRunId: string | null;
}

export interface Responder {
  readonly id: string;
  readonly kind: string;
  readonly [field: string]: JsonValue | undefined;
}

/** What creating answers: the record, or (APPROVAL_REQUIRED) the approval a second person must decide. */
export type Created<T> = { readonly kind: 'created'; readonly value: T } | { readonly kind: 'approval'; readonly approval: Approval };
