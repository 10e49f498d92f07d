/**
 * How runs are built and answered: a new run's item, an undo run's steps, and a stored run as a
 * reader sees it now (each step's status as its action stands, whether an undo is available).
 */
import { findActionType, type Category } from '#shared/catalogue/index.ts';
import type { HistoryReader } from '#shared/history/reader.ts';
import type { ActionRecord, Trigger } from '#shared/history/record.ts';
import type { JsonValue } from '#shared/json.ts';
import type { PlaybookDefinition, PlaybookRun, PlaybookRunStep, StoredRun, StoredStepPlan } from './types.ts';

export interface NewRun {
  readonly id: string;
  readonly playbook: PlaybookDefinition;
  readonly inputs: Readonly<Record<string, JsonValue>>;
  readonly reason: string | null;
  readonly createdBy: string;
  readonly trigger: Trigger | null;
  readonly categories: readonly Category[];
  readonly now: Date;
  readonly deadlineSeconds: number;
}

/** A playbook's run as first stored: Created, every step Pending, its definitions frozen with it. */
export function newRun(fields: NewRun): StoredRun {
  const steps = fields.playbook.steps.map(
    (definition): PlaybookRunStep => ({
      id: definition.id,
      type: definition.type,
      phase: definition.phase,
      actionId: null,
      status: 'Pending',
      skipReason: null,
      error: null,
      continueOnError: definition.continueOnError,
    }),
  );
  return {
    run: runFields({ ...fields, playbook: fields.playbook.name }, steps, null),
    plan: fields.playbook.steps.map((definition): StoredStepPlan => ({ kind: 'playbook', definition })),
    categories: fields.categories,
  };
}

/** One containment step to reverse: the step of the original run and its Completed action. */
export interface UndoTarget {
  readonly stepId: string;
  readonly action: ActionRecord;
  readonly undoType: string;
}

/**
 * The run that undoes `original`: one undo step per target, in the order given (reverse of the
 * original's). It shows the original's inputs, so it is read as the original is: by readers of
 * every category of the original as well as of its undo steps.
 */
export function newUndoRun(fields: Omit<NewRun, 'categories' | 'playbook' | 'inputs'>, stored: StoredRun, targets: readonly UndoTarget[]): StoredRun {
  const original = stored.run;
  const plan = targets.map((target): StoredStepPlan => ({ kind: 'undo', id: `undo-${target.stepId}`, type: target.undoType, undoOf: target.action.id }));
  const steps = plan.map(
    (step): PlaybookRunStep => ({
      id: step.kind === 'undo' ? step.id : step.definition.id,
      type: step.kind === 'undo' ? step.type : step.definition.type,
      phase: 'containment',
      actionId: null,
      status: 'Pending',
      skipReason: null,
      error: null,
      // Stopping at a failed undo leaves the rest contained: the safe side.
      continueOnError: false,
    }),
  );
  return {
    run: runFields({ ...fields, playbook: original.playbook, inputs: original.inputs }, steps, original.id),
    plan,
    categories: [...new Set([...stored.categories, ...undoCategories(targets)])].sort(),
  };
}

export function undoCategories(targets: readonly UndoTarget[]): Category[] {
  const found = new Set(targets.map((target) => findActionType(target.undoType)?.category ?? 'containment'));
  return [...found].sort();
}

function runFields(fields: Omit<NewRun, 'categories' | 'playbook'> & { playbook: string }, steps: PlaybookRunStep[], undoOf: string | null): PlaybookRun {
  const at = fields.now.toISOString();
  return {
    id: fields.id,
    playbook: fields.playbook,
    inputs: fields.inputs,
    reason: fields.reason,
    status: 'Created',
    steps,
    createdBy: fields.createdBy,
    createdAt: at,
    updatedAt: at,
    deadline: new Date(fields.now.getTime() + fields.deadlineSeconds * 1000).toISOString(),
    error: null,
    undo: { available: false, runId: null },
    undoOf,
    trigger: fields.trigger,
  };
}

/** The steps' actions, by position (null where a step has none, or its claimed action was never created). */
export async function stepActions(records: Pick<HistoryReader, 'get'>, run: PlaybookRun): Promise<(ActionRecord | null)[]> {
  return Promise.all(run.steps.map(async (step) => (step.actionId === null ? null : records.get(step.actionId))));
}

/** The Completed containment steps of a finished run whose actions (its own: they carry its id) can be undone now, last first. */
export function undoTargets(stored: StoredRun, actions: readonly (ActionRecord | null)[]): UndoTarget[] {
  const targets: UndoTarget[] = [];
  stored.plan.forEach((plan, index) => {
    const action = actions[index] ?? null;
    if (plan.kind !== 'playbook' || plan.definition.phase !== 'containment' || action?.playbookRunId !== stored.run.id) return;
    if (action.status !== 'Completed' || !action.undo.available || action.undo.type === null) return;
    targets.push({ stepId: plan.definition.id, action, undoType: action.undo.type });
  });
  return targets.reverse();
}

/** The run as a reader sees it now: each step's status as its action stands, and whether it can be undone. */
export async function answerRun(records: Pick<HistoryReader, 'get'>, stored: StoredRun): Promise<PlaybookRun> {
  const { run } = stored;
  const actions = await stepActions(records, run);
  const steps = run.steps.map((step, index): PlaybookRunStep => {
    const action = actions[index] ?? null;
    return {
      id: step.id,
      type: step.type,
      phase: step.phase,
      actionId: step.actionId,
      status: action === null ? step.status : action.status,
      skipReason: step.skipReason,
      error: step.error,
      continueOnError: step.continueOnError,
    };
  });
  const finished = run.status === 'Completed' || run.status === 'Error';
  const available = finished && run.undo.runId === null && undoTargets(stored, actions).length > 0;
  return {
    id: run.id,
    playbook: run.playbook,
    inputs: run.inputs,
    reason: run.reason,
    status: run.status,
    steps,
    createdBy: run.createdBy,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    deadline: run.deadline,
    error: run.error,
    undo: { available, runId: run.undo.runId },
    undoOf: run.undoOf,
    trigger: run.trigger,
  };
}
