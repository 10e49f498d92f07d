/**
 * The evidence-first table (issue 13): every destructive type names the evidence types that
 * preserve what it destroys, except the undo types that delete evidence themselves.
 */
import { describe, expect, it } from 'vitest';
import { evidenceDeletingTypes, evidenceFirst, evidenceTypesBefore } from '#shared/catalogue/evidence-first.ts';
import { actionTypes, findActionType } from '#shared/catalogue/index.ts';

const destructive = actionTypes.filter((definition) => definition.effect === 'destructive').map((definition) => definition.type);

describe('the evidence-first table', () => {
  it.each(destructive)('names evidence types for destructive %s, unless it deletes evidence itself', (type) => {
    // Assess
    if (evidenceDeletingTypes.includes(type)) expect(evidenceTypesBefore(type)).toEqual([]);
    else expect(evidenceTypesBefore(type).length).toBeGreaterThan(0);
  });

  it('has entries only for destructive types, and leaves out the types that delete evidence', () => {
    // Assess
    for (const type of Object.keys(evidenceFirst)) expect(findActionType(type)?.effect, type).toBe('destructive');
    for (const type of evidenceDeletingTypes) {
      expect(findActionType(type)?.effect, type).toBe('destructive');
      expect(Object.keys(evidenceFirst)).not.toContain(type);
    }
  });

  it('names only evidence types of the catalogue', () => {
    // Assess
    for (const [type, evidence] of Object.entries(evidenceFirst)) {
      for (const name of evidence) expect(findActionType(name)?.effect, `${type} → ${name}`).toBe('evidence');
    }
  });

  it.each([
    ['kill-process', ['capture-process-state', 'get-logs']],
    ['kill-container', ['get-logs', 'capture-process-state', 'acquire-file']],
    ['stop-container', ['get-logs', 'capture-process-state', 'acquire-file']],
    ['delete-pod', ['capture-pod-state', 'get-logs', 'kubernetes-volume-snapshot']],
    ['scale-workload', ['capture-pod-state', 'get-logs', 'kubernetes-volume-snapshot']],
    ['rollout-restart', ['capture-pod-state', 'get-logs', 'kubernetes-volume-snapshot']],
    ['restore-workload-scale', ['capture-pod-state', 'get-logs', 'kubernetes-volume-snapshot']],
  ])('has %s preserved by %j', (type, evidence) => {
    // Assess
    expect(evidenceTypesBefore(type)).toEqual(evidence);
  });

  it.each(['get-logs', 'iam-quarantine', 'pause-container', 'kubernetes-delete-volume-snapshot', 'toString', 'no-such-type'])(
    'asks no evidence before %s',
    (type) => {
      // Assess
      expect(evidenceTypesBefore(type)).toEqual([]);
    },
  );
});
