/** Which evidence is about what a destructive action acts on (issue 13's NoEvidenceFirst). */
import { describe, expect, it } from 'vitest';
import type { HistoryQuery } from '#shared/history/reader.ts';
import { noEvidenceWarnings, relatedResource } from '#shared/use-cases/evidence-first.ts';

describe('relatedResource', () => {
  it.each([
    ['the same key', 'host/n1/container/c1', 'host/n1/container/c1'],
    ['a file inside the container', 'host/n1/container/c1', 'host/n1/container/c1/file//tmp/x'],
    ['a container on the host', 'host/n1', 'host/n1/container/c1'],
    ['the host above the container', 'host/n1/container/c1', 'host/n1'],
    ["a deployment's pod", 'k8s/prod/shop/deployment/web', 'k8s/prod/shop/pod/web-7d4b9c-x2x9z'],
    ["a statefulset's pod", 'k8s/prod/shop/statefulset/db', 'k8s/prod/shop/pod/db-0'],
    ['the same pod', 'k8s/prod/shop/pod/web-7d4b9c-x2x9z', 'k8s/prod/shop/pod/web-7d4b9c-x2x9z'],
  ])('counts %s', (_name, actionKey, evidenceKey) => {
    // Assess
    expect(relatedResource(actionKey, evidenceKey)).toBe(true);
  });

  it.each([
    ['a container whose id starts with the same characters', 'host/n1/container/c1', 'host/n1/container/c12'],
    ['a host whose id starts with the same characters', 'host/n1/container/c1', 'host/n'],
    ['another host', 'host/n1', 'host/n2/container/c1'],
    ['another container on the host', 'host/n1/container/c1', 'host/n1/container/c2'],
    ['a pod of another workload', 'k8s/prod/shop/deployment/web', 'k8s/prod/shop/pod/webhook-5f6d-abcde'],
    ['a pod in another namespace', 'k8s/prod/shop/deployment/web', 'k8s/prod/staging/pod/web-7d4b9c-x2x9z'],
    ['a pod in another cluster', 'k8s/prod/shop/deployment/web', 'k8s/dev/shop/pod/web-7d4b9c-x2x9z'],
    ['the workload, for a pod', 'k8s/prod/shop/pod/web-7d4b9c-x2x9z', 'k8s/prod/shop/deployment/web'],
    ['a PVC of the namespace', 'k8s/prod/shop/deployment/web', 'k8s/prod/shop/persistentvolumeclaim/web-data'],
    ['another pod, for a pod', 'k8s/prod/shop/pod/web-1', 'k8s/prod/shop/pod/web-1-x'],
  ])('does not count %s', (_name, actionKey, evidenceKey) => {
    // Assess
    expect(relatedResource(actionKey, evidenceKey)).toBe(false);
  });
});

describe('relatedResource on look-alike workload names', () => {
  // 54 characters: its ReplicaSet's name (`<name>-<hash>`) is cut to 58 for the pod's generated name.
  const longName = `web-${'x'.repeat(50)}`;

  it.each([
    ["a daemonset's pod", 'k8s/prod/shop/daemonset/agent', 'k8s/prod/shop/pod/agent-x2x9z'],
    ["a replicaset's pod", 'k8s/prod/shop/replicaset/web-7d4b9c', 'k8s/prod/shop/pod/web-7d4b9c-x2x9z'],
    ["a statefulset's tenth pod", 'k8s/prod/shop/statefulset/db', 'k8s/prod/shop/pod/db-10'],
    ["a long-named deployment's pod whose hash the 63-character limit cut", `k8s/prod/shop/deployment/${longName}`, `k8s/prod/shop/pod/${`${longName}-7d4bc`.slice(0, 58)}x2x9z`],
  ])('counts %s', (_name, actionKey, evidenceKey) => {
    // Assess
    expect(relatedResource(actionKey, evidenceKey)).toBe(true);
  });

  it.each([
    ['a pod of the deployment web-api, for web', 'k8s/prod/shop/deployment/web', 'k8s/prod/shop/pod/web-api-7d4b9c-x2x9z'],
    ['a pod of the daemonset web-api, for the deployment web', 'k8s/prod/shop/deployment/web', 'k8s/prod/shop/pod/web-api-x2x9z'],
    ['a pod of the daemonset agent-api, for the daemonset agent', 'k8s/prod/shop/daemonset/agent', 'k8s/prod/shop/pod/agent-api-x2x9z'],
    ['a pod of the statefulset db-2, for db', 'k8s/prod/shop/statefulset/db', 'k8s/prod/shop/pod/db-2-0'],
    ['a pod named like a statefulset ordinal, for a deployment', 'k8s/prod/shop/deployment/db', 'k8s/prod/shop/pod/db-0'],
    ['a hand-named pod beginning with the name, for a statefulset', 'k8s/prod/shop/statefulset/db', 'k8s/prod/shop/pod/db-debug'],
  ])('does not count %s', (_name, actionKey, evidenceKey) => {
    // Assess
    expect(relatedResource(actionKey, evidenceKey)).toBe(false);
  });
});

describe('the evidence-first lookup’s reads', () => {
  it('asks each key and each evidence type once, however many resources share a host', async () => {
    // Prepare
    const asked: string[] = [];
    const history = {
      list: (query: HistoryQuery) => {
        asked.push(query.resource ?? `type ${query.type ?? ''}`);
        return Promise.resolve({ items: [], nextCursor: null });
      },
    };
    const resources = [
      { key: 'host/n1/container/c1', kind: 'container' },
      { key: 'host/n1/container/c1/file//tmp/x', kind: 'file' },
      { key: 'host/n1/container/c2', kind: 'container' },
    ];

    // Act
    const warnings = await noEvidenceWarnings(history, { type: 'kill-container', resources, now: new Date('2026-11-20T10:00:00Z') });

    // Assess
    expect(warnings.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
    expect(asked.toSorted()).toEqual(
      ['host/n1', 'host/n1/container/c1', 'host/n1/container/c1/file//tmp/x', 'host/n1/container/c2', 'type acquire-file', 'type capture-process-state', 'type get-logs'].toSorted(),
    );
  });
});
