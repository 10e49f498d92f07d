import { describe, expect, it } from 'vitest';
import { createdRecord, undoAvailable } from '#shared/history/record.ts';

const base = {
  id: 'a1',
  type: 'iam-quarantine',
  category: 'containment' as const,
  executor: 'cloud' as const,
  inputs: { 'aws.resource.arn': 'arn:aws:iam::111122223333:user/alice' },
  resources: [{ key: 'arn:aws:iam::111122223333:user/alice', kind: 'aws.iam.user' }],
  createdBy: 'analyst-1',
  undoType: 'iam-unquarantine',
};

describe('action record', () => {
  it('starts Created with one history entry and nothing done', () => {
    // Act
    const record = createdRecord(base, new Date('2026-11-20T10:00:00Z'));

    // Assess
    expect(record).toMatchObject({
      status: 'Created',
      statusHistory: [{ status: 'Created', at: '2026-11-20T10:00:00.000Z' }],
      resource: base.resources[0],
      reason: null,
      error: null,
      prior: null,
      applied: null,
      result: null,
      undo: { available: false, type: 'iam-unquarantine', actionId: null },
      undoOf: null,
      reexecuteOf: null,
    });
  });

  it('refuses a record without a resource', () => {
    expect(() => createdRecord({ ...base, resources: [] }, new Date())).toThrow(TypeError);
  });

  it('offers undo when Completed or in Error having changed something, and only once', () => {
    const undo = { available: false, type: 'iam-unquarantine', actionId: null };
    expect(undoAvailable({ status: 'Completed', applied: { changes: ['x'] }, undo })).toBe(true);
    expect(undoAvailable({ status: 'Completed', applied: { changes: [] }, undo })).toBe(false);
    expect(undoAvailable({ status: 'Completed', applied: null, undo })).toBe(false);
    expect(undoAvailable({ status: 'Running', applied: { changes: ['x'] }, undo })).toBe(false);
    expect(undoAvailable({ status: 'Error', applied: null, undo })).toBe(false);
    expect(undoAvailable({ status: 'Error', applied: { changes: [] }, undo })).toBe(false);
    expect(undoAvailable({ status: 'Error', applied: { changes: ['x'] }, undo })).toBe(true);
    expect(undoAvailable({ status: 'Completed', applied: { changes: ['x'] }, undo: { ...undo, actionId: 'u1' } })).toBe(false);
    expect(undoAvailable({ status: 'Completed', applied: { changes: ['x'] }, undo: { ...undo, type: null } })).toBe(false);
  });
});
