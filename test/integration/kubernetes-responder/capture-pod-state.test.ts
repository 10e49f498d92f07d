import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { execute, executeFailing } from './support/harness.ts';
import { clusterName, deployment, forbidden, namespace, notFound, objectMeta, ok, pod, replicaSet } from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';

useTestApiServer();

const podName = 'web-7d9f8c6b5-x8k2p';
const podPath = `/api/v1/namespaces/${namespace}/pods/${podName}`;
const eventsPath = `/api/v1/namespaces/${namespace}/events`;
const inputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace, 'kubernetes.pod.name': podName };
const fieldSelector = `involvedObject.kind=Pod,involvedObject.name=${podName},involvedObject.namespace=${namespace},involvedObject.uid=uid-${podName}`;

const suspiciousPod = pod(podName, {
  spec: {
    containers: [
      {
        name: 'web',
        image: 'registry.example.com/shop/web:1.4.2',
        env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'shop-db', key: 'password' } } }],
        envFrom: [{ secretRef: { name: 'shop-api-keys' } }],
        volumeMounts: [
          { name: 'tls', mountPath: '/etc/tls', readOnly: true },
          { name: 'host-root', mountPath: '/host' },
          { name: 'kube-api-access-5xq9k', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
        ],
        securityContext: { privileged: true },
      },
    ],
    volumes: [
      { name: 'tls', secret: { secretName: 'shop-tls', defaultMode: 420 } },
      { name: 'host-root', hostPath: { path: '/', type: 'Directory' } },
      // The same claim twice (read-write and read-only): the result names it once.
      { name: 'data', persistentVolumeClaim: { claimName: 'shop-data' } },
      { name: 'data-ro', persistentVolumeClaim: { claimName: 'shop-data', readOnly: true } },
      {
        name: 'kube-api-access-5xq9k',
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
    ],
    imagePullSecrets: [{ name: 'registry-creds' }],
    // A field newer than the client's models: evidence keeps it.
    hostnameOverride: 'web-internal',
  },
  status: {
    containerStatuses: [
      {
        name: 'web',
        image: 'registry.example.com/shop/web:1.4.2',
        imageID: 'registry.example.com/shop/web@sha256:4f1c0ad2e7b94b1e8b2f36c1d9b0c7a5e3f2d1c0b9a8f7e6d5c4b3a2f1e0d9c8',
        containerID: 'containerd://9a8b7c6d5e4f',
        restartCount: 2,
        ready: true,
        started: true,
        state: { running: { startedAt: '2026-03-01T11:40:00Z' } },
      },
    ],
  },
});

function event(name: string, reason: string, message: string): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: objectMeta(name, { generation: undefined }),
    involvedObject: { kind: 'Pod', namespace, name: podName, uid: `uid-${podName}`, apiVersion: 'v1', resourceVersion: '48213', fieldPath: 'spec.containers{web}' },
    reason,
    message,
    source: { component: 'kubelet', host: 'ip-10-0-12-34.eu-west-1.compute.internal' },
    firstTimestamp: '2026-03-01T11:39:58Z',
    lastTimestamp: '2026-03-01T11:39:58Z',
    count: 1,
    type: reason === 'BackOff' ? 'Warning' : 'Normal',
  };
}

describe('capture-pod-state', () => {
  it('writes one JSON evidence object: the pod as served, its events (every page), volumes, secret names, owner chain and node', async () => {
    // Prepare
    const firstPage = [event('web-1.18a', 'Pulled', 'Container image already present on machine'), event('web-1.18b', 'Started', 'Started container web')];
    const secondPage = [event('web-1.18c', 'BackOff', 'Back-off restarting failed container web')];
    server.expect(
      { method: 'GET', path: podPath, reply: ok(suspiciousPod) },
      { method: 'GET', path: eventsPath, query: { fieldSelector, limit: '500' }, reply: ok({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: '50200', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ' }, items: firstPage }) },
      { method: 'GET', path: eventsPath, query: { fieldSelector, limit: '500', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ' }, reply: ok({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: '50200' }, items: secondPage }) },
      { method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/replicasets/web-7d9f8c6b5`, reply: ok(replicaSet('web-7d9f8c6b5', { kind: 'Deployment', name: 'web' })) },
      { method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/deployments/web`, reply: ok(deployment('web')) },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'capture-pod-state', inputs });

    // Assess
    server.assertDone();
    expect(run.uploads.map((upload) => [upload.name, upload.contentType])).toEqual([['pod-state.json', 'application/json']]);
    const [upload] = run.uploads;
    if (upload === undefined) throw new Error('no evidence uploaded');
    const state = JSON.parse(Buffer.from(upload.body).toString('utf8')) as Record<string, unknown>;
    const ownerChain = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: 'uid-web-7d9f8c6b5', state: 'read' },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', state: 'read' },
    ];
    const secretsReferenced = [
      { name: 'shop-tls', via: ['volume tls'] },
      { name: 'shop-db', via: ['env web/DB_PASSWORD'] },
      { name: 'shop-api-keys', via: ['envFrom web'] },
      { name: 'registry-creds', via: ['imagePullSecrets'] },
    ];
    expect(state).toEqual({
      capturedAt: '2026-03-01T12:00:00.000Z',
      cluster: clusterName,
      namespace,
      // Exactly as the API server served it, fields the client's models do not know included.
      pod: suspiciousPod,
      events: [...firstPage, ...secondPage],
      ownerChain,
      node: { name: 'ip-10-0-12-34.eu-west-1.compute.internal', hostIP: '10.0.12.34', podIPs: ['10.244.3.17'] },
      serviceAccountName: 'web',
      volumes: [
        { name: 'tls', type: 'secret', secretName: 'shop-tls' },
        { name: 'host-root', type: 'hostPath', path: '/', hostPathType: 'Directory' },
        { name: 'data', type: 'persistentVolumeClaim', claimName: 'shop-data', readOnly: false },
        { name: 'data-ro', type: 'persistentVolumeClaim', claimName: 'shop-data', readOnly: true },
        {
          name: 'kube-api-access-5xq9k',
          type: 'projected',
          sources: [{ serviceAccountToken: { audience: null, path: 'token' } }, { configMap: 'kube-root-ca.crt' }, { downwardAPI: true }],
        },
      ],
      containers: [
        {
          name: 'web',
          kind: 'app',
          image: 'registry.example.com/shop/web:1.4.2',
          imageID: 'registry.example.com/shop/web@sha256:4f1c0ad2e7b94b1e8b2f36c1d9b0c7a5e3f2d1c0b9a8f7e6d5c4b3a2f1e0d9c8',
          containerID: 'containerd://9a8b7c6d5e4f',
          restartCount: 2,
          privileged: true,
          volumeMounts: [
            { name: 'tls', mountPath: '/etc/tls', readOnly: true, subPath: null },
            { name: 'host-root', mountPath: '/host', readOnly: false, subPath: null },
            { name: 'kube-api-access-5xq9k', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true, subPath: null },
          ],
        },
      ],
      secretsReferenced,
    });
    expect(outcome).toEqual({
      result: {
        evidence: { name: 'pod-state.json', sha256: createHash('sha256').update(upload.body).digest('hex'), size: upload.body.byteLength },
        pod: { name: podName, namespace, uid: `uid-${podName}`, phase: 'Running', nodeName: 'ip-10-0-12-34.eu-west-1.compute.internal' },
        events: 3,
        ownerChain,
        secretsReferenced,
        persistentVolumeClaims: ['shop-data'],
      },
    });
  });

  it('maps a missing pod to TargetNotFound and a refused event list to AccessDenied', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: podPath, reply: notFound('pods', podName) },
      { method: 'GET', path: podPath, reply: ok(suspiciousPod) },
      { method: 'GET', path: eventsPath, query: { fieldSelector, limit: '500' }, reply: forbidden('list', 'events', '', namespace) },
    );

    // Act
    const missing = await executeFailing(h, { type: 'capture-pod-state', inputs });
    const refused = await executeFailing(h, { type: 'capture-pod-state', inputs });

    // Assess
    server.assertDone();
    expect(missing.error.code).toBe('TargetNotFound');
    expect(refused.error.code).toBe('AccessDenied');
    expect(refused.error.message).toContain('may not list events (the core API group) in namespace shop: grant "list" on "events" in the core group ("")');
    expect(refused.run.uploads).toEqual([]);
  });
});
