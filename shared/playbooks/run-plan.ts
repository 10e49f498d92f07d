import { InvalidInputError } from '#shared/errors.ts';
import type { JsonValue } from '#shared/json.ts';
import type { Planner } from '#shared/plans/types.ts';
import { resolveStep } from './definitions/index.ts';
import type { EarlierStep, PlaybookDefinition, PlaybookPlan } from './types.ts';

/**
 * A dry run of a playbook (`?dryRun=true`, and what an approval shows): every step's plan through
 * the Planner, as the service itself (the caller's scope was checked before). Nothing runs, so no
 * earlier step has a result: a step needing one, or skipped by its conditions, says so instead.
 */
export async function planSteps(
  planner: Planner,
  playbook: PlaybookDefinition,
  inputs: Readonly<Record<string, JsonValue>>,
  reason: string | null,
): Promise<PlaybookPlan['steps']> {
  const earlier = new Map<string, EarlierStep>(playbook.steps.map((step) => [step.id, { status: 'Pending', result: null }]));
  const steps: PlaybookPlan['steps'][number][] = [];
  for (const step of playbook.steps) {
    const base = { id: step.id, type: step.type, phase: step.phase };
    const resolved = resolveStep(step, inputs, earlier, { dryRun: true });
    if (resolved.kind === 'skip') {
      steps.push({ ...base, plan: null, note: `skipped: ${resolved.reason}` });
      continue;
    }
    if (resolved.kind === 'unresolved') {
      steps.push({ ...base, plan: null, note: resolved.reason });
      continue;
    }
    try {
      const plan = await planner.plan(null, { type: step.type, inputs: resolved.inputs, reason });
      steps.push({ ...base, plan, note: null });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      steps.push({ ...base, plan: null, note: `the catalogue would refuse the step's inputs: ${error.message}` });
    }
  }
  return steps;
}
