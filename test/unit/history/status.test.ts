import { describe, expect, it } from 'vitest';
import { actionStatuses, allowedPredecessors, canTransition, isTerminal } from '#shared/history/status.ts';

describe('status rules', () => {
  it('allows exactly the transitions of API.md', () => {
    // Prepare
    const allowed = new Set(['Created>Enqueued', 'Enqueued>Running', 'Running>Completed', 'Created>Error', 'Enqueued>Error', 'Running>Error']);

    // Act
    const actual = actionStatuses.flatMap((from) =>
      actionStatuses.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`),
    );

    // Assess
    expect(new Set(actual)).toEqual(allowed);
  });

  it('never moves a terminal status', () => {
    for (const terminal of actionStatuses.filter(isTerminal)) {
      for (const to of actionStatuses) expect(canTransition(terminal, to)).toBe(false);
    }
    expect(actionStatuses.filter(isTerminal)).toEqual(['Completed', 'Error']);
    expect(allowedPredecessors('Created')).toEqual([]);
  });
});
