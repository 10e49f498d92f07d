/**
 * Playbooks (API.md "Playbooks", issue 13): recommended sequences of actions run as one recorded,
 * undoable unit that never destroys evidence before it is secured. These are the shapes every part
 * shares: the definitions (built-in and from the PLAYBOOKS file), the runs as stored and answered,
 * and the ports between the run engine, the approvals and the automation.
 */
import type { Approval } from '#shared/approvals/types.ts';
import type { Caller } from '#shared/auth/scopes.ts';
import type { Category, Effect, FieldError, ResourceRef } from '#shared/catalogue/types.ts';
import type { ActionError, Trigger } from '#shared/history/record.ts';
import type { ActionStatus } from '#shared/history/status.ts';
import type { JsonValue } from '#shared/json.ts';
// In their own module so an Approval can carry a playbook's plan without an import circle through RunOutcome.
import type { PlaybookPlan, StepPhase } from './plan-types.ts';

export type { PlaybookPlan, StepPhase };

// ---------------------------------------------------------------- definitions

/** Where a step's input value comes from. Exactly one of the forms. */
export type InputSource =
  /** A run input by name; with `part`, a piece of an ARN run input (e.g. the account id of the user's ARN). */
  | { readonly input: string; readonly part?: 'arn.account' | 'arn.region' }
  /** A dotted path into an earlier step's `result` (e.g. `persistentVolumeClaims` of capture-pod-state). */
  | { readonly step: string; readonly result: string }
  /** A literal. */
  | { readonly value: JsonValue }
  /** The first of these (none itself a firstOf) that yields a value: a run input if given, else an earlier step's result. */
  | { readonly firstOf: readonly Exclude<InputSource, { readonly firstOf: unknown }>[] };

/** A condition on a step; a step runs only when all of its conditions hold, else it is Skipped with the condition as reason. */
export type StepCondition =
  /** The run input is present (not absent, not null, not an empty string or list). */
  | { readonly present: string }
  /** The run input is absent. */
  | { readonly absent: string }
  /** The run input equals the value. */
  | { readonly equals: { readonly input: string; readonly value: string | number | boolean } }
  /** The run input (a string) matches the glob (`*` any run of characters). */
  | { readonly matches: { readonly input: string; readonly glob: string } }
  /** An earlier step Completed and its result at the path is present (a non-empty list, a non-empty string, ...). */
  | { readonly resultPresent: { readonly step: string; readonly result: string } }
  /** Any one of these (none itself an anyOf) holds: the PVC input is given, or the pod's state named PVCs. */
  | { readonly anyOf: readonly Exclude<StepCondition, { readonly anyOf: unknown }>[] };

export interface PlaybookStepDefinition {
  /** Unique within the playbook, kebab-case. */
  readonly id: string;
  /** A catalogue action type (never an undo type). */
  readonly type: string;
  /** `evidence` for an evidence-effect type, else `containment` (derived from the catalogue). */
  readonly phase: StepPhase;
  /** The catalogue's effect of `type`. */
  readonly effect: Effect;
  /** Input name of `type` → where its value comes from. An input whose source yields nothing is left out. */
  readonly inputs: Readonly<Record<string, InputSource>>;
  readonly when: readonly StepCondition[];
  /** An Error of this step does not stop the run (later destructive steps still need every evidence step secured). */
  readonly continueOnError: boolean;
}

/** One input of a playbook: a catalogue input name (or a playbook option such as `container.action`). */
export interface PlaybookInputDefinition {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
  /** JSON Schema of the value (from the catalogue field of that name where there is one). */
  readonly schema: Readonly<Record<string, unknown>>;
  /** Filled in when absent: a literal, or an RFC 3339 time this many seconds before the run is created. */
  readonly default?: { readonly value: JsonValue } | { readonly secondsAgo: number };
}

export interface PlaybookDefinition {
  /** kebab-case; unique across built-in and custom playbooks. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly source: 'built-in' | 'custom';
  readonly inputs: readonly PlaybookInputDefinition[];
  readonly steps: readonly PlaybookStepDefinition[];
}

/** GET /v1/playbooks: one entry (API.md). */
export interface PlaybookDescription {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly source: 'built-in' | 'custom';
  /** JSON Schema of the run's `inputs` object. */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly steps: readonly {
    readonly id: string;
    readonly type: string;
    readonly phase: StepPhase;
    readonly effect: Effect;
    readonly continueOnError: boolean;
    /** Human wording of the step's conditions; empty when it always runs. */
    readonly when: readonly string[];
  }[];
}

/** The playbooks in force: the six built-ins plus the PLAYBOOKS file's. */
export interface PlaybookCatalogue {
  list(): readonly PlaybookDefinition[];
  find(name: string): PlaybookDefinition | undefined;
  /** SHA-256 of the PLAYBOOKS file; null when only the built-ins are in force. */
  readonly fileSha256: string | null;
}

/** What a step resolves to, given the run's inputs and the results of the steps before it. */
export type ResolvedStep =
  | { readonly kind: 'run'; readonly inputs: Record<string, JsonValue> }
  | { readonly kind: 'skip'; readonly reason: string }
  /** Dry run only: the step needs the result of a step that has not run (`reason` names it). */
  | { readonly kind: 'unresolved'; readonly reason: string };

/** An earlier step as resolution sees it. */
export interface EarlierStep {
  readonly status: PlaybookStepStatus;
  readonly result: JsonValue | null;
}

// ---------------------------------------------------------------- runs

export const runStatuses = ['Created', 'Running', 'Completed', 'Error'] as const;
export type RunStatus = (typeof runStatuses)[number];

export type PlaybookStepStatus = 'Pending' | 'Skipped' | ActionStatus;

/** One step of a run, as answered (API.md). */
export interface PlaybookRunStep {
  readonly id: string;
  readonly type: string;
  readonly phase: StepPhase;
  readonly actionId: string | null;
  readonly status: PlaybookStepStatus;
  /** Why it was Skipped (its condition, or the run stopping before it); null otherwise. */
  readonly skipReason: string | null;
  /** Why the step failed before it had an action (its inputs were refused); the action's own error otherwise lives on the action. */
  readonly error: ActionError | null;
  readonly continueOnError: boolean;
}

export interface PlaybookRun {
  readonly id: string;
  readonly playbook: string;
  readonly inputs: Readonly<Record<string, JsonValue>>;
  readonly reason: string | null;
  readonly status: RunStatus;
  readonly steps: readonly PlaybookRunStep[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When the run ends in Error if it has not finished. */
  readonly deadline: string;
  readonly error: ActionError | null;
  /** `available`: the run is finished and has Completed containment steps with an undo, none undone yet. */
  readonly undo: { readonly available: boolean; readonly runId: string | null };
  /** The run this one undoes; null for a playbook's own run. */
  readonly undoOf: string | null;
  readonly trigger: Trigger | null;
}

/** A step as stored with the run: its definition (frozen at creation) or, in an undo run, the action it undoes. */
export type StoredStepPlan =
  | { readonly kind: 'playbook'; readonly definition: PlaybookStepDefinition }
  | { readonly kind: 'undo'; readonly id: string; readonly type: string; readonly undoOf: string };

export interface StoredRun {
  readonly run: PlaybookRun;
  /** Same order and ids as `run.steps`. */
  readonly plan: readonly StoredStepPlan[];
  /** The categories of the run's steps: who may read it (every one of them) and run or undo it (exec of each). */
  readonly categories: readonly Category[];
}

/** What creating (or approving) a run answers: the run, or the approval it needs first. */
export type RunOutcome = { readonly run: PlaybookRun } | { readonly approval: Approval };

export interface RunQuery {
  readonly playbook?: string;
  readonly status?: RunStatus;
  readonly createdBy?: string;
  readonly cursor?: string;
  readonly limit: number;
}

export interface RunPage {
  readonly items: readonly PlaybookRun[];
  readonly cursor: string | null;
}

/** The body of POST /v1/playbooks/{name}/runs, as posted. */
export interface RunRequest {
  readonly inputs: unknown;
  readonly reason?: unknown;
}

/** Options of a run created on another authority (a rule, an approval). */
export interface RunOnBehalfOptions {
  readonly trigger: Trigger;
  /** A second person approved it: the APPROVAL_REQUIRED gate is passed. */
  readonly approved: boolean;
  /** For a rule's request the gate turns into an approval: what approving it counts towards. */
  readonly countAs?: { readonly ruleId: string; readonly accountId: string | null; readonly region: string | null };
  /** Approving an undo-run request: undo exactly that run. */
  readonly undoOf?: string;
}

/** The run use cases the HTTP routes, the approvals and the automation call. */
export interface PlaybookRuns {
  /** GET /v1/playbooks */
  describe(): readonly PlaybookDescription[];
  /** POST /v1/playbooks/{name}/runs. Scope (exec of every category of its steps) before inputs. */
  create(caller: Caller, name: string, request: RunRequest, idempotencyKey?: string, requestErrors?: readonly FieldError[]): Promise<RunOutcome>;
  /** POST /v1/playbooks/{name}/runs?dryRun=true: same checks, nothing written. `caller` null: the service itself. */
  plan(caller: Caller | null, name: string, request: RunRequest, requestErrors?: readonly FieldError[]): Promise<PlaybookPlan>;
  /** A rule's run, or an approved request's. */
  createOnBehalf(principal: string, name: string, request: { readonly inputs: Record<string, unknown>; readonly reason: string | null }, options: RunOnBehalfOptions): Promise<RunOutcome>;
  /** GET /v1/playbook-runs/{id}: steps' statuses as their actions stand now. */
  get(caller: Caller, id: string): Promise<PlaybookRun>;
  /** GET /v1/playbook-runs */
  list(caller: Caller, query: RunQuery): Promise<RunPage>;
  /** POST /v1/playbook-runs/{id}/undo */
  undo(caller: Caller, id: string, reason?: unknown, requestErrors?: readonly FieldError[]): Promise<RunOutcome>;
}

/** Starts a run's execution (Step Functions StartExecution named after the run id; locally, the same ASL in process). */
export interface RunStarter {
  start(run: PlaybookRun): Promise<void>;
}

/** The Task handler of state-machines/playbook-run.asl.json (functions/playbooks/playbook-step.ts). */
export type PlaybookStepEvent =
  | { readonly step: 'advance'; readonly runId: string }
  | { readonly step: 'fail'; readonly runId: string; readonly error: { readonly Error?: string; readonly Cause?: string } };

/** `wait`: a step is in flight, come back after `waitSeconds`; `done`: the run is Completed or in Error. */
export interface PlaybookStepResult {
  readonly next: 'wait' | 'done';
  readonly waitSeconds: number;
  readonly status: RunStatus;
}

export type { ResourceRef };
