/**
 * The protected-path set inside a container root (issue 9, item 1): a container's file system
 * where a path leads, through a real bind mount, to a protected host file or directory. The root
 * is a fake container file system in a temporary directory, named as the container's MergedDir by
 * a Docker test server (as in container-root.test.ts); the bind mounts are real (`mount --bind`,
 * as root) and undone after each test. Each attempt ends in ProtectedPath with nothing read,
 * moved or recorded.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork, objectOf, undoSourceOf } from './support/context.ts';
import { startFakeRootDocker } from './support/docker-test-server.ts';
import type { DockerTestServer } from './support/docker-test-server.ts';
import { contentSha, missing, plantFile, sha256, temporaryDirectory } from './support/files.ts';

const containerId = randomBytes(32).toString('hex');
const keysContent = '{"keys":[{"kty":"OKP","d":"secret"}]}';

let work: { path: string; remove: () => Promise<void> };
let root: string;
let dataDir: string;
let issuerKeys: string;
let quarantineDir: string;
let docker: DockerTestServer;
/** Mount points made by the test, undone in reverse order after it. */
let mounts: string[];

beforeEach(async () => {
  // Prepare: <work>/data is the service's DATA_DIR (protected), <work>/root the container's root
  work = await temporaryDirectory('protected-container');
  root = join(work.path, 'root');
  dataDir = join(work.path, 'data');
  quarantineDir = join(work.path, 'quarantine');
  issuerKeys = join(dataDir, 'auth', 'issuer-keys.json');
  await mkdir(join(dataDir, 'auth'), { recursive: true });
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'var', 'lib', 'app'), { recursive: true });
  await plantFile(issuerKeys, keysContent, { mode: 0o600 });
  await plantFile(join(root, 'etc', 'app.conf'), 'container config\n');
  mounts = [];
  docker = await startFakeRootDocker(work.path, containerId, root);
});

afterEach(async () => {
  for (const point of mounts.reverse()) execFileSync('umount', [point]);
  await docker.close();
  await work.remove();
});

/** `mount --bind source target` (target inside the fake root), undone after the test. */
function bindMount(source: string, target: string): void {
  execFileSync('mount', ['--bind', source, target]);
  mounts.push(target);
}

function actions(protectedPaths: readonly string[] = [dataDir]) {
  const list = hostActions({ quarantineDir, protectedPaths, dockerSocketPath: docker.socketPath, containerdSocketPath: join(work.path, 'no-containerd.sock') });
  return { acquire: actionOf(list, 'acquire-file'), quarantine: actionOf(list, 'file-quarantine'), unquarantine: actionOf(list, 'file-unquarantine') };
}

/** Acquires `path` inside the container; returns the error, asserting nothing was uploaded. */
async function acquireRefusal(path: string): Promise<unknown> {
  const context = hostWork('acquire-file', { 'path.absolute': path, 'container.id': containerId });
  const error = await actions().acquire.execute(context).catch((caught: unknown) => caught);
  expect(context.uploads).toEqual([]);
  return error;
}

/** Quarantines `path` inside the container; returns the error, asserting nothing was recorded or moved into quarantine. */
async function quarantineRefusal(path: string): Promise<unknown> {
  const context = hostWork('file-quarantine', { 'path.absolute': path, 'container.id': containerId });
  const error = await actions().quarantine.execute(context).catch((caught: unknown) => caught);
  expect(context.progress).toEqual([]);
  expect(await missing(join(quarantineDir, context.work.actionId))).toBe(true);
  return error;
}

describe('a protected host path bind-mounted into a container root', () => {
  it('refuses acquire and quarantine of the protected DATA_DIR mounted whole into the container', async () => {
    // Prepare: <root>/var/lib/app is DATA_DIR
    bindMount(dataDir, join(root, 'var', 'lib', 'app'));

    // Act
    const acquired = await acquireRefusal('/var/lib/app/auth/issuer-keys.json');
    const quarantined = await quarantineRefusal('/var/lib/app/auth/issuer-keys.json');

    // Assess
    expect(acquired).toMatchObject({ code: 'ProtectedPath', message: expect.stringContaining(`in container ${containerId}`) as unknown });
    expect(quarantined).toMatchObject({ code: 'ProtectedPath' });
    expect(await contentSha(issuerKeys)).toBe(sha256(keysContent));
  });

  it('refuses a directory below DATA_DIR mounted into the container, though DATA_DIR itself is not on the path', async () => {
    // Prepare: <root>/var/lib/app is DATA_DIR/auth; '..' from a mount's root leaves the mount, so DATA_DIR is never walked through
    bindMount(join(dataDir, 'auth'), join(root, 'var', 'lib', 'app'));

    // Act
    const acquired = await acquireRefusal('/var/lib/app/issuer-keys.json');
    const quarantined = await quarantineRefusal('/var/lib/app/issuer-keys.json');

    // Assess
    expect(acquired).toMatchObject({ code: 'ProtectedPath', message: expect.stringContaining(dataDir) as unknown });
    expect(quarantined).toMatchObject({ code: 'ProtectedPath' });
    expect(await contentSha(issuerKeys)).toBe(sha256(keysContent));
    expect(await readdir(join(dataDir, 'auth'))).toEqual(['issuer-keys.json']);
  });

  it('refuses a single file from under DATA_DIR mounted over a file of the container', async () => {
    // Prepare: <root>/etc/app.conf is DATA_DIR/auth/issuer-keys.json
    bindMount(issuerKeys, join(root, 'etc', 'app.conf'));

    // Act
    const acquired = await acquireRefusal('/etc/app.conf');
    const quarantined = await quarantineRefusal('/etc/app.conf');

    // Assess
    expect(acquired).toMatchObject({ code: 'ProtectedPath' });
    expect(quarantined).toMatchObject({ code: 'ProtectedPath' });
    expect(await contentSha(issuerKeys)).toBe(sha256(keysContent));
  });

  it("refuses the host's /etc/shadow mounted over the container's, protected by default", async () => {
    // Prepare
    await plantFile(join(root, 'etc', 'shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    bindMount('/etc/shadow', join(root, 'etc', 'shadow'));

    // Act
    const acquired = await acquireRefusal('/etc/shadow');

    // Assess
    expect(acquired).toMatchObject({ code: 'ProtectedPath', message: expect.stringContaining('/etc/shadow') as unknown });
  });

  it('reads the same bind-mounted file where nothing protects DATA_DIR, and the container’s own files where it does', async () => {
    // Prepare: the controls, so the refusals above are the protection and not the mount or the container
    bindMount(join(dataDir, 'auth'), join(root, 'var', 'lib', 'app'));
    const unprotected = hostWork('acquire-file', { 'path.absolute': '/var/lib/app/issuer-keys.json', 'container.id': containerId });
    const own = hostWork('acquire-file', { 'path.absolute': '/etc/app.conf', 'container.id': containerId });

    // Act
    await actions([]).acquire.execute(unprotected);
    const outcome = await actions().acquire.execute(own);

    // Assess
    expect(unprotected.uploads.map((upload) => sha256(upload.body))).toEqual([sha256(keysContent)]);
    expect(own.uploads.map((upload) => upload.body.toString('utf8'))).toEqual(['container config\n']);
    expect(objectOf(outcome.result)).toMatchObject({ hostPath: join(root, 'etc', 'app.conf') });
  });

  it('refuses to restore into a container directory that is a bind mount of a protected directory, leaving the file in quarantine', async () => {
    // Prepare: a file quarantined from <root>/var/lib/app while nothing protected it; then DATA_DIR/auth is mounted there
    await plantFile(join(root, 'var', 'lib', 'app', 'dropper'), 'malware\n');
    const inputs = { 'path.absolute': '/var/lib/app/dropper', 'container.id': containerId };
    const quarantineWork = hostWork('file-quarantine', inputs);
    const outcome = await actions([]).quarantine.execute(quarantineWork);
    bindMount(join(dataDir, 'auth'), join(root, 'var', 'lib', 'app'));
    const undo = hostWork('file-unquarantine', inputs, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) });

    // Act
    const error = await actions().unquarantine.execute(undo).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'ProtectedPath' });
    expect(undo.progress).toEqual([]);
    expect(await readdir(join(dataDir, 'auth'))).toEqual(['issuer-keys.json']);
    expect(await contentSha(join(quarantineDir, quarantineWork.work.actionId))).toBe(sha256('malware\n'));
  });
});
