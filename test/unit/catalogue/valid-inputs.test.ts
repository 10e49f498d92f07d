import { describe, expect, it } from 'vitest';
import { actionTypes, findActionType, inputNamesOf } from '#shared/catalogue/index.ts';
import { expectValid, validate } from './expectations.ts';
import { validCases } from './valid-cases.ts';

describe('valid inputs', () => {
  it('covers every action type of the catalogue', () => {
    // Prepare
    const covered = new Set(validCases.map((item) => item.type));

    // Act
    const missing = actionTypes.filter((definition) => !covered.has(definition.type)).map((definition) => definition.type);

    // Assess
    expect(missing).toEqual([]);
  });

  it.each(validCases.map((item) => [item.type, item.name, item] as const))('%s: %s', (type, _name, item) => {
    // Prepare
    const request = { type, inputs: item.inputs };

    // Act
    const result = expectValid(validate(request.type, request.inputs));

    // Assess
    expect(result.definition.type).toBe(type);
    expect(result.executor).toBe(item.executor);
    expect(result.definition.executors).toContain(result.executor);
    expect(result.resources).toEqual(item.resources);
    expect(result.inputs).toMatchObject(item.inputs);
  });

  it('fills in the default replica count of scale-workload', () => {
    // Prepare
    const inputs = {
      'kubernetes.cluster.name': 'prod-eu',
      'kubernetes.namespace.name': 'payments',
      'kubernetes.workload.name': 'api',
      'kubernetes.workload.type': 'deployment',
    };

    // Act
    const result = expectValid(validate('scale-workload', inputs));

    // Assess
    expect(result.inputs).toEqual({ ...inputs, 'kubernetes.workload.replicas': 0 });
  });

  it('gives an undo type the resource key of the action it undoes', () => {
    // Prepare
    const pairs = actionTypes.flatMap((definition) => (definition.undoType === null ? [] : [[definition.type, definition.undoType] as const]));
    // Names differ only where the undo names what the action created (a policy, snapshots).
    const sameInputs = pairs.filter(([, undoType]) => !['delete-network-policy', 'kubernetes-delete-volume-snapshot'].includes(undoType));

    // Act
    const mismatches = sameInputs.flatMap(([type, undoType]) =>
      validCases
        .filter((item) => item.type === type)
        .flatMap((item) => {
          const original = expectValid(validate(type, item.inputs));
          const undoDefinition = findActionType(undoType);
          const accepted = undoDefinition === undefined ? [] : inputNamesOf(undoDefinition);
          // The undo takes the original's inputs, less those that only say how to act (replicas).
          const undoInputs = Object.fromEntries(Object.entries(item.inputs).filter(([name]) => accepted.includes(name)));
          const undo = validate(undoType, undoInputs);
          return undo.ok && JSON.stringify(undo.resources) === JSON.stringify(original.resources) ? [] : [`${type} → ${undoType}: ${item.name}`];
        }),
    );

    // Assess
    expect(sameInputs).toHaveLength(12);
    expect(mismatches).toEqual([]);
  });

  it('accepts timestamps with offsets and fractions, and a window ending exactly now', () => {
    // Prepare
    const base = { 'aws.account.id': '123456789012', 'aws.region': 'eu-central-2', 'ct.user': 'svc-backup@example.com' };

    // Act
    const result = validate('fetch-cloud-logs', { ...base, fromTimestamp: '2026-11-20T01:00:00.5-05:30', toTimestamp: '2026-11-20T12:00:00.000000Z' });

    // Assess
    expectValid(result);
  });
});
