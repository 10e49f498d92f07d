/**
 * A Kubernetes node's credentials and the cluster responder's own container, protected by default
 * (security review of issue 9, items 1-2). A data-gathering caller asks the host responder for the
 * cluster responder's token (`/var/run/secrets/response-actions/token` in its container, a secret
 * volume under /var/lib/kubelet/pods/<uid>/volumes on the host), its ServiceAccount token, or the
 * node's kubeconfigs and PKI.
 *
 * The node's paths are made for real on this machine, as the kubelet lays them out (each volume
 * a tmpfs of its own), and removed afterwards with exactly what the test created; the container
 * roots are a fake file system named by a Docker test server, with the volumes bind-mounted in as
 * the kubelet's runtime would, and a real `node responders/kubernetes/main.ts` process as the
 * responder's init process. Each attempt ends refused with nothing read, moved or signalled.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork } from './support/context.ts';
import { dockerInspect, dockerVersion, startDockerTestServer } from './support/docker-test-server.ts';
import type { DockerTestServer } from './support/docker-test-server.ts';
import { contentSha, missing, plantFile, sha256, temporaryDirectory } from './support/files.ts';
import { running, spawnSleeper } from './support/processes.ts';
import type { Sleeper } from './support/processes.ts';

const responderToken = 'eyJ.cluster-responder.sig';
const serviceAccountToken = 'eyJ.kubernetes-responder-sa.sig';
const responderId = randomBytes(32).toString('hex');
const webId = randomBytes(32).toString('hex');

let work: { path: string; remove: () => Promise<void> };
let quarantineDir: string;
let root: string;
let podDir: string;
let docker: DockerTestServer;
/** What the test made outside its temporary directory, removed (mounts undone) in reverse order. */
let created: { mount?: string; path?: string }[];
let responder: ChildProcess | undefined;
let responderPid: number;
let sleeper: Sleeper | undefined;

/** mkdir -p, remembering the topmost directory it had to create. */
async function makeDirectory(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true });
  if (first !== undefined) created.push({ path: first });
}

function mountTmpfs(path: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path]);
  created.push({ mount: path });
}

function bindMount(source: string, target: string): void {
  execFileSync('mount', ['--bind', source, target]);
  created.push({ mount: target });
}

/** Starts `node responders/kubernetes/main.ts` (a stand-in that only waits) as the Deployment's command does. */
async function startResponderStandIn(): Promise<number> {
  const app = join(work.path, 'app');
  await mkdir(join(app, 'responders', 'kubernetes'), { recursive: true });
  await writeFile(join(app, 'responders', 'kubernetes', 'main.ts'), 'setInterval(() => {}, 1 << 30);\n');
  responder = spawn(process.execPath, ['responders/kubernetes/main.ts'], { cwd: app, stdio: 'ignore' });
  const pid = responder.pid;
  if (pid === undefined) throw new Error('the responder stand-in did not start');
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('responders/kubernetes/main.ts')) return pid;
    await sleep(5);
  }
  throw new Error('the responder stand-in never ran');
}

beforeEach(async () => {
  // Prepare: a node's credentials where the kubelet and kubeadm keep them
  work = await temporaryDirectory('protected-kubernetes');
  quarantineDir = join(work.path, 'quarantine');
  created = [];
  await makeDirectory('/etc/kubernetes/pki');
  await makeDirectory('/var/lib/kubelet/pki');
  podDir = join('/var/lib/kubelet/pods', randomUUID());
  const secret = join(podDir, 'volumes', 'kubernetes.io~secret', 'token');
  const projected = join(podDir, 'volumes', 'kubernetes.io~projected', 'kube-api-access-x7k2p');
  const emptyDir = join(podDir, 'volumes', 'kubernetes.io~empty-dir', 'state');
  for (const volume of [secret, projected, emptyDir]) await makeDirectory(volume);
  created.push({ path: podDir });
  mountTmpfs(secret);
  mountTmpfs(projected);
  await plantFile(join(secret, 'token'), responderToken, { mode: 0o440 });
  await plantFile(join(projected, 'token'), serviceAccountToken, { mode: 0o644 });
  await plantFile(join(emptyDir, 'journal.json'), '{"actions":[]}\n');
  // and the responder's container root, with the volumes where the Deployment mounts them
  root = join(work.path, 'root');
  const tokenMount = join(root, 'var', 'run', 'secrets', 'response-actions');
  const accountMount = join(root, 'var', 'run', 'secrets', 'kubernetes.io', 'serviceaccount');
  const stateMount = join(root, 'var', 'lib', 'response-actions');
  for (const point of [tokenMount, accountMount, stateMount]) await mkdir(point, { recursive: true });
  bindMount(secret, tokenMount);
  bindMount(projected, accountMount);
  bindMount(emptyDir, stateMount);
  responderPid = 0;
  docker = await startDockerTestServer(work.path, (request) => {
    if (request.path === '/version') return { status: 200, json: dockerVersion('1.47') };
    if (request.path === `/v1.47/containers/${webId}/json`) return { status: 200, json: dockerInspect({ id: webId, name: 'web', status: 'exited', mergedDir: root }) };
    if (request.path === `/v1.47/containers/${responderId}/json`) {
      return { status: 200, json: dockerInspect({ id: responderId, name: 'k8s_responder_kubernetes-responder', status: 'running', pid: responderPid, mergedDir: root }) };
    }
    return { status: 404, json: { message: `No such container: ${request.path}` } };
  });
});

afterEach(async () => {
  responder?.kill('SIGKILL');
  responder = undefined;
  sleeper?.stop();
  sleeper = undefined;
  await docker.close();
  for (const made of created.reverse()) {
    if (made.mount !== undefined) execFileSync('umount', [made.mount]);
    if (made.path !== undefined) await rm(made.path, { recursive: true, force: true });
  }
  await work.remove();
});

function actions() {
  const list = hostActions({ quarantineDir, dockerSocketPath: docker.socketPath, containerdSocketPath: join(work.path, 'no-containerd.sock') });
  return {
    acquire: actionOf(list, 'acquire-file'),
    quarantine: actionOf(list, 'file-quarantine'),
    killProcess: actionOf(list, 'kill-process'),
    killContainer: actionOf(list, 'kill-container'),
    stopContainer: actionOf(list, 'stop-container'),
    pauseContainer: actionOf(list, 'pause-container'),
  };
}

/** Acquires `path` (in a container when given); returns the error, asserting nothing was uploaded. */
async function acquireRefusal(path: string, containerId?: string): Promise<unknown> {
  const context = hostWork('acquire-file', { 'path.absolute': path, ...(containerId === undefined ? {} : { 'container.id': containerId }) });
  const error = await actions().acquire.execute(context).catch((caught: unknown) => caught);
  expect(context.uploads).toEqual([]);
  return error;
}

describe("a Kubernetes node's credentials, protected by default", () => {
  it("refuses the cluster responder's token and ServiceAccount token in the pod volumes on the host", async () => {
    // Act
    const refusals = [
      await acquireRefusal(join(podDir, 'volumes', 'kubernetes.io~secret', 'token', 'token')),
      await acquireRefusal(join(podDir, 'volumes', 'kubernetes.io~projected', 'kube-api-access-x7k2p', 'token')),
    ];

    // Assess
    expect(refusals).toMatchObject([{ code: 'ProtectedPath' }, { code: 'ProtectedPath' }]);
    expect((refusals[0] as Error).message).toContain('kubernetes.io~secret');
  });

  it('refuses the same tokens where a container sees them, at the roots of its volume mounts, and moves nothing', async () => {
    // Prepare
    const quarantine = hostWork('file-quarantine', { 'path.absolute': '/var/run/secrets/response-actions/token', 'container.id': webId });

    // Act
    const refusals = [
      await acquireRefusal('/var/run/secrets/response-actions/token', webId),
      await acquireRefusal('/var/run/secrets/kubernetes.io/serviceaccount/token', webId),
      await actions().quarantine.execute(quarantine).catch((caught: unknown) => caught),
    ];

    // Assess
    expect(refusals).toMatchObject([{ code: 'ProtectedPath' }, { code: 'ProtectedPath' }, { code: 'ProtectedPath' }]);
    expect(quarantine.progress).toEqual([]);
    expect(await contentSha(join(podDir, 'volumes', 'kubernetes.io~secret', 'token', 'token'))).toBe(sha256(responderToken));
  });

  it("refuses the node's kubeconfigs and PKI", async () => {
    // Prepare: only files the test adds, beside whatever the machine has there
    const adminConf = join('/etc/kubernetes', `admin-${randomUUID()}.conf`);
    const kubeletKey = join('/var/lib/kubelet/pki', `kubelet-${randomUUID()}.key`);
    const caKey = join('/etc/kubernetes/pki', `ca-${randomUUID()}.key`);
    for (const path of [adminConf, kubeletKey, caKey]) {
      await plantFile(path, 'apiVersion: v1\nkind: Config\n', { mode: 0o600 });
      created.push({ path });
    }

    // Act
    const refusals = [await acquireRefusal(adminConf), await acquireRefusal(kubeletKey), await acquireRefusal(caKey)];

    // Assess
    expect(refusals).toMatchObject([{ code: 'ProtectedPath' }, { code: 'ProtectedPath' }, { code: 'ProtectedPath' }]);
  });

  it("still reads a pod's other volumes, which are evidence", async () => {
    // Prepare: the control, so the refusals above are the protection and not the mounts
    const context = hostWork('acquire-file', { 'path.absolute': '/var/lib/response-actions/journal.json', 'container.id': webId });

    // Act
    await actions().acquire.execute(context);

    // Assess
    expect(context.uploads.map((upload) => upload.body.toString('utf8'))).toEqual(['{"actions":[]}\n']);
  });
});

describe("the cluster responder's own container", () => {
  it('refuses file actions in it, killing, stopping or pausing it, and killing its process; nothing reaches the runtime', async () => {
    // Prepare
    responderPid = await startResponderStandIn();
    await plantFile(join(work.path, 'evidence.log'), 'in the container\n');
    const inContainer = { 'path.absolute': join(work.path, 'evidence.log'), 'container.id': responderId };
    const quarantine = hostWork('file-quarantine', inContainer);
    const list = actions();

    // Act
    const refusals = [
      await acquireRefusal(join(work.path, 'evidence.log'), responderId),
      await list.quarantine.execute(quarantine).catch((caught: unknown) => caught),
      await list.killContainer.execute(hostWork('kill-container', { 'container.id': responderId })).catch((caught: unknown) => caught),
      await list.stopContainer.execute(hostWork('stop-container', { 'container.id': responderId })).catch((caught: unknown) => caught),
      await list.pauseContainer.execute(hostWork('pause-container', { 'container.id': responderId })).catch((caught: unknown) => caught),
      await list.killProcess.execute(hostWork('kill-process', { 'process.id': responderPid })).catch((caught: unknown) => caught),
    ];

    // Assess
    expect(refusals.slice(0, 5)).toMatchObject(Array(5).fill({ code: 'ProtectedContainer', message: expect.stringContaining('responders/kubernetes/main.ts') as unknown }));
    expect(refusals[5]).toMatchObject({ code: 'ProtectedProcess' });
    expect(quarantine.progress).toEqual([]);
    expect(await missing(join(work.path, 'evidence.log'))).toBe(false);
    expect(docker.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    expect(await running(responderPid)).toBe(true);
  });

  it('acts on a container whose init process is not a responder, the control', async () => {
    // Prepare: the same container, its init process a plain sleep
    sleeper = await spawnSleeper();
    responderPid = sleeper.pid;
    await plantFile(join(work.path, 'evidence.log'), 'in the container\n');
    const context = hostWork('acquire-file', { 'path.absolute': join(work.path, 'evidence.log'), 'container.id': responderId });

    // Act
    await actions().acquire.execute(context);

    // Assess
    expect(context.uploads.map((upload) => upload.body.toString('utf8'))).toEqual(['in the container\n']);
  });
});
