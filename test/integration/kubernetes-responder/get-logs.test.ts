import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execute, executeFailing, harness } from './support/harness.ts';
import type { Harness } from './support/harness.ts';
import { badRequest, clusterName, namespace, notFound, ok, pod } from './support/kubernetes-objects.ts';
import { TestApiServer } from './support/test-api-server.ts';

let server: TestApiServer;
let h: Harness;

beforeAll(async () => {
  server = await TestApiServer.start();
  h = harness(server, { settings: { logLimitBytes: 4096 } });
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
});

const podName = 'web-7d9f8c6b5-x8k2p';
const podPath = `/api/v1/namespaces/${namespace}/pods/${podName}`;
const inputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace, 'kubernetes.pod.name': podName };
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const busyPod = pod(podName, {
  annotations: { 'kubectl.kubernetes.io/default-container': 'web' },
  spec: {
    initContainers: [{ name: 'migrate', image: 'registry.example.com/shop/migrate:1.4.2' }],
    containers: [
      { name: 'envoy', image: 'envoyproxy/envoy:v1.33.0' },
      { name: 'web', image: 'registry.example.com/shop/web:1.4.2' },
    ],
    ephemeralContainers: [{ name: 'debugger-x7k2m', image: 'busybox:1.37', targetContainerName: 'web' }],
  },
});

// Logs are bytes: a Latin-1 byte, a NUL, CRLF and a half-written UTF-8 sequence must survive as sent.
const webLog = Buffer.concat([Buffer.from('2026-03-01T11:59:58Z GET /admin 200\r\n'), Buffer.from([0xe9, 0x00, 0x0a, 0xe2, 0x82])]);
const envoyLog = Buffer.from('[2026-03-01 11:59:59.001][1][info] upstream connect to 45.9.148.3:4444\n');
const debuggerLog = Buffer.from('/ # wget -qO- http://169.254.169.254/latest/meta-data/iam/\n');

describe('get-logs (Kubernetes form)', () => {
  it('uploads the default container’s log as evidence, byte for byte', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: podPath, reply: ok(busyPod) },
      { method: 'GET', path: `${podPath}/log`, query: { container: 'web', limitBytes: '4096' }, reply: { status: 200, raw: webLog } },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'get-logs', inputs });

    // Assess
    server.assertDone();
    expect(run.uploads).toEqual([{ name: 'logs-web.txt', contentType: 'text/plain', body: new Uint8Array(webLog) }]);
    expect(outcome).toEqual({
      result: {
        pod: podName,
        namespace,
        previous: false,
        containers: ['web'],
        evidence: [{ container: 'web', name: 'logs-web.txt', sha256: sha256(webLog), size: webLog.byteLength, truncated: false }],
        failures: [],
      },
    });
  });

  it('with allContainers and previous, takes every container (init and ephemeral too), one object each, and reports those without logs', async () => {
    // Prepare
    const log = (container: string) => ({ path: `${podPath}/log`, query: { container, limitBytes: '4096', previous: 'true' } });
    server.expect(
      { method: 'GET', path: podPath, reply: ok(busyPod) },
      { method: 'GET', ...log('migrate'), reply: badRequest(`previous terminated container "migrate" in pod "${podName}" not found`) },
      { method: 'GET', ...log('envoy'), reply: { status: 200, raw: envoyLog } },
      { method: 'GET', ...log('web'), reply: { status: 200, raw: webLog } },
      { method: 'GET', ...log('debugger-x7k2m'), reply: { status: 200, raw: debuggerLog } },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'get-logs', inputs: { ...inputs, allContainers: true, previous: true } });

    // Assess
    server.assertDone();
    expect(run.uploads.map((upload) => [upload.name, Buffer.from(upload.body).equals(upload.name.includes('envoy') ? envoyLog : upload.name.includes('debugger') ? debuggerLog : webLog)])).toEqual([
      ['logs-envoy-previous.txt', true],
      ['logs-web-previous.txt', true],
      ['logs-debugger-x7k2m-previous.txt', true],
    ]);
    expect(outcome.result).toMatchObject({
      previous: true,
      containers: ['migrate', 'envoy', 'web', 'debugger-x7k2m'],
      evidence: [
        { container: 'envoy', name: 'logs-envoy-previous.txt', sha256: sha256(envoyLog), size: envoyLog.byteLength },
        { container: 'web', name: 'logs-web-previous.txt', sha256: sha256(webLog) },
        { container: 'debugger-x7k2m', name: 'logs-debugger-x7k2m-previous.txt', sha256: sha256(debuggerLog) },
      ],
      failures: [{ container: 'migrate', error: { code: 'LogsUnavailable', message: `no previous logs of container migrate: previous terminated container "migrate" in pod "${podName}" not found` } }],
    });
  });

  it('marks a log cut at the byte limit as truncated', async () => {
    // Prepare
    const small = harness(server, { settings: { logLimitBytes: 16 } });
    server.expect(
      { method: 'GET', path: podPath, reply: ok(busyPod) },
      { method: 'GET', path: `${podPath}/log`, query: { container: 'envoy', limitBytes: '16' }, reply: { status: 200, raw: envoyLog.subarray(0, 16) } },
    );

    // Act
    const { outcome } = await execute(small, { type: 'get-logs', inputs: { ...inputs, 'kubernetes.container.name': 'envoy' } });

    // Assess
    server.assertDone();
    expect(outcome.result).toMatchObject({ evidence: [{ container: 'envoy', size: 16, truncated: true }] });
  });

  it('refuses a container the pod does not have, and fails when the one container has no such logs', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: podPath, reply: ok(busyPod) },
      { method: 'GET', path: podPath, reply: ok(busyPod) },
      { method: 'GET', path: `${podPath}/log`, query: { container: 'web', limitBytes: '4096', previous: 'true' }, reply: badRequest(`previous terminated container "web" in pod "${podName}" not found`) },
      { method: 'GET', path: podPath, reply: notFound('pods', podName) },
    );

    // Act
    const unknown = await executeFailing(h, { type: 'get-logs', inputs: { ...inputs, 'kubernetes.container.name': 'redis' } });
    const noPrevious = await executeFailing(h, { type: 'get-logs', inputs: { ...inputs, previous: true } });
    const gone = await executeFailing(h, { type: 'get-logs', inputs });

    // Assess
    server.assertDone();
    expect(unknown.error.code).toBe('TargetNotFound');
    expect(unknown.error.message).toBe(`pod ${podName} in namespace ${namespace} has no container redis (it has migrate, envoy, web, debugger-x7k2m)`);
    expect(noPrevious.error.code).toBe('LogsUnavailable');
    expect(noPrevious.run.uploads).toEqual([]);
    expect(gone.error.code).toBe('TargetNotFound');
  });
});
