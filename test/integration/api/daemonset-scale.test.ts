/**
 * scale-workload on a DaemonSet through the HTTP API (real routes, JWT verification and history on
 * dynalite): only to zero, which a DaemonSet can be scaled to; any other count is a 400 naming the
 * field, with nothing recorded and nothing sent to a responder.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { CompletingStarter, startLocalApi, type LocalApi } from '#test/support/local-api.ts';

const exec = ['containment-response-actions.exec', 'data-gathering-response-actions.exec'];
const daemonSet = { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.namespace.name': 'payments', 'kubernetes.workload.name': 'node-agent', 'kubernetes.workload.type': 'daemonset' };

let api: LocalApi;
let starter: CompletingStarter;

async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  return fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await api.token(exec)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeEach(async () => {
  api = await startLocalApi({
    clock: new FixedClock('2026-11-20T10:00:00.000Z'),
    starters: (repository) => {
      starter = new CompletingStarter(repository, () => ({ nodeSelector: { from: null, to: { 'node-restriction.kubernetes.io/response-actions-scaled-to-zero': 'x' } } }));
      return { kubernetes: starter };
    },
  });
});
afterEach(async () => {
  await api.close();
});

describe('POST /v1/actions scale-workload on a daemonset', () => {
  it.each([1, 3, 10_000])('answers replicas %i with 400 problem+json naming kubernetes.workload.replicas, and writes nothing', async (replicas) => {
    // Act
    const response = await call('POST', '/v1/actions', { type: 'scale-workload', inputs: { ...daemonSet, 'kubernetes.workload.replicas': replicas } });
    const problem = (await response.json()) as { status: number; errors?: { path: string; message: string }[] };
    const listed = (await (await call('GET', '/v1/actions?limit=100')).json()) as { items: ActionRecord[] };

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(problem.errors).toEqual([
      {
        path: 'inputs.kubernetes.workload.replicas',
        message: 'must be 0 (or absent) for a daemonset: a DaemonSet has no replica count, so it can only be scaled to zero (a node selector no node matches)',
      },
    ]);
    expect(listed.items).toEqual([]);
    expect(starter.started).toEqual([]);
  });

  it('accepts a daemonset scaled to zero, by default or explicitly, under the daemonset resource key', async () => {
    // Act
    const byDefault = await call('POST', '/v1/actions', { type: 'scale-workload', inputs: daemonSet });
    const explicit = await call('POST', '/v1/actions', { type: 'scale-workload', inputs: { ...daemonSet, 'kubernetes.workload.replicas': 0 } });

    // Assess
    expect([byDefault.status, explicit.status]).toEqual([202, 202]);
    const record = (await byDefault.json()) as ActionRecord;
    expect(record).toMatchObject({
      type: 'scale-workload',
      executor: 'kubernetes',
      inputs: { ...daemonSet, 'kubernetes.workload.replicas': 0 },
      resource: { key: 'k8s/prod-eu/payments/daemonset/node-agent', kind: 'k8s.daemonset' },
      undo: { available: true, type: 'restore-workload-scale' },
    });
    expect(starter.started).toHaveLength(2);
  });
});
