import { describe, expect, it } from 'vitest';
import { executionFailure, skipRemaining, unsecuredEvidence } from '#shared/playbooks/run-steps.ts';
import type { PlaybookRunStep, StoredRun } from '#shared/playbooks/types.ts';
import { playbookOf, runOf, step } from './run-fixtures.ts';

// The engine's store-free rules: the evidence-first check, what stopping a run skips, and how a
// failed execution is recorded.
const definition = playbookOf([
  step('logs', 'get-logs', 'evidence'),
  step('file', 'acquire-file', 'evidence'),
  step('pause', 'pause-container', 'preserving'),
  step('kill', 'kill-container', 'destructive'),
]);

function runWith(statuses: readonly PlaybookRunStep['status'][], actionIds: readonly (string | null)[] = []): StoredRun {
  return runOf(definition, (each, index) => ({ ...each, status: statuses[index] ?? 'Pending', actionId: actionIds[index] ?? null }));
}

describe('evidence first', () => {
  it('lets the destructive step start when every evidence step before it Completed or was skipped by its condition', () => {
    // Act
    const unsecured = unsecuredEvidence(runWith(['Completed', 'Skipped', 'Error', 'Pending']), 3);

    // Assess: a failed preserving step is no evidence step
    expect(unsecured).toEqual([]);
  });

  it('names each evidence step in Error (even one that continued on error) or not finished', () => {
    // Act
    const unsecured = unsecuredEvidence(runWith(['Error', 'Running', 'Completed', 'Pending']), 3);

    // Assess
    expect(unsecured.map((each) => [each.id, each.status])).toEqual([
      ['logs', 'Error'],
      ['file', 'Running'],
    ]);
  });
});

describe('stopping a run', () => {
  it('skips every step from the given one on that has no action and is not settled, with the reason', () => {
    // Act
    const changes = skipRemaining(runWith(['Completed', 'Pending', 'Pending', 'Pending'], [null, 'claimed', null, null]).run, 1, 'stopped');

    // Assess: a step whose action id is claimed is left to its action
    expect(changes).toEqual([
      { index: 2, stepId: 'pause', status: 'Skipped', skipReason: 'stopped' },
      { index: 3, stepId: 'kill', status: 'Skipped', skipReason: 'stopped' },
    ]);
  });
});

describe('a failed execution', () => {
  it("keeps the error name and a Lambda error's message, never its trace", () => {
    // Act
    const failure = executionFailure({
      Error: 'Lambda.Unknown',
      Cause: JSON.stringify({ errorType: 'Error', errorMessage: 'throttled', trace: ['at x (/var/task/a.js:1:1)'] }),
    });

    // Assess
    expect(failure).toEqual({ code: 'ExecutionFailed', message: "the run's execution failed (Lambda.Unknown): throttled" });
  });

  it('keeps only the first line of a cause that is not JSON, and bounds both parts', () => {
    // Act
    const failure = executionFailure({ Error: `States.${'E'.repeat(500)}`, Cause: `${'c'.repeat(2000)}\n    at secret (/var/task/x.js)` });

    // Assess
    expect(failure.message).not.toMatch(/secret|\/var\/task/);
    expect(failure.message.length).toBeLessThan(540);
    expect(failure.message).toMatch(/…\): c+…$/);
  });

  it('records an unknown error when the event carries none, or carries values that are not text', () => {
    // Act
    const empty = executionFailure({});
    const hostile = executionFailure({ Error: { toString: 'x' }, Cause: ['a'] });

    // Assess
    expect(empty).toEqual({ code: 'ExecutionFailed', message: "the run's execution failed (States.Unknown)" });
    expect(hostile).toEqual(empty);
  });

  it('turns control characters into spaces, so a cause cannot forge a line of the record or a log', () => {
    // Act
    const failure = executionFailure({ Error: 'E\u0000rr', Cause: JSON.stringify({ errorMessage: 'a\r\nFORGED\u2028line' }) });

    // Assess
    expect(failure.message).toBe("the run's execution failed (E rr): a FORGED line");
  });
});
