/**
 * file-unquarantine restores only into the directory the file was quarantined from (security
 * review of issue 9, items 1-2). A local user who owns a directory above a quarantined file swaps
 * a directory on its path for a link (to /etc/profile.d, say) or mounts another over it; the undo,
 * run as root, would create the user's file there. Each swap here is real (a symbolic link, a bind
 * mount), on the host and in a fake container root; each undo ends in DestinationChanged with
 * nothing recorded or moved: the target directory stays empty, the file stays in quarantine.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResponderOutcome } from '#shared/responders/protocol.ts';
import { hostActions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork, undoSourceOf } from './support/context.ts';
import { startFakeRootDocker } from './support/docker-test-server.ts';
import type { DockerTestServer } from './support/docker-test-server.ts';
import { contentSha, missing, plantFile, sha256, temporaryDirectory } from './support/files.ts';

const payload = 'echo pwned\n';
const containerId = randomBytes(32).toString('hex');

let work: { path: string; remove: () => Promise<void> };
let quarantineDir: string;
/** Stands for /etc/profile.d: a root-owned directory whose scripts every login shell runs. */
let victim: string;
let docker: DockerTestServer;
let root: string;
let mounts: string[];

beforeEach(async () => {
  // Prepare: <work>/u belongs to a local user (uid 1000), with the file to be quarantined below it
  work = await temporaryDirectory('undo-destination');
  quarantineDir = join(work.path, 'state', 'quarantine');
  victim = join(work.path, 'victim-profile.d');
  await mkdir(victim);
  await mkdir(join(work.path, 'u', 'dir'), { recursive: true });
  await chown(join(work.path, 'u'), 1000, 1000);
  await chown(join(work.path, 'u', 'dir'), 1000, 1000);
  await plantFile(join(work.path, 'u', 'dir', 'evil.sh'), payload, { uid: 1000, gid: 1000 });
  // and a fake container root, named as a container's MergedDir by a Docker test server
  root = join(work.path, 'root');
  await mkdir(join(root, 'app', 'dir'), { recursive: true });
  await mkdir(join(root, 'etc', 'profile.d'), { recursive: true });
  await plantFile(join(root, 'app', 'dir', 'evil.sh'), payload, { uid: 1000, gid: 1000 });
  mounts = [];
  docker = await startFakeRootDocker(work.path, containerId, root);
});

afterEach(async () => {
  for (const point of mounts.reverse()) execFileSync('umount', [point]);
  await docker.close();
  await work.remove();
});

function actions() {
  const list = hostActions({ quarantineDir, dockerSocketPath: docker.socketPath, containerdSocketPath: join(work.path, 'no-containerd.sock') });
  return { quarantine: actionOf(list, 'file-quarantine'), unquarantine: actionOf(list, 'file-unquarantine') };
}

async function quarantined(inputs: Record<string, string>): Promise<{ actionId: string; outcome: ResponderOutcome }> {
  const context = hostWork('file-quarantine', inputs);
  const outcome = await actions().quarantine.execute(context);
  return { actionId: context.work.actionId, outcome };
}

/** Runs the undo; returns its error and context. */
async function undo(inputs: Record<string, string>, actionId: string, outcome: ResponderOutcome) {
  const context = hostWork('file-unquarantine', inputs, { undoOf: undoSourceOf('file-quarantine', outcome, actionId) });
  const error = await actions().unquarantine.execute(context).catch((caught: unknown) => caught);
  return { error, context };
}

describe('file-unquarantine when a directory on the path changed since the quarantine', () => {
  it('refuses when the user swapped the directory for a link to another directory, and restores nothing there', async () => {
    // Prepare
    const inputs = { 'path.absolute': join(work.path, 'u', 'dir', 'evil.sh') };
    const { actionId, outcome } = await quarantined(inputs);
    await rm(join(work.path, 'u', 'dir'), { recursive: true });
    await symlink(victim, join(work.path, 'u', 'dir'));

    // Act
    const { error, context } = await undo(inputs, actionId, outcome);

    // Assess
    expect(error).toMatchObject({ code: 'DestinationChanged', message: expect.stringContaining(join(victim, 'evil.sh')) as unknown });
    expect(context.progress).toEqual([]);
    expect(await readdir(victim)).toEqual([]);
    expect(await contentSha(join(quarantineDir, actionId))).toBe(sha256(payload));
  });

  it('refuses when another directory is mounted over it, though the path resolves the same', async () => {
    // Prepare
    const inputs = { 'path.absolute': join(work.path, 'u', 'dir', 'evil.sh') };
    const { actionId, outcome } = await quarantined(inputs);
    execFileSync('mount', ['--bind', victim, join(work.path, 'u', 'dir')]);
    mounts.push(join(work.path, 'u', 'dir'));

    // Act
    const { error, context } = await undo(inputs, actionId, outcome);

    // Assess
    expect(error).toMatchObject({ code: 'DestinationChanged', message: expect.stringContaining('a different directory') as unknown });
    expect(context.progress).toEqual([]);
    expect(await readdir(victim)).toEqual([]);
    expect(await contentSha(join(quarantineDir, actionId))).toBe(sha256(payload));
  });

  it("refuses in a container root when a directory was swapped for a link to the container's /etc/profile.d", async () => {
    // Prepare
    const inputs = { 'path.absolute': '/app/dir/evil.sh', 'container.id': containerId };
    const { actionId, outcome } = await quarantined(inputs);
    await rm(join(root, 'app', 'dir'), { recursive: true });
    await symlink('/etc/profile.d', join(root, 'app', 'dir'));

    // Act
    const { error, context } = await undo(inputs, actionId, outcome);

    // Assess
    expect(error).toMatchObject({ code: 'DestinationChanged', message: expect.stringContaining('/etc/profile.d/evil.sh') as unknown });
    expect(context.progress).toEqual([]);
    expect(await readdir(join(root, 'etc', 'profile.d'))).toEqual([]);
    expect(await contentSha(join(quarantineDir, actionId))).toBe(sha256(payload));
  });

  it('refuses a record that does not say which directory the file came from, written before the check existed', async () => {
    // Prepare: the note as an older responder wrote it
    const inputs = { 'path.absolute': join(work.path, 'u', 'dir', 'evil.sh') };
    const { actionId, outcome } = await quarantined(inputs);
    const notePath = join(quarantineDir, `${actionId}.json`);
    const { origin: _origin, ...older } = JSON.parse(await readFile(notePath, 'utf8')) as Record<string, unknown>;
    await writeFile(notePath, JSON.stringify(older), { mode: 0o600 });

    // Act
    const { error, context } = await undo(inputs, actionId, outcome);

    // Assess
    expect(error).toMatchObject({ code: 'UndoMismatch', message: expect.stringContaining('which directory the file came from') as unknown });
    expect(context.progress).toEqual([]);
    expect(await missing(join(work.path, 'u', 'dir', 'evil.sh'))).toBe(true);
  });

  it('restores into the same directory when nothing changed, and refuses a same-named directory put back in its place', async () => {
    // Prepare: two quarantines from the same directory; the directory is then renamed away and recreated
    const first = { 'path.absolute': join(work.path, 'u', 'dir', 'evil.sh') };
    await plantFile(join(work.path, 'u', 'dir', 'other.sh'), 'other\n', { uid: 1000, gid: 1000 });
    const second = { 'path.absolute': join(work.path, 'u', 'dir', 'other.sh') };
    const one = await quarantined(first);
    const two = await quarantined(second);

    // Act
    const restored = await undo(first, one.actionId, one.outcome);
    await rename(join(work.path, 'u', 'dir'), join(work.path, 'u', 'old'));
    await mkdir(join(work.path, 'u', 'dir'));
    const replaced = await undo(second, two.actionId, two.outcome);

    // Assess
    expect(restored.error).toHaveProperty('result.method');
    expect(await contentSha(join(work.path, 'u', 'old', 'evil.sh'))).toBe(sha256(payload));
    expect(replaced.error).toMatchObject({ code: 'DestinationChanged' });
    expect(await readdir(join(work.path, 'u', 'dir'))).toEqual([]);
  });
});
