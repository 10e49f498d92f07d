/**
 * The Task of state-machines/playbook-run.asl.json: moves a run on by one step at a time. All state
 * lives in the run item and its steps' actions, so advancing again after a crash (or twice at
 * once) is safe: a step's action id is claimed on the run before the action is created with it,
 * and a retry that finds the id claimed creates the action only if it does not exist yet.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { ActionsOnBehalf, OnBehalfOptions, OnBehalfRequest } from '#shared/approvals/ports.ts';
import { validateActionRequest } from '#shared/catalogue/index.ts';
import type { Clock } from '#shared/clock.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '#shared/errors.ts';
import type { HistoryReader } from '#shared/history/reader.ts';
import type { ActionError, ActionRecord } from '#shared/history/record.ts';
import { isTerminal } from '#shared/history/status.ts';
import { isActionId } from '#shared/use-cases/action-requests.ts';
import { undoInputsFor } from '#shared/use-cases/undo-inputs.ts';
import { resolveStep } from './definitions/index.ts';
import type { RunStore, StepChange } from './run-store.ts';
import { describeStep, executionFailure, isSettled, skipRemaining, unsecuredEvidence } from './run-steps.ts';
import type { EarlierStep, PlaybookStepDefinition, PlaybookStepEvent, PlaybookStepResult, RunStatus, StoredRun } from './types.ts';

export interface PlaybookStepDeps {
  readonly store: Pick<RunStore, 'get' | 'moveStatus' | 'claimStepAction' | 'updateSteps'>;
  /** ActionService: every step is an ordinary action, created on the run's authority. */
  readonly actions: ActionsOnBehalf;
  /** Reads the steps' actions (a HistoryReader, HistoryWriter or HistoryRepository). */
  readonly records: Pick<HistoryReader, 'get'>;
  readonly clock: Clock;
  readonly newId?: () => string;
  /** How long the state machine waits while a step's action is in flight (2 s). */
  readonly waitSeconds?: number;
}

/** What one look at the run decided: answer the state machine, or look again (something was written). */
type Turn = PlaybookStepResult | 'again';

/** The handler of {@link PlaybookStepEvent}s. */
export function createPlaybookStepHandler(deps: PlaybookStepDeps): (event: PlaybookStepEvent) => Promise<PlaybookStepResult> {
  const engine = new RunEngine(deps);
  return async (event) => {
    // The event comes from the state machine, but the function can be invoked by anything allowed to.
    const { step, runId, error } = event as { step?: unknown; runId?: unknown; error?: unknown };
    if (typeof runId !== 'string' || !isActionId(runId)) throw new Error('the playbook step event names no run id');
    if (step === 'advance') return engine.advance(runId);
    if (step === 'fail') return engine.fail(runId, typeof error === 'object' && error !== null ? error : {});
    throw new Error('the playbook step event must be advance or fail');
  };
}

class RunEngine {
  readonly #deps: PlaybookStepDeps;
  readonly #newId: () => string;
  readonly #waitSeconds: number;

  constructor(deps: PlaybookStepDeps) {
    this.#deps = deps;
    this.#newId = deps.newId ?? randomUUID;
    this.#waitSeconds = deps.waitSeconds ?? 2;
  }

  /** Moves the run on as far as it can without waiting; each turn re-reads the run it wrote. */
  async advance(runId: string): Promise<PlaybookStepResult> {
    for (let turn = 0; turn < 100; turn += 1) {
      const stored = await this.#read(runId);
      const outcome = await this.#turn(stored);
      if (outcome !== 'again') return outcome;
    }
    // Never expected: a run whose every turn writes something is bounded by its steps.
    return { next: 'wait', waitSeconds: this.#waitSeconds, status: 'Running' };
  }

  /** The execution failed (a Catch): the run ends in Error saying so; its steps not started are Skipped. */
  async fail(runId: string, error: { readonly Error?: unknown; readonly Cause?: unknown }): Promise<PlaybookStepResult> {
    const failure = executionFailure(error);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const stored = await this.#read(runId);
      const { run } = stored;
      if (run.status === 'Completed' || run.status === 'Error') return done(run.status);
      const moved = await this.#end(stored, failure, skipRemaining(run, 0, "the run's execution failed before this step"));
      if (moved !== null) return done('Error');
    }
    throw new Error(`playbook run ${runId} kept changing while its failure was recorded`);
  }

  async #read(runId: string): Promise<StoredRun> {
    const stored = await this.#deps.store.get(runId);
    if (stored === null) throw new Error(`no playbook run ${runId}`);
    return stored;
  }

  async #turn(stored: StoredRun): Promise<Turn> {
    const { run } = stored;
    if (run.status === 'Completed' || run.status === 'Error') return done(run.status);
    const now = this.#deps.clock.now().toISOString();
    if (now >= run.deadline) {
      const error = { code: 'RunDeadlineExceeded', message: `the run did not finish by its deadline ${run.deadline}` };
      await this.#end(stored, error, skipRemaining(run, 0, `the run passed its deadline ${run.deadline} before this step`));
      return 'again';
    }
    if (run.status === 'Created') {
      await this.#deps.store.moveStatus(run, 'Created', 'Running', { at: now });
      return 'again';
    }
    const index = run.steps.findIndex((step) => !isSettled(step.status));
    if (index === -1) {
      await this.#deps.store.moveStatus(run, 'Running', 'Completed', { at: now });
      return 'again';
    }
    const step = run.steps[index];
    if (step === undefined) throw new Error('unreachable: the step index came from the steps');
    if (step.actionId === null) return this.#start(stored, index, null);
    const action = await this.#deps.records.get(step.actionId);
    // Claimed but never created: the advance that claimed it stopped in between.
    if (action === null) return this.#start(stored, index, step.actionId);
    if (!isTerminal(action.status)) return { next: 'wait', waitSeconds: this.#waitSeconds, status: run.status };
    return this.#settle(stored, index, action.status === 'Completed' ? null : (action.error ?? { code: 'Error', message: 'the action ended in Error' }));
  }

  /** A step's action finished (`error` null: Completed): record it, and stop the run on an Error unless the step continues. */
  async #settle(stored: StoredRun, index: number, error: ActionError | null, withoutAction = false): Promise<Turn> {
    const { run } = stored;
    const step = run.steps[index];
    if (step === undefined) throw new Error('unreachable: the step index came from the steps');
    const at = this.#deps.clock.now().toISOString();
    if (error === null) {
      await this.#deps.store.updateSteps(run.id, 'Running', [{ index, stepId: step.id, status: 'Completed' }], at);
      return 'again';
    }
    const failed: StepChange = { index, stepId: step.id, status: 'Error', ...(withoutAction ? { error } : {}) };
    if (step.continueOnError) {
      await this.#deps.store.updateSteps(run.id, 'Running', [failed], at);
      return 'again';
    }
    const plan = stored.plan[index];
    const type = plan === undefined ? step.type : describeStep(plan).type;
    const stopped = {
      code: 'StepFailed',
      message: `step ${step.id} (${type}) failed: ${error.code}`,
    };
    await this.#end(stored, stopped, [failed, ...skipRemaining(run, index + 1, `the run stopped at step ${step.id}`)]);
    return 'again';
  }

  /** Starts step `index`: resolves its inputs, applies the evidence-first rule, claims an action id (unless `claimed`) and creates the action. */
  async #start(stored: StoredRun, index: number, claimed: string | null): Promise<Turn> {
    const { run } = stored;
    const step = run.steps[index];
    const plan = stored.plan[index];
    if (step === undefined || plan === undefined) throw new Error(`playbook run ${run.id} has no plan for step ${String(index)}`);
    const at = this.#deps.clock.now().toISOString();
    const request = await this.#request(stored, index);
    if (request.kind === 'skip') {
      await this.#deps.store.updateSteps(run.id, 'Running', [{ index, stepId: step.id, status: 'Skipped', skipReason: request.reason }], at);
      return 'again';
    }
    if (request.kind === 'refused') return this.#settle(stored, index, request.error, true);
    const described = describeStep(plan);
    if (described.destructive) {
      const unsecured = unsecuredEvidence(stored, index);
      if (unsecured.length > 0) {
        const names = unsecured.map((evidence) => `${evidence.id} (${evidence.type}, ${evidence.status})`).join(', ');
        const error = {
          code: 'EvidenceNotSecured',
          message: `step ${step.id} (${described.type}) destroys evidence, and the evidence of step ${names} was not secured: it was not started`,
        };
        await this.#end(stored, error, skipRemaining(run, index, `evidence not secured before step ${step.id}: ${names}`));
        return 'again';
      }
    }
    const actionId = claimed ?? this.#newId();
    if (claimed === null) {
      const claim = await this.#deps.store.claimStepAction(run.id, index, step.id, actionId, at);
      if (claim === null) return 'again';
    }
    return this.#create(stored, index, actionId, request);
  }

  async #create(stored: StoredRun, index: number, actionId: string, step: { request: OnBehalfRequest; origin?: OnBehalfOptions['origin']; approved: boolean }): Promise<Turn> {
    const { run } = stored;
    const { request, origin } = step;
    const options: OnBehalfOptions = {
      trigger: run.trigger,
      approved: step.approved,
      playbookRunId: run.id,
      actionId,
      ...(origin === undefined ? {} : { origin }),
    };
    try {
      const outcome = await this.#deps.actions.createOnBehalf(run.createdBy, request, options);
      if ('approval' in outcome) {
        const message = `the step's target, which the run's inputs did not name, needs an approval: approval ${outcome.approval.id} was requested, and the run does not wait for it`;
        return await this.#settle(stored, index, { code: 'StepRefused', message }, true);
      }
      return 'again';
    } catch (error) {
      // Another advance created it first (the conditional create refused a second one).
      if ((await this.#deps.records.get(actionId)) !== null) return 'again';
      if (error instanceof ConditionalCheckFailedException) return 'again';
      if (origin !== undefined && error instanceof ConflictError && (await this.#undoClaimedBy(origin.actionId, actionId))) {
        // Another advance claimed the undo with this id and is creating it now.
        return { next: 'wait', waitSeconds: this.#waitSeconds, status: run.status };
      }
      if (error instanceof InvalidInputError || error instanceof ConflictError || error instanceof NotFoundError || error instanceof ForbiddenError) {
        return this.#settle(stored, index, { code: 'StepRefused', message: error.message }, true);
      }
      throw error;
    }
  }

  async #undoClaimedBy(originalId: string, actionId: string): Promise<boolean> {
    const original = await this.#deps.records.get(originalId);
    return original?.undo.actionId === actionId;
  }

  /** What step `index` asks for now, or why it is skipped or refused before any action. */
  async #request(
    stored: StoredRun,
    index: number,
  ): Promise<
    | { kind: 'run'; request: OnBehalfRequest; origin?: OnBehalfOptions['origin']; approved: boolean }
    | { kind: 'skip'; reason: string }
    | { kind: 'refused'; error: ActionError }
  > {
    const { run } = stored;
    const plan = stored.plan[index];
    if (plan === undefined) throw new Error(`playbook run ${run.id} has no plan for step ${String(index)}`);
    const described = describeStep(plan);
    const reason = run.reason ?? `playbook ${run.playbook} run ${run.id}, step ${described.id}`;
    if (plan.kind === 'undo') {
      const original = await this.#deps.records.get(plan.undoOf);
      if (original === null) return { kind: 'refused', error: { code: 'StepRefused', message: `the action ${plan.undoOf} to undo does not exist` } };
      try {
        return {
          kind: 'run',
          request: { type: plan.type, inputs: { ...undoInputsFor(plan.type, original) }, reason },
          origin: { kind: 'undo', actionId: original.id },
          // The undo run's gate (or its approval) saw every action it undoes.
          approved: true,
        };
      } catch (error) {
        if (error instanceof ConflictError) return { kind: 'refused', error: { code: 'StepRefused', message: error.message } };
        throw error;
      }
    }
    const resolved = resolveStep(plan.definition, run.inputs, await this.#earlier(stored, index), { dryRun: false });
    if (resolved.kind === 'skip') return resolved;
    if (resolved.kind === 'unresolved') return { kind: 'refused', error: { code: 'StepInputsUnresolved', message: resolved.reason } };
    const validation = validateActionRequest({ type: plan.definition.type, inputs: resolved.inputs }, { now: this.#deps.clock.now() });
    if (!validation.ok) {
      const problems = validation.errors.map((error) => `${error.path}: ${error.message}`).join('; ');
      return { kind: 'refused', error: { code: 'StepInputsRefused', message: `the catalogue refused the step's inputs: ${problems}` } };
    }
    return { kind: 'run', request: { type: plan.definition.type, inputs: resolved.inputs, reason }, approved: seenAtStart(plan.definition, run.inputs) };
  }

  /** The steps before `index` as input resolution sees them: their status and their action's result. */
  async #earlier(stored: StoredRun, index: number): Promise<Map<string, EarlierStep>> {
    const steps = stored.run.steps.slice(0, index);
    const actions = await Promise.all(steps.map(async (step) => (step.actionId === null ? null : this.#deps.records.get(step.actionId))));
    return new Map(
      steps.map((step, position): [string, EarlierStep] => {
        const action: ActionRecord | null = actions[position] ?? null;
        return [step.id, { status: step.status, result: action?.result ?? null }];
      }),
    );
  }

  /** Ends the run in Error with `error` and these step changes in one write; null when another writer moved it first. */
  async #end(stored: StoredRun, error: ActionError, steps: readonly StepChange[]): Promise<StoredRun | null> {
    const { run } = stored;
    if (run.status !== 'Created' && run.status !== 'Running') return null;
    return this.#deps.store.moveStatus(run, run.status, 'Error', { at: this.#deps.clock.now().toISOString(), error, steps });
  }
}

/**
 * Whether the run's inputs alone decided the step, so the run's APPROVAL_REQUIRED gate (and any
 * approver) saw its target (resourcesAtStart). A step fed by an earlier step's result names a target
 * nobody checked: its action meets the gate on its own.
 */
function seenAtStart(definition: PlaybookStepDefinition, inputs: StoredRun['run']['inputs']): boolean {
  const nothingRan = new Map<string, EarlierStep>();
  return resolveStep(definition, inputs, nothingRan, { dryRun: true }).kind === 'run';
}

function done(status: RunStatus): PlaybookStepResult {
  return { next: 'done', waitSeconds: 0, status };
}
