/**
 * The test API server's own checks (support/api-conformance.ts): requests kube-apiserver would
 * refuse are refused the same way, and answers it would never give are caught, so a test of the
 * responder cannot pass on either. Driven with plain fetch, as a client that is not the responder.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployment, namespace, node, nodeName, notFound, objectMeta, ok, pod } from './support/kubernetes-objects.ts';
import { ManifestRbac, responderServiceAccount } from './support/manifest-rbac.ts';
import type { ExpectedRequest } from './support/test-api-server.ts';
import { TestApiServer, testToken } from './support/test-api-server.ts';
import { mergePatch } from './support/validate.ts';

let server: TestApiServer;

// RBAC is not what these tests are about: the responder's ServiceAccount may do anything here.
const everything = new ManifestRbac([
  { file: 'all.yaml', object: { kind: 'ClusterRole', metadata: { name: 'all' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] } },
  {
    file: 'all.yaml',
    object: { kind: 'ClusterRoleBinding', metadata: { name: 'all' }, roleRef: { kind: 'ClusterRole', name: 'all' }, subjects: [{ kind: 'ServiceAccount', ...responderServiceAccount }] },
  },
]);

beforeAll(async () => {
  server = await TestApiServer.start(everything);
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
});

const podPath = `/api/v1/namespaces/${namespace}/pods/web-1`;
const nodePath = `/api/v1/nodes/${nodeName}`;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${testToken}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Sends one request the test expects exactly; returns the answer and the conformance problems it raised. */
async function exchange(expected: ExpectedRequest, contentType?: string): Promise<{ status: number; json: Record<string, unknown>; problems: string[] }> {
  server.expect(expected);
  const answer = await call(expected.method, expected.path + (expected.query === undefined ? '' : `?${new URLSearchParams(expected.query).toString()}`), expected.body, contentType ?? expected.contentType);
  return { ...answer, problems: server.takeConformanceProblems() };
}

describe('answers a test gives must be ones kube-apiserver gives', () => {
  it('accepts realistic objects: a pod, a node, a NotFound Status', async () => {
    expect((await exchange({ method: 'GET', path: podPath, reply: ok(pod('web-1')) })).problems).toEqual([]);
    expect((await exchange({ method: 'GET', path: nodePath, reply: ok(node()) })).problems).toEqual([]);
    expect((await exchange({ method: 'GET', path: podPath, reply: notFound('pods', 'web-1') })).problems).toEqual([]);
  });

  it('catches a field the Kubernetes API does not have (lost in client-node’s round trip)', async () => {
    const misspelled = pod('web-1', { spec: { nodename: 'ip-10-0-12-34' } });

    const { problems } = await exchange({ method: 'GET', path: podPath, reply: ok(misspelled) });

    expect(problems).toEqual([expect.stringContaining('V1Pod has no field spec.nodename')]);
  });

  it('catches an object kubernetes-models refuses, and one of another kind than the path serves', async () => {
    const noContainers = { ...pod('web-1'), spec: { nodeName: 'n1' } };

    expect((await exchange({ method: 'GET', path: podPath, reply: ok(noContainers) })).problems).toEqual([
      expect.stringContaining("Pod fails kubernetes-models' schema: data/spec must have required property containers"),
    ]);
    expect((await exchange({ method: 'GET', path: podPath, reply: ok(deployment('web-1')) })).problems).toEqual(
      expect.arrayContaining([expect.stringContaining(`${podPath} serves v1 Pod, not apps/v1 Deployment`)]),
    );
  });

  it('catches an answer naming another object, or in another namespace', async () => {
    const { problems } = await exchange({ method: 'GET', path: podPath, reply: ok({ ...pod('web-2'), metadata: objectMeta('web-2', { namespace: 'other' }) }) });

    expect(problems).toEqual([
      expect.stringContaining('the answer names web-2, not web-1'),
      expect.stringContaining(`the answer's namespace is "other", not ${namespace}`),
    ]);
  });

  it('catches a Status whose code is not the HTTP status, and a patch answer that does not show the patch', async () => {
    const status = notFound('pods', 'web-1');
    expect((await exchange({ method: 'GET', path: podPath, reply: { status: 404, json: { ...(status.json as object), code: 500 } } })).problems).toEqual([
      expect.stringContaining('Status code 500 is not the HTTP status 404'),
    ]);

    const patch = { spec: { unschedulable: true } };
    const before = node();
    const { problems } = await exchange({ method: 'PATCH', path: nodePath, contentType: 'application/merge-patch+json', body: patch, reply: ok(before) });
    expect(problems).toEqual([expect.stringContaining('the answer to the patch does not show {"spec":{"unschedulable":true}} applied')]);
    expect((await exchange({ method: 'PATCH', path: nodePath, contentType: 'application/merge-patch+json', body: patch, reply: ok(mergePatch(before, patch)) })).problems).toEqual([]);
  });
});

describe('requests the responder makes must be ones kube-apiserver accepts', () => {
  it('refuses a strategic merge patch of a custom resource with 415, as kube-apiserver does', async () => {
    const path = `/apis/snapshot.storage.k8s.io/v1/namespaces/${namespace}/volumesnapshots/snap-1`;

    const answer = await exchange({ method: 'PATCH', path, contentType: 'application/strategic-merge-patch+json', body: { metadata: { labels: { a: 'b' } } }, reply: ok({}) });

    expect(answer.status).toBe(415);
    expect(answer.json).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
    expect(answer.problems).toEqual([expect.stringContaining('strategic merge patch is not supported on custom resources')]);
  });

  it('refuses a patch whose content type is no patch type, and a JSON patch that is not a list of operations', async () => {
    const wrongType = await exchange({ method: 'PATCH', path: nodePath, contentType: 'application/json', body: { spec: { unschedulable: true } }, reply: ok({}) });
    expect(wrongType.status).toBe(415);
    expect(wrongType.problems).toEqual([expect.stringContaining('content type application/json is no patch type')]);

    const notOperations = await exchange({ method: 'PATCH', path: nodePath, contentType: 'application/json-patch+json', body: { spec: {} }, reply: ok({}) });
    expect(notOperations.problems).toEqual([expect.stringContaining('a JSON patch is a non-empty array of operations')]);
  });

  it('refuses a create without a name, of another kind than the path, or in another namespace, with 422', async () => {
    const path = `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`;
    const policy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: 'other' }, spec: { podSelector: { matchLabels: { app: 'web' } } } };

    const answer = await exchange({ method: 'POST', path, contentType: 'application/json', body: policy, reply: ok({}) });

    expect(answer.status).toBe(422);
    expect(answer.problems).toEqual(
      expect.arrayContaining([expect.stringContaining('the object has no metadata.name'), expect.stringContaining('metadata.namespace "other" is not the request\'s namespace shop')]),
    );
    const wrongKind = await exchange({ method: 'POST', path, contentType: 'application/json', body: { ...deployment('web'), metadata: { name: 'web' } }, reply: ok({}) });
    expect(wrongKind.problems).toEqual(expect.arrayContaining([expect.stringContaining('is apps/v1 Deployment, not networking.k8s.io/v1 NetworkPolicy')]));
  });

  it('flags a query parameter kube-apiserver does not read', async () => {
    const { problems } = await exchange({ method: 'GET', path: podPath, query: { labelselector: 'app=web' }, reply: ok(pod('web-1')) });

    expect(problems).toEqual([expect.stringContaining('query parameter labelselector is not one kube-apiserver reads on GET')]);
  });
});
