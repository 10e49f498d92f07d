/**
 * The host actions without root: each runs in a child process as `nobody` (uid 65534), so the
 * kernel refuses what that user may not do and the action must end in Error naming the missing
 * permission; and what nobody may do (its own process, its own file) still works.
 */
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '#shared/json.ts';
import type { ResponderOutcome } from '#shared/responders/protocol.ts';
import { textOf, undoSourceOf } from './support/context.ts';
import { startContainerdTestServer } from './support/containerd-test-server.ts';
import type { ContainerdTestServer } from './support/containerd-test-server.ts';
import { dockerVersion, startDockerTestServer } from './support/docker-test-server.ts';
import type { DockerTestServer } from './support/docker-test-server.ts';
import { contentSha, missing, modeOf, plantFile, sha256, statOf, temporaryDirectory } from './support/files.ts';
import { running, spawnSleeper } from './support/processes.ts';
import type { Sleeper } from './support/processes.ts';

const nobody = 65534;
const runner = fileURLToPath(new URL('./support/run-action.ts', import.meta.url));
const run = promisify(execFile);

type ChildAnswer = { ok: true; uid: number; outcome: ResponderOutcome } | { ok: false; uid: number; code: string; message: string };

let work: { path: string; remove: () => Promise<void> };
let quarantineDir: string;
const sleepers: Sleeper[] = [];

/** Runs one action as nobody and returns what it answered. */
async function asNobody(type: string, inputs: Record<string, JsonValue>, extra: { undoOf?: ReturnType<typeof undoSourceOf>; options?: Record<string, unknown>; actionId?: string } = {}): Promise<ChildAnswer> {
  const request = { type, inputs, options: { quarantineDir, dockerSocketPath: join(work.path, 'docker.sock'), containerdSocketPath: join(work.path, 'containerd.sock'), ...extra.options }, undoOf: extra.undoOf, actionId: extra.actionId, runAs: nobody };
  // Started as root and become nobody once loaded (run-action.ts), so a checkout nobody cannot reach still runs.
  const { stdout } = await run(process.execPath, [runner, JSON.stringify(request)], { cwd: '/' });
  return JSON.parse(stdout) as ChildAnswer;
}

beforeAll(async () => {
  // Prepare: a tree nobody can walk, with a directory of its own
  work = await temporaryDirectory('non-root');
  await chmod(work.path, 0o755);
  await mkdir(join(work.path, 'nobodys'), { mode: 0o755 });
  await chown(join(work.path, 'nobodys'), nobody, nobody);
  await mkdir(join(work.path, 'roots'), { mode: 0o755 });
  quarantineDir = join(work.path, 'nobodys', 'quarantine');
});

afterEach(() => {
  for (const sleeper of sleepers.splice(0)) sleeper.stop();
});

afterAll(async () => {
  await work.remove();
});

describe('host actions as a user without root (nobody)', () => {
  it('runs as nobody indeed', async () => {
    // Act
    const answer = await asNobody('kill-process', { 'process.id': 1 });

    // Assess
    expect(answer).toMatchObject({ uid: nobody, ok: false, code: 'ProtectedProcess' });
  });

  it("cannot kill root's process: PermissionDenied naming CAP_KILL, and the process lives on", async () => {
    // Prepare
    const target = await spawnSleeper();
    sleepers.push(target);

    // Act
    const answer = await asNobody('kill-process', { 'process.id': target.pid });

    // Assess
    expect(answer).toMatchObject({ ok: false, code: 'PermissionDenied', message: `cannot send SIGKILL to process ${target.pid} (sleep, uid 0) as uid ${nobody}: permission denied; needs root or CAP_KILL` });
    expect(await running(target.pid)).toBe(true);
  });

  it('kills its own process', async () => {
    // Prepare
    const target = await spawnSleeper({ uid: nobody, gid: nobody });
    sleepers.push(target);

    // Act
    const answer = await asNobody('kill-process', { 'process.id': target.pid });

    // Assess
    expect(answer).toMatchObject({ ok: true, outcome: { result: { gone: true, uid: nobody } } });
    expect(await target.exited).toBe('SIGKILL');
  });

  it("cannot read root's 0600 file: PermissionDenied naming CAP_DAC_READ_SEARCH", async () => {
    // Prepare
    const path = join(work.path, 'roots', 'shadow-like');
    await plantFile(path, 'secret', { mode: 0o600 });

    // Act
    const answer = await asNobody('acquire-file', { 'path.absolute': path });

    // Assess
    expect(answer).toMatchObject({ ok: false, code: 'PermissionDenied', message: `opening ${path}: permission denied (EACCES); needs root or CAP_DAC_READ_SEARCH to read it` });
  });

  it("cannot move a file out of root's directory: PermissionDenied, and the file stays", async () => {
    // Prepare
    const path = join(work.path, 'roots', 'readable');
    await plantFile(path, 'x', { mode: 0o644 });

    // Act
    const answer = await asNobody('file-quarantine', { 'path.absolute': path });

    // Assess
    expect(answer).toMatchObject({ ok: false, code: 'PermissionDenied', message: expect.stringContaining(`moving ${path}: permission denied (EACCES); needs root, or CAP_DAC_OVERRIDE and CAP_FOWNER`) as unknown });
    expect(await missing(path)).toBe(false);
  });

  it('quarantines its own file into a quarantine only it can reach, and puts it back exactly', async () => {
    // Prepare
    const path = join(work.path, 'nobodys', 'script.sh');
    await plantFile(path, '#!/bin/sh\necho hi\n', { uid: nobody, gid: nobody, mode: 0o750 });
    const before = await statOf(path);

    // Act
    const quarantineId = randomUUID();
    const quarantined = await asNobody('file-quarantine', { 'path.absolute': path }, { actionId: quarantineId });

    // Assess
    if (!quarantined.ok) throw new Error(quarantined.message);
    const dir = await stat(quarantineDir);
    expect([dir.uid, dir.mode & 0o777]).toEqual([nobody, 0o700]);
    const applied = quarantined.outcome.applied as Record<string, JsonValue>;
    expect(modeOf(await statOf(textOf(applied['quarantinePath'])))).toBe(0);

    // Act
    const restored = await asNobody('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', quarantined.outcome, quarantineId) });

    // Assess
    expect(restored).toMatchObject({ ok: true });
    const after = await statOf(path);
    expect([modeOf(after), after.uid, after.mtimeNs, await contentSha(path)]).toEqual([0o750, BigInt(nobody), before.mtimeNs, sha256('#!/bin/sh\necho hi\n')]);
  });

  describe('with runtime sockets only root may open', () => {
    let docker: DockerTestServer;
    let containerd: ContainerdTestServer;

    beforeAll(async () => {
      docker = await startDockerTestServer(work.path, () => ({ status: 200, json: dockerVersion('1.47') }));
      containerd = await startContainerdTestServer(work.path, () => ({ status: 5, details: 'not found' }));
    });

    afterAll(async () => {
      await docker.close();
      await containerd.close();
    });

    it('answers PermissionDenied naming the Docker socket and its group', async () => {
      // Act
      const answer = await asNobody('kill-container', { 'container.name': 'web' });

      // Assess
      expect(answer).toMatchObject({
        ok: false,
        code: 'PermissionDenied',
        message: `cannot connect to the Docker socket ${docker.socketPath}: permission denied; run the responder as root or add its user to group root (gid 0), which owns the socket`,
      });
      expect(docker.requests).toEqual([]);
    });

    it('answers PermissionDenied naming the containerd socket', async () => {
      // Act
      const answer = await asNobody('pause-container', { 'container.id': 'abc' }, { options: { dockerSocketPath: join(work.path, 'none.sock') } });

      // Assess
      expect(answer).toMatchObject({ ok: false, code: 'PermissionDenied', message: expect.stringContaining(`cannot connect to the containerd socket ${containerd.socketPath}: permission denied`) as unknown });
      expect(containerd.calls).toEqual([]);
      expect(await readFile('/etc/group', 'utf8')).toContain('root:x:0:');
    });
  });
});
