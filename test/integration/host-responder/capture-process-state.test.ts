/**
 * capture-process-state on this machine's real /proc: real children (a TCP listener, hostile
 * command lines and names) must show up in the uploaded listings with their pids, as `ps` and the
 * kernel see them; the report meets its schema; bounds hold. Container captures run against the
 * real dockerd and containerd of the integration run and list only that container.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '#shared/json.ts';
import { reportProblems } from '#shared/responders/report-schemas/index.ts';
import { hostActions } from '../../../responders/host/actions.ts';
import type { HostActionsOptions } from '../../../responders/host/actions.ts';
import { defaultCaptureLimits } from '../../../responders/host/capture-limits.ts';
import { captureProcessState } from '../../../responders/host/capture-process-state.ts';
import { hostEnvironment } from '../../../responders/host/environment.ts';
import { actionOf, hostWork, objectOf } from './support/context.ts';
import type { TestContext } from './support/context.ts';
import { sha256, temporaryDirectory } from './support/files.ts';
import { startTimeByPs } from './support/processes.ts';
import { containerdSocket, ctrRemove, ctrRun, ctrTask, docker, dockerRun, dockerSocket, dockerState } from './support/real-containers.ts';
import type { CtrTask } from './support/real-containers.ts';

interface Listed {
  pid: number;
  ppid: number;
  uid: number | null;
  user: string | null;
  comm: string;
  argv: string[];
  commandLineTruncated: boolean;
  startTime: string;
  exe: string | null;
  containerIds: string[];
}
interface Socket {
  netid: string;
  state: string;
  localAddress: string;
  localPort: number;
  pids: number[];
}

let work: { path: string; remove: () => Promise<void> };
const children: ChildProcess[] = [];
const madeDocker: string[] = [];
const madeTasks: CtrTask[] = [];

const options = (): HostActionsOptions => ({ quarantineDir: join(work.path, 'quarantine'), dockerSocketPath: dockerSocket(), containerdSocketPath: containerdSocket() });
const capture = () => actionOf(hostActions(options()), 'capture-process-state');

/** A child that stays until the test ends; `ready` settles with the first line it prints. */
function child(command: string, args: readonly string[]): { process: ChildProcess; pid: number; ready: Promise<string> } {
  const started = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(started);
  if (started.pid === undefined) throw new Error(`${command} did not start`);
  const ready = new Promise<string>((resolve) => started.stdout.once('data', (chunk: Buffer) => { resolve(chunk.toString('utf8').trim()); }));
  return { process: started, pid: started.pid, ready };
}

/** A real TCP listener on 127.0.0.1 and its port. */
async function listener(): Promise<{ pid: number; port: number }> {
  const started = child(process.execPath, ['-e', "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port))"]);
  return { pid: started.pid, port: Number(await started.ready) };
}

async function waitFor<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the container never got ready');
}

/** The uploaded object the result names under `key`, after checking its SHA-256 and size against the result's. */
function uploaded(context: TestContext, result: Record<string, JsonValue>, key: string): { text: string; json: () => Record<string, unknown> } {
  const named = objectOf(objectOf(result['evidence'])[key]);
  const upload = context.uploads.find((candidate) => candidate.name === named['name']);
  if (upload === undefined) throw new Error(`nothing was uploaded as ${JSON.stringify(named['name'])}`);
  expect(named['sha256']).toBe(sha256(upload.body));
  expect(named['size']).toBe(upload.body.length);
  const text = upload.body.toString('utf8');
  return { text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function run(context: TestContext, action = capture()) {
  const outcome = await action.execute(context);
  const result = objectOf(outcome.result);
  expect(reportProblems({ type: 'capture-process-state', executor: 'host', inputs: context.work.inputs }, outcome)).toEqual([]);
  return {
    result,
    processes: uploaded(context, result, 'processes').json()['processes'] as Listed[],
    sockets: uploaded(context, result, 'sockets').json()['sockets'] as Socket[],
    processText: uploaded(context, result, 'processesText').text,
    socketText: uploaded(context, result, 'socketsText').text,
  };
}

beforeAll(async () => {
  work = await temporaryDirectory('capture-process-state');
});

afterEach(async () => {
  for (const started of children.splice(0)) started.kill('SIGKILL');
  const ids = madeDocker.splice(0);
  if (ids.length > 0) await docker(['rm', '--force', ...ids]);
  for (const task of madeTasks.splice(0)) await ctrRemove(task);
});

afterAll(async () => {
  await work.remove();
});

describe('capture-process-state of the whole host', () => {
  it('lists a real TCP listener with its pid, command line and start time, and its socket with that pid as owner', async () => {
    // Prepare
    const { pid, port } = await listener();
    const context = hostWork('capture-process-state', {});

    // Act
    const { result, processes, sockets, processText, socketText } = await run(context);

    // Assess
    const listed = processes.find((entry) => entry.pid === pid);
    expect(listed).toMatchObject({ ppid: process.pid, uid: 0, user: 'root', exe: process.execPath, commandLineTruncated: false });
    expect(listed?.argv.slice(0, 2)).toEqual([process.execPath, '-e']);
    expect(Math.abs(new Date(listed?.startTime ?? 0).getTime() - (await startTimeByPs(pid)).getTime())).toBeLessThan(1000);
    const socket = sockets.find((entry) => entry.state === 'LISTEN' && entry.localPort === port);
    expect(socket).toMatchObject({ netid: 'tcp', localAddress: '127.0.0.1', pids: [pid] });
    expect(processText).toMatch(new RegExp(`^${pid}\\s+${process.pid}\\s+root\\s+S\\s+\\S+Z\\s+${process.execPath} -e`, 'm'));
    expect(socketText).toMatch(new RegExp(`^tcp\\s+LISTEN\\s+127\\.0\\.0\\.1:${port}\\s.*pid=${pid}\\)`, 'm'));
    expect(result).toMatchObject({ scope: 'host', containerId: null, container: null, processes: { truncated: false }, sockets: { truncated: false } });
    expect(objectOf(result['processes'])['count']).toBeGreaterThanOrEqual(processes.length);
  });

  it('never reads a process environment: a secret in the responder-side environment of a child is in no object', async () => {
    // Prepare
    const secret = `ra-secret-${String(Date.now())}`;
    const started = spawn('sleep', ['300'], { stdio: 'ignore', env: { ...process.env, RA_TEST_SECRET: secret } });
    children.push(started);
    const context = hostWork('capture-process-state', {});

    // Act
    await run(context);

    // Assess
    expect(context.uploads.some((upload) => upload.body.includes(secret))).toBe(false);
  });

  it('keeps bytes that are not UTF-8 visible, cuts a huge command line, and escapes a terminal sequence in a process name', async () => {
    // Prepare: a binary named with ESC, and sh holding a 20,000-byte argument after two bytes that are not UTF-8
    const evil = join(work.path, 'evil\u001b[2Jname');
    await copyFile('/usr/bin/sleep', evil);
    const named = child(evil, ['300']);
    await waitFor(async () => ((await readFile(`/proc/${String(named.pid)}/comm`, 'utf8')).startsWith('evil') ? true : undefined));
    const hostile = child('sh', ['-c', 'exec sh -c "echo ready; sleep 300; :" "$(printf "\\377\\376")" "$(head -c 20000 /dev/zero | tr "\\0" a)"']);
    await hostile.ready;
    const context = hostWork('capture-process-state', {});

    // Act
    const { processes, processText } = await run(context);

    // Assess
    const listed = processes.find((entry) => entry.pid === hostile.pid);
    expect(listed?.argv.slice(0, 4)).toEqual(['sh', '-c', 'echo ready; sleep 300; :', '\\xff\\xfe']);
    expect(listed?.commandLineTruncated).toBe(true);
    // Exactly the first maxCommandLineBytes bytes, the two non-UTF-8 bytes written as 8 characters.
    expect(listed?.argv.join('\0').length).toBe(defaultCaptureLimits.maxCommandLineBytes + 6);
    expect(listed?.argv[4]).toMatch(/^a+$/);
    expect(processes.find((entry) => entry.pid === named.pid)?.comm).toBe('evil\u001b[2Jname');
    expect(processText).toContain('evil\\x1b[2Jname');
    expect(processText).not.toContain('\u001b');
  });

  it('holds to its limits and says so in the result', async () => {
    // Prepare
    const action = captureProcessState(hostEnvironment(options()), { ...defaultCaptureLimits, maxProcesses: 5, maxSockets: 2 });
    await listener();
    await listener();
    const context = hostWork('capture-process-state', {});

    // Act
    const { result, processes, sockets } = await run(context, action);

    // Assess
    expect(processes).toHaveLength(5);
    expect(sockets.length).toBeLessThanOrEqual(2);
    expect(result['processes']).toMatchObject({ listed: 5, truncated: true });
    expect(objectOf(result['processes'])['count']).toBeGreaterThan(5);
    expect(JSON.stringify(result['notes'])).toContain('only the first 5 of');
  });

  it('finishes while processes start and exit under it', async () => {
    // Prepare: a shell forking short-lived processes for the whole capture
    const churn = child('sh', ['-c', 'echo ready; while :; do /bin/true; /bin/true; done']);
    await churn.ready;
    const context = hostWork('capture-process-state', {});

    // Act
    const { result } = await run(context);

    // Assess
    expect(result['scope']).toBe('host');
    expect(objectOf(result['processes'])['listed']).toBeGreaterThan(0);
  });
});

/** Listens on 8080 with busybox nc inside the container, beside its sh. */
const containerScript = '/bin/busybox nc -l -p 8080 & while true; do sleep 1; done';

describe('capture-process-state of one container', () => {
  it('lists only the processes and sockets of a real Docker container', async () => {
    // Prepare
    const host = await listener();
    const id = await dockerRun({ script: containerScript });
    madeDocker.push(id);
    const { pid: init } = await dockerState(id);

    // Act: until nc listens (it starts just after the container)
    const captured = await waitFor(async () => {
      const attempt = await run(hostWork('capture-process-state', { 'container.id': id.slice(0, 12) }));
      return attempt.sockets.some((socket) => socket.localPort === 8080) ? attempt : undefined;
    });
    const { result, processes, sockets } = captured;

    // Assess
    expect(result).toMatchObject({ scope: 'container', containerId: id, container: { runtime: 'docker', pid: init } });
    expect(processes.map((entry) => entry.pid)).toContain(init);
    expect(processes.every((entry) => entry.containerIds.includes(id))).toBe(true);
    expect(processes.some((entry) => entry.argv.join(' ') === '/bin/busybox nc -l -p 8080')).toBe(true);
    expect(processes.some((entry) => entry.pid === host.pid)).toBe(false);
    const nc = processes.find((entry) => entry.argv.includes('nc'));
    expect(sockets.find((socket) => socket.localPort === 8080)).toMatchObject({ state: 'LISTEN', pids: [nc?.pid] });
    expect(sockets.some((socket) => socket.localPort === host.port)).toBe(false);
  });

  it('lists only the processes and sockets of a real containerd task', async () => {
    // Prepare
    const task = await ctrRun({ script: containerScript });
    madeTasks.push(task);
    const { pid: init } = await waitFor(async () => (await ctrTask(task)) ?? undefined);

    // Act
    const { result, processes, sockets } = await waitFor(async () => {
      const attempt = await run(hostWork('capture-process-state', { 'container.id': task.id }));
      return attempt.sockets.some((socket) => socket.localPort === 8080) ? attempt : undefined;
    });

    // Assess
    expect(result).toMatchObject({ scope: 'container', containerId: task.id, container: { runtime: 'containerd', namespace: 'default', pid: init } });
    expect(processes.map((entry) => entry.pid).sort()).toEqual(expect.arrayContaining([init]));
    expect(processes.every((entry) => entry.pid !== process.pid)).toBe(true);
    expect(sockets.every((socket) => socket.localPort === 8080 || socket.state === 'TIME-WAIT')).toBe(true);
  });

  it('refuses a stopped container, uploading nothing', async () => {
    // Prepare
    const id = await dockerRun({ script: 'sleep 300' });
    madeDocker.push(id);
    await docker(['kill', id]);
    const context = hostWork('capture-process-state', { 'container.id': id });

    // Act
    const attempt = capture().execute(context);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ContainerNotRunning' });
    expect(context.uploads).toEqual([]);
  });
});
