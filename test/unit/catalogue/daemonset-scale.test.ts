/** scale-workload and restore-workload-scale take a DaemonSet, which scales only to 0 (it has no replica count). */
import { describe, expect, it } from 'vitest';
import { describeCatalogue } from '#shared/catalogue/index.ts';
import { errorsOf, expectValid, validate } from './expectations.ts';

const daemonSet = { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.namespace.name': 'payments', 'kubernetes.workload.name': 'node-agent', 'kubernetes.workload.type': 'daemonset' };

describe('scale-workload on a daemonset', () => {
  it('defaults to 0 and accepts an explicit 0', () => {
    // Act
    const byDefault = expectValid(validate('scale-workload', daemonSet));
    const explicit = expectValid(validate('scale-workload', { ...daemonSet, 'kubernetes.workload.replicas': 0 }));

    // Assess
    expect(byDefault.inputs['kubernetes.workload.replicas']).toBe(0);
    expect(explicit.resources).toEqual([{ key: 'k8s/prod-eu/payments/daemonset/node-agent', kind: 'k8s.daemonset' }]);
  });

  it('names kubernetes.workload.replicas once, with its own error, when the count is not even a valid count', () => {
    // Act
    const errors = errorsOf(validate('scale-workload', { ...daemonSet, 'kubernetes.workload.replicas': -1 }));

    // Assess
    expect(errors).toEqual([{ path: 'inputs.kubernetes.workload.replicas', message: 'must be a whole number from 0 to 10000' }]);
  });

  it('publishes the rule in the JSON Schema: a daemonset takes only replicas 0', () => {
    // Act
    const inputs = describeCatalogue().find((entry) => entry.type === 'scale-workload')?.inputs;

    // Assess
    expect(inputs?.properties?.['kubernetes.workload.type']).toMatchObject({ enum: ['deployment', 'statefulset', 'daemonset', 'replicaset'] });
    expect(inputs?.if).toEqual({ properties: { 'kubernetes.workload.type': { const: 'daemonset' } }, required: ['kubernetes.workload.type'] });
    expect(inputs?.then).toEqual({ properties: { 'kubernetes.workload.replicas': { const: 0 } } });
  });
});
