import { describe, expect, it } from 'vitest';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { undoTargets } from '#shared/playbooks/run-answers.ts';
import type { StoredRun } from '#shared/playbooks/types.ts';
import { at, playbookOf, runId, runOf, step } from './run-fixtures.ts';

// Which actions undoing a run reverses: only its own steps' Completed containment actions.
const definition = playbookOf([step('logs', 'get-logs', 'evidence'), step('pause', 'pause-container', 'preserving')]);

function finishedRun(): StoredRun {
  const run = runOf(definition, (each, index) => ({ ...each, status: 'Completed', actionId: `0000000${String(index)}-0000-4000-8000-000000000000` }));
  return { ...run, run: { ...run.run, status: 'Completed' } };
}

function pause(playbookRunId: string | null): ActionRecord {
  const record = createdRecord(
    {
      id: '00000001-0000-4000-8000-000000000000',
      type: 'pause-container',
      category: 'containment',
      executor: 'host',
      inputs: { 'host.id': 'node-7', 'container.id': 'c0ffee' },
      resources: [{ key: 'host/node-7/container/c0ffee', kind: 'container' }],
      createdBy: 'alice',
      undoType: 'unpause-container',
      playbookRunId,
    },
    at,
  );
  return { ...record, status: 'Completed', undo: { available: true, type: 'unpause-container', actionId: null } };
}

describe('undo targets', () => {
  it("takes the run's own Completed containment action with an undo", () => {
    // Act
    const targets = undoTargets(finishedRun(), [null, pause(runId)]);

    // Assess
    expect(targets.map((target) => [target.stepId, target.undoType])).toEqual([['pause', 'unpause-container']]);
  });

  it('never takes an action the run did not create, whatever id its step holds', () => {
    // Act
    const foreign = undoTargets(finishedRun(), [null, pause(null)]);
    const anotherRuns = undoTargets(finishedRun(), [null, pause('9b1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b5c')]);

    // Assess
    expect(foreign).toEqual([]);
    expect(anotherRuns).toEqual([]);
  });
});
