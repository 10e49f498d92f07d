import { newRun } from '#shared/playbooks/run-answers.ts';
import type { PlaybookDefinition, PlaybookRunStep, PlaybookStepDefinition, StoredRun } from '#shared/playbooks/types.ts';

// Store-free run fixtures for the engine's unit tests; the integration tests take theirs from the
// catalogue (test/integration/playbooks/run-fixtures.ts).

export const runId = '7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b5c';
export const at = new Date('2026-11-20T10:00:00.000Z');

/** A step of the given effect; its phase follows from the effect as the loader's does. */
export function step(id: string, type: string, effect: PlaybookStepDefinition['effect']): PlaybookStepDefinition {
  return { id, type, effect, phase: effect === 'evidence' ? 'evidence' : 'containment', inputs: {}, when: [], continueOnError: false };
}

/** A custom playbook `p` with no inputs, running `steps`. */
export function playbookOf(steps: readonly PlaybookStepDefinition[]): PlaybookDefinition {
  return { name: 'p', title: 'p', description: 'p', source: 'custom', inputs: [], steps };
}

/** A run of `playbook` as started by alice, each step changed by `change`. */
export function runOf(playbook: PlaybookDefinition, change: (step: PlaybookRunStep, index: number) => PlaybookRunStep): StoredRun {
  const fresh = newRun({ id: runId, playbook, inputs: {}, reason: null, createdBy: 'alice', trigger: null, categories: ['containment', 'data-gathering'], now: at, deadlineSeconds: 60 });
  return { ...fresh, run: { ...fresh.run, steps: fresh.run.steps.map(change) } };
}
