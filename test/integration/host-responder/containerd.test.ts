/**
 * The container actions through containerd's own gRPC API, against an h2c test server on a unix
 * socket: every call's gRPC path, `containerd-namespace` header, gRPC headers and protobuf body
 * bytes are asserted. The expected bodies are written out by hand from containerd's .proto files
 * (tag byte, length, bytes), independently of the responder's encoder.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import type { HostActionsOptions } from '../../../responders/host/actions.ts';
import { ProtoMessage, ProtoWriter } from '../../../responders/host/containers/protobuf.ts';
import { actionOf, hostWork, objectOf, textOf, undoSourceOf } from './support/context.ts';
import { startContainerdTestServer } from './support/containerd-test-server.ts';
import type { ContainerdTestServer, GrpcAnswer, GrpcCallRecord } from './support/containerd-test-server.ts';
import { missing, plantFile, temporaryDirectory } from './support/files.ts';
import { spawnSleeper } from './support/processes.ts';
import type { Sleeper } from './support/processes.ts';

const statusNumber = { created: 1, running: 2, stopped: 3, paused: 4 } as const;
type TaskStatus = keyof typeof statusNumber;

interface FakeTask {
  pid: number;
  status: TaskStatus;
  stdout: string;
  /** SIGTERM does nothing (a process that ignores it). */
  ignoresTerm?: boolean;
}
interface FakeContainer {
  id: string;
  namespace: string;
  labels: Record<string, string>;
  task: FakeTask | null;
}

const notFound: GrpcAnswer = { status: 5, details: 'not found' };

function containerMessage(container: FakeContainer): Buffer {
  const writer = new ProtoWriter().string(1, container.id);
  for (const [key, value] of Object.entries(container.labels)) writer.bytes(2, new ProtoWriter().string(1, key).string(2, value).finish());
  return writer.string(3, 'docker.io/library/nginx:1.27').finish();
}

function processMessage(container: FakeContainer, task: FakeTask): Buffer {
  return new ProtoWriter().string(1, container.id).uint32(3, task.pid).uint32(4, statusNumber[task.status]).string(6, task.stdout).finish();
}

/** containerd's behaviour for the calls the responder makes (requests decoded here only to answer them). */
function fakeContainerd(containers: FakeContainer[]) {
  return (call: GrpcCallRecord): GrpcAnswer => {
    const request = new ProtoMessage(Buffer.from(call.body, 'hex'));
    const inNamespace = containers.filter((container) => container.namespace === call.namespace);
    const byId = inNamespace.find((container) => container.id === request.string(1));
    const method = call.path.split('/').at(-1);
    const service = call.path.split('/')[1];
    if (service === 'containerd.services.containers.v1.Containers' && method === 'Get') {
      return byId === undefined ? notFound : { message: new ProtoWriter().bytes(1, containerMessage(byId)).finish() };
    }
    if (service === 'containerd.services.containers.v1.Containers' && method === 'List') {
      const name = /^labels\."nerdctl\/name"==(.+)$/.exec(request.string(1))?.[1];
      const writer = new ProtoWriter();
      for (const container of inNamespace.filter((candidate) => candidate.labels['nerdctl/name'] === name)) writer.bytes(1, containerMessage(container));
      return { message: writer.finish() };
    }
    if (method === 'List') {
      const writer = new ProtoWriter();
      for (const container of inNamespace) if (container.task !== null) writer.bytes(1, processMessage(container, container.task));
      return { message: writer.finish() };
    }
    const task = byId?.task ?? null;
    if (byId === undefined || task === null) return notFound;
    if (method === 'Get') return { message: new ProtoWriter().bytes(1, processMessage(byId, task)).finish() };
    if (method === 'Kill') {
      if (request.uint(3) === 9 || !task.ignoresTerm) task.status = 'stopped';
      return { message: Buffer.alloc(0) };
    }
    if (method === 'Pause') {
      if (task.status !== 'running') return { status: 9, details: `task ${byId.id} is not running` };
      task.status = 'paused';
      return { message: Buffer.alloc(0) };
    }
    if (method === 'Resume') {
      task.status = 'running';
      return { message: Buffer.alloc(0) };
    }
    return { status: 12, details: `${call.path} is not implemented by the test server` };
  };
}

/** Hand-encoded protobuf: a string field (wire type 2) with a one-byte length. */
function stringField(field: number, value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.from([(field << 3) | 2, bytes.length]).toString('hex') + bytes.toString('hex');
}

let work: { path: string; remove: () => Promise<void> };
let containerd: ContainerdTestServer;
let web: FakeContainer;
const sleepers: Sleeper[] = [];

function actions(options: Partial<HostActionsOptions> = {}) {
  return hostActions({
    quarantineDir: join(work.path, 'quarantine'),
    dockerSocketPath: join(work.path, 'docker.sock'),
    containerdSocketPath: containerd.socketPath,
    ...options,
  });
}

function calls(): string[] {
  return containerd.calls.map((call) => `${call.namespace ?? '-'} ${call.path.replace('/containerd.services.', '')} ${call.body}`);
}

beforeEach(async () => {
  work = await temporaryDirectory('containerd');
  web = { id: randomBytes(32).toString('hex'), namespace: 'default', labels: { 'nerdctl/name': 'web' }, task: { pid: 4242, status: 'running', stdout: '' } };
  containerd = await startContainerdTestServer(work.path, fakeContainerd([web]));
});

afterEach(async () => {
  for (const sleeper of sleepers.splice(0)) sleeper.stop();
  await containerd.close();
  await work.remove();
});

describe('container actions through the containerd gRPC API', () => {
  it('kills every process of a container with Tasks.Kill(SIGKILL, all), looking in each namespace', async () => {
    // Act
    const outcome = await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.id': web.id }));

    // Assess
    const id = stringField(1, web.id);
    expect(calls()).toEqual([
      `k8s.io containers.v1.Containers/Get ${id}`,
      `default containers.v1.Containers/Get ${id}`,
      `default tasks.v1.Tasks/Get ${id}`,
      `default tasks.v1.Tasks/Kill ${id}18092001`,
      `k8s.io containers.v1.Containers/Get ${id}`,
      `default containers.v1.Containers/Get ${id}`,
      `default tasks.v1.Tasks/Get ${id}`,
    ]);
    for (const call of containerd.calls) expect([call.contentType, call.te, call.framed]).toEqual(['application/grpc', 'trailers', true]);
    expect(objectOf(outcome.result)).toMatchObject({ containerId: web.id, name: 'web', runtime: 'containerd', namespace: 'default', statusBefore: 'running', statusAfter: 'stopped', pid: 4242 });
  });

  it('pauses with Tasks.Pause and unpause-container resumes with Tasks.Resume', async () => {
    // Prepare
    web.namespace = 'k8s.io';
    const list = actions();

    // Act
    const outcome = await actionOf(list, 'pause-container').execute(hostWork('pause-container', { 'container.id': web.id }));
    containerd.calls.length = 0;
    const undo = await actionOf(list, 'unpause-container').execute(hostWork('unpause-container', { 'container.id': web.id }, { undoOf: undoSourceOf('pause-container', outcome) }));

    // Assess
    expect(outcome.applied).toEqual({ containerId: web.id, name: 'web', runtime: 'containerd', namespace: 'k8s.io', paused: true });
    expect(calls().filter((call) => call.includes('Resume'))).toEqual([`k8s.io tasks.v1.Tasks/Resume ${stringField(1, web.id)}`]);
    expect(objectOf(undo.result)).toMatchObject({ changed: true, statusBefore: 'paused', statusAfter: 'running' });
    expect(web.task?.status).toBe('running');
  });

  it('stops with SIGTERM to the init process, and SIGKILL to all after the grace period', async () => {
    // Prepare
    if (web.task !== null) web.task.ignoresTerm = true;

    // Act
    const outcome = await actionOf(actions({ stopTimeoutSeconds: 1 }), 'stop-container').execute(hostWork('stop-container', { 'container.name': 'web' }));

    // Assess
    const id = stringField(1, web.id);
    const kills = calls().filter((call) => call.includes('Kill'));
    expect(kills).toEqual([`default tasks.v1.Tasks/Kill ${id}180f`, `default tasks.v1.Tasks/Kill ${id}18092001`]);
    expect(calls()[0]).toBe(`k8s.io containers.v1.Containers/List ${stringField(1, 'labels."nerdctl/name"==web')}`);
    expect(calls().filter((call) => call.includes('Tasks/Get')).length).toBeGreaterThan(3);
    expect(objectOf(outcome.result)).toMatchObject({ changed: true, statusAfter: 'stopped' });
  });

  it('cannot start a stopped task again and says what can', async () => {
    // Prepare
    const list = actions();
    const stopped = await actionOf(list, 'stop-container').execute(hostWork('stop-container', { 'container.id': web.id }));
    containerd.calls.length = 0;

    // Act
    const attempt = actionOf(list, 'start-container').execute(hostWork('start-container', { 'container.id': web.id }, { undoOf: undoSourceOf('stop-container', stopped) }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UnsupportedByRuntime', message: expect.stringContaining('nerdctl start') as unknown });
    expect(calls().some((call) => call.includes('Start') || call.includes('Create'))).toBe(false);
  });

  it('finds a container by a short id among the tasks of a namespace', async () => {
    // Prepare
    const short = web.id.slice(0, 13);

    // Act
    await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.id': short }));

    // Assess
    expect(calls().slice(0, 5)).toEqual([
      `k8s.io containers.v1.Containers/Get ${stringField(1, short)}`,
      'k8s.io tasks.v1.Tasks/List ',
      `default containers.v1.Containers/Get ${stringField(1, short)}`,
      'default tasks.v1.Tasks/List ',
      `default containers.v1.Containers/Get ${stringField(1, web.id)}`,
    ]);
  });

  it('collects a task log written to a file:// URI, and refuses a task whose output goes elsewhere', async () => {
    // Prepare
    const logFile = join(work.path, 'web.log');
    await plantFile(logFile, 'hello from the task\n');
    if (web.task !== null) web.task.stdout = pathToFileURL(logFile).href;
    const context = hostWork('get-logs', { 'container.id': web.id });

    // Act
    const outcome = await actionOf(actions(), 'get-logs').execute(context);
    if (web.task !== null) web.task.stdout = '/run/containerd/fifo/1234/web-stdout';
    const fifo = actionOf(actions(), 'get-logs').execute(hostWork('get-logs', { 'container.id': web.id }));

    // Assess
    expect(context.uploads[0]?.body.toString('utf8')).toBe('hello from the task\n');
    expect(context.uploads[0]?.name).toBe(`container-containerd-${web.id}-logs.txt`);
    expect(objectOf(outcome.result)).toMatchObject({ source: `containerd task log file ${logFile}` });
    await expect(fifo).rejects.toMatchObject({ code: 'UnsupportedByRuntime', message: expect.stringContaining('containerd keeps no logs of its own') as unknown });
  });

  it('maps FAILED_PRECONDITION to ContainerConflict with containerd\'s words, and NOT_FOUND everywhere to ContainerNotFound', async () => {
    // Prepare
    web.namespace = 'k8s.io';
    const list = actions();
    containerd.handle = (call) => (call.path.endsWith('/Pause') ? { status: 9, details: 'task must be running: 100% "stuck"' } : fakeContainerd([web])(call));

    // Act
    const paused = actionOf(list, 'pause-container').execute(hostWork('pause-container', { 'container.id': web.id }));
    await expect(paused).rejects.toMatchObject({ code: 'ContainerConflict', message: expect.stringContaining('task must be running: 100% "stuck"') as unknown });
    const absent = actionOf(list, 'pause-container').execute(hostWork('pause-container', { 'container.name': 'db' }));

    // Assess
    await expect(absent).rejects.toMatchObject({ code: 'ContainerNotFound', message: `container named db not found by containerd (${containerd.socketPath})` });
  });

  it('quarantines a file inside a container through its task\'s /proc/<pid>/root (a real process here)', async () => {
    // Prepare: the task's pid is a real sleep, whose root is this host's /
    const sleeper = await spawnSleeper();
    sleepers.push(sleeper);
    if (web.task !== null) web.task.pid = sleeper.pid;
    const path = join(work.path, 'implant');
    await plantFile(path, 'implant');
    const list = actions();

    // Act
    const outcome = await actionOf(list, 'file-quarantine').execute(hostWork('file-quarantine', { 'path.absolute': path, 'container.id': web.id }));

    // Assess
    expect(objectOf(outcome.prior)).toMatchObject({ root: `/proc/${sleeper.pid}/root`, hostPath: `/proc/${sleeper.pid}/root${path}`, container: { id: web.id, runtime: 'containerd', namespace: 'default' } });
    expect(await missing(path)).toBe(true);
    expect(await readFile(textOf(objectOf(outcome.applied)['quarantinePath']), 'utf8')).toBe('implant');
  });
});
