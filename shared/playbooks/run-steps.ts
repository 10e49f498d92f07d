/**
 * The run engine's rules that need no store: which steps are settled, what stopping a run writes,
 * the evidence-first check, and how a Step Functions failure is recorded.
 */
import type { ActionError } from '#shared/history/record.ts';
import type { StepChange } from './run-store.ts';
import type { PlaybookRun, PlaybookRunStep, PlaybookStepStatus, StoredRun, StoredStepPlan } from './types.ts';

/** A step the run is done with: it never changes again. */
export function isSettled(status: PlaybookStepStatus): boolean {
  return status === 'Skipped' || status === 'Completed' || status === 'Error';
}

/** The step's id, type and whether it is destructive, whichever kind of plan it has. */
export function describeStep(plan: StoredStepPlan): { id: string; type: string; destructive: boolean; evidence: boolean } {
  if (plan.kind === 'undo') return { id: plan.id, type: plan.type, destructive: false, evidence: false };
  const { definition } = plan;
  return { id: definition.id, type: definition.type, destructive: definition.effect === 'destructive', evidence: definition.phase === 'evidence' };
}

/**
 * The run-time rule (contracts): a destructive step starts only when every evidence step before it
 * Completed, or was Skipped because its conditions did not hold. The evidence steps that were not
 * secured, with what became of them; empty when the step may start.
 */
export function unsecuredEvidence(stored: StoredRun, index: number): PlaybookRunStep[] {
  return stored.run.steps.slice(0, index).filter((step, position) => {
    const plan = stored.plan[position];
    return plan !== undefined && describeStep(plan).evidence && step.status !== 'Completed' && step.status !== 'Skipped';
  });
}

/** Every step from `from` on that has not started (no action claimed, not settled) becomes Skipped with `reason`. */
export function skipRemaining(run: PlaybookRun, from: number, reason: string): StepChange[] {
  return run.steps.flatMap((step, index) =>
    index >= from && step.actionId === null && !isSettled(step.status)
      ? [{ index, stepId: step.id, status: 'Skipped' as const, skipReason: reason }]
      : [],
  );
}

const maxNameLength = 100;
const maxDetailLength = 400;

/**
 * What a failed execution leaves on the run: the Step Functions error name and, from its cause,
 * only a Lambda error's message (never the trace or a raw stack), without control characters and
 * bounded, so a long or hostile cause cannot bloat or forge the record.
 */
export function executionFailure(error: { readonly Error?: unknown; readonly Cause?: unknown }): ActionError {
  const name = typeof error.Error === 'string' && error.Error.trim() !== '' ? bounded(error.Error, maxNameLength) : 'States.Unknown';
  const detail = causeMessage(error.Cause);
  return {
    code: 'ExecutionFailed',
    message: `the run's execution failed (${name})${detail === '' ? '' : `: ${bounded(detail, maxDetailLength)}`}`,
  };
}

function causeMessage(cause: unknown): string {
  if (typeof cause !== 'string' || cause.trim() === '') return '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null) {
      const message = (parsed as Record<string, unknown>)['errorMessage'];
      return typeof message === 'string' ? message : '';
    }
  } catch {
    // Not JSON: a States.* cause is a sentence; its first line is kept.
  }
  return cause.split(/\r?\n/)[0] ?? '';
}

function bounded(text: string, length: number): string {
  const clean = text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').trim();
  return clean.length <= length ? clean : `${clean.slice(0, length - 1)}…`;
}
