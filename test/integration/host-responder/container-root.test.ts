/**
 * Paths inside a container, resolved in its root without following links out of it. The roots
 * here are fake container file systems in temporary directories, beside a host directory with a
 * secret that no resolution may reach; the last tests go through file actions, with a Docker
 * test server naming the fake root as the container's MergedDir.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import { resolveInRoot } from '../../../responders/host/scoped-path.ts';
import { actionOf, hostWork, objectOf, undoSourceOf } from './support/context.ts';
import { dockerInspect, dockerVersion, startDockerTestServer } from './support/docker-test-server.ts';
import type { DockerTestServer } from './support/docker-test-server.ts';
import { contentSha, missing, plantFile, sha256, statOf, temporaryDirectory } from './support/files.ts';

let work: { path: string; remove: () => Promise<void> };
let root: string;
let outside: string;

beforeEach(async () => {
  // Prepare: <work>/root is the container's root; <work>/host-secrets is the host's
  work = await temporaryDirectory('container-root');
  root = join(work.path, 'root');
  outside = join(work.path, 'host-secrets');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'usr', 'bin'), { recursive: true });
  await mkdir(outside);
  await plantFile(join(root, 'etc', 'passwd'), 'container passwd\n');
  await plantFile(join(root, 'usr', 'bin', 'miner'), 'container miner\n', { mode: 0o755 });
  await plantFile(join(outside, 'secret'), 'host secret\n');
});

afterEach(async () => {
  await work.remove();
});

describe('resolving a path inside a container root', () => {
  it('resolves an absolute link in a directory of the path inside the root, as the container sees it', async () => {
    // Prepare: /bin -> /usr/bin, as in merged-/usr images
    await symlink('/usr/bin', join(root, 'bin'));

    // Act
    const entry = await resolveInRoot(root, '/bin/miner');

    // Assess
    try {
      expect(entry.resolvedPath).toBe('/usr/bin/miner');
      expect(entry.hostPath).toBe(join(root, 'usr', 'bin', 'miner'));
      expect(await readFile(entry.handlePath, 'utf8')).toBe('container miner\n');
    } finally {
      await entry.close();
    }
  });

  it('never follows an absolute link to a host path out of the root: it is read inside the root, where nothing is', async () => {
    // Prepare: <root>/data -> <work>/host-secrets (an absolute host path)
    await symlink(outside, join(root, 'data'));

    // Act
    const attempt = resolveInRoot(root, '/data/secret');

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 'FileNotFound',
      message: expect.stringContaining(`inside the container's file system (root ${root})`) as unknown,
    });
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('host secret\n');
  });

  it("refuses a relative link that climbs above the container's root", async () => {
    // Prepare: <root>/etc/up -> ../../host-secrets
    await symlink('../../host-secrets', join(root, 'etc', 'up'));

    // Act
    const attempt = resolveInRoot(root, '/etc/up/secret');

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'PathEscapesContainer', message: expect.stringContaining("climbs above the container's root") as unknown });
  });

  it('refuses an absolute link that climbs with .. from the root', async () => {
    // Prepare: <root>/escape -> /../../..<outside>
    await symlink(`/../..${outside}`, join(root, 'escape'));

    // Act
    const attempt = resolveInRoot(root, '/escape/secret');

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'PathEscapesContainer' });
  });

  it('stops at 40 links, as the kernel does', async () => {
    // Prepare
    await symlink('/loop-b', join(root, 'loop-a'));
    await symlink('/loop-a', join(root, 'loop-b'));

    // Act
    const attempt = resolveInRoot(root, '/loop-a/file');

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'TooManyLinks' });
  });

  it('leaves a link in the last component unresolved: the link is the file', async () => {
    // Prepare
    await symlink(join(outside, 'secret'), join(root, 'etc', 'shadow'));

    // Act
    const entry = await resolveInRoot(root, '/etc/shadow');

    // Assess
    try {
      expect((await statOf(entry.handlePath)).isSymbolicLink()).toBe(true);
      expect(entry.resolvedPath).toBe('/etc/shadow');
    } finally {
      await entry.close();
    }
  });

  it("keeps '..' at the host's / as the kernel does", async () => {
    // Act
    const entry = await resolveInRoot('/', `/../../..${join(root, 'etc', 'passwd')}`);

    // Assess
    try {
      expect(entry.resolvedPath).toBe(join(root, 'etc', 'passwd'));
    } finally {
      await entry.close();
    }
  });
});

describe('open directories', () => {
  it('are all closed again, after success and after refusal', async () => {
    // Prepare
    await symlink('../../host-secrets', join(root, 'etc', 'up'));
    const before = (await readdir('/proc/self/fd')).length;

    // Act
    for (let round = 0; round < 20; round += 1) {
      const entry = await resolveInRoot(root, '/etc/passwd');
      await entry.close();
      await expect(resolveInRoot(root, '/etc/up/secret')).rejects.toMatchObject({ code: 'PathEscapesContainer' });
      await expect(resolveInRoot(root, '/usr/missing/file')).rejects.toMatchObject({ code: 'FileNotFound' });
    }

    // Assess
    expect((await readdir('/proc/self/fd')).length).toBe(before);
  });
});

describe('file actions inside a Docker container (its MergedDir from a Docker test server)', () => {
  const containerId = randomBytes(32).toString('hex');
  let docker: DockerTestServer;

  beforeEach(async () => {
    docker = await startDockerTestServer(work.path, (request) => {
      if (request.path === '/version') return { status: 200, json: dockerVersion('1.47') };
      if (request.path === `/v1.47/containers/${containerId.slice(0, 12)}/json` || request.path === `/v1.47/containers/${containerId}/json`) {
        return { status: 200, json: dockerInspect({ id: containerId, name: 'web', status: 'exited', mergedDir: root }) };
      }
      return { status: 404, json: { message: `No such container: ${request.path}` } };
    });
  });

  afterEach(async () => {
    await docker.close();
  });

  function actions() {
    return hostActions({ quarantineDir: join(work.path, 'quarantine'), dockerSocketPath: docker.socketPath, containerdSocketPath: join(work.path, 'no-containerd.sock') });
  }

  it('quarantines a file by its path inside the container, and the undo puts it back there', async () => {
    // Prepare
    await symlink('/usr/bin', join(root, 'bin'));
    const list = actions();
    const inputs = { 'path.absolute': '/bin/miner', 'container.id': containerId.slice(0, 12) };

    // Act
    const quarantineWork = hostWork('file-quarantine', inputs);
    const outcome = await actionOf(list, 'file-quarantine').execute(quarantineWork);

    // Assess
    expect(await missing(join(root, 'usr', 'bin', 'miner'))).toBe(true);
    expect(objectOf(outcome.prior)).toMatchObject({ path: '/bin/miner', resolvedPath: '/usr/bin/miner', root, container: { id: containerId, name: 'web', runtime: 'docker' } });
    expect(objectOf(outcome.applied)['containerId']).toBe(containerId);
    expect(docker.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /version', `GET /v1.47/containers/${containerId.slice(0, 12)}/json`]);

    // Act
    await actionOf(list, 'file-unquarantine').execute(hostWork('file-unquarantine', inputs, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) }));

    // Assess
    expect(await contentSha(join(root, 'usr', 'bin', 'miner'))).toBe(sha256('container miner\n'));
    expect(docker.requests.at(-1)).toEqual({ method: 'GET', path: `/v1.47/containers/${containerId}/json`, query: {} });
  });

  it('acquires a file inside the container and refuses one reached by climbing out', async () => {
    // Prepare
    await symlink('../../../host-secrets', join(root, 'etc', 'up'));
    const acquire = actionOf(actions(), 'acquire-file');

    // Act
    const context = hostWork('acquire-file', { 'path.absolute': '/etc/passwd', 'container.id': containerId });
    const outcome = await acquire.execute(context);
    const escape = acquire.execute(hostWork('acquire-file', { 'path.absolute': '/etc/up/secret', 'container.id': containerId }));

    // Assess
    expect(context.uploads[0]?.body.toString('utf8')).toBe('container passwd\n');
    expect(objectOf(outcome.result)).toMatchObject({ sha256: sha256('container passwd\n'), hostPath: join(root, 'etc', 'passwd') });
    await expect(escape).rejects.toMatchObject({ code: 'PathEscapesContainer' });
  });
});
