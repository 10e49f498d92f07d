/**
 * Real container runtimes for the host responder's container tests: containerd and dockerd (from
 * Debian's packages, as .ci/run installs them) started on sockets in a temporary directory, with
 * a tiny busybox image built here (no registry: a rootfs layer tar, config and manifests written
 * by hand with their SHA-256, packed as an OCI layout with a Docker manifest.json beside it) and
 * loaded into both. Everything is removed again by stop(). Needs root.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, readdir, readFile, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's docker client, which speaks the daemon's API (a newer client may be first on PATH). */
export const dockerClient = '/usr/bin/docker';
export const busyboxImage = 'localhost/response-actions-busybox:test';

/** Each binary the tests need, with the Debian package that ships it. */
const binaries = [
  { path: '/usr/bin/containerd', pkg: 'containerd' },
  { path: '/usr/bin/ctr', pkg: 'containerd' },
  { path: '/usr/sbin/runc', pkg: 'runc' },
  { path: '/usr/sbin/dockerd', pkg: 'docker.io' },
  { path: dockerClient, pkg: 'docker.io' },
  { path: '/bin/busybox', pkg: 'busybox-static' },
] as const;

const installHint = 'install them as root with `apt-get install -y --no-install-recommends containerd runc docker.io busybox-static` (.ci/run does)';

/** Throws one sentence naming every missing package, or that root is needed. */
export async function requireRuntimes(): Promise<void> {
  const missing = new Set<string>();
  for (const binary of binaries) {
    if (!(await access(binary.path).then(() => true, () => false))) missing.add(`${binary.pkg} (${binary.path})`);
  }
  if (missing.size > 0) {
    throw new Error(`The host responder's container tests run against real container runtimes, and these packages are missing: ${[...missing].join(', ')}; ${installHint}.`);
  }
  if (process.getuid?.() !== 0) throw new Error("The host responder's container tests start containerd and dockerd, which needs root; run npm test as root.");
}

export interface RealRuntimes {
  readonly dir: string;
  readonly containerdSocket: string;
  readonly dockerSocket: string;
  stop(): Promise<void>;
}

interface Daemon {
  readonly child: ChildProcess;
  readonly log: string;
  readonly exited: Promise<void>;
}

function startDaemon(command: string, args: readonly string[], log: string): Daemon {
  const out = openSync(log, 'a');
  const child = spawn(command, args, { stdio: ['ignore', out, out], detached: false });
  // The child has its own copy of the log's descriptor.
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  return { child, log, exited };
}

async function tail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}

/** Polls `ready` until it holds; fails with the daemon's log when it exits or takes over 30 s. */
async function waitReady(name: string, daemon: Daemon, ready: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) throw new Error(`${name} exited at start-up:\n${await tail(daemon.log)}`);
    if (await ready()) return;
    await sleep(100);
  }
  throw new Error(`${name} did not become ready in 30 s:\n${await tail(daemon.log)}`);
}

async function succeeds(command: string, args: readonly string[]): Promise<boolean> {
  return run(command, [...args], { timeout: 10_000 }).then(() => true, () => false);
}

async function stopDaemon(daemon: Daemon | undefined): Promise<void> {
  if (daemon === undefined || daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
  daemon.child.kill('SIGTERM');
  const stopped = await Promise.race([daemon.exited.then(() => true), sleep(15_000, undefined, { ref: false }).then(() => false)]);
  if (!stopped) {
    daemon.child.kill('SIGKILL');
    await daemon.exited;
  }
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The image archive: one layer with /bin/busybox and its applets as links, a config and an OCI
 * manifest written here, in an OCI layout (`ctr images import` reads it) with a Docker
 * manifest.json naming the same blobs (Docker 20.10's `docker load` reads only that form).
 */
export async function buildBusyboxArchive(dir: string): Promise<string> {
  const rootfs = join(dir, 'rootfs');
  const layout = join(dir, 'layout');
  const blobs = join(layout, 'blobs', 'sha256');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await mkdir(join(rootfs, 'tmp'), { mode: 0o1777 });
  await mkdir(join(rootfs, 'etc'));
  await mkdir(blobs, { recursive: true });
  await copyFile('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const applet of ['sh', 'sleep', 'cat', 'echo', 'ls', 'true']) await symlink('busybox', join(rootfs, 'bin', applet));
  await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  const layerPath = join(dir, 'layer.tar');
  await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', rootfs, '-cf', layerPath, '.']);
  const layer = await readFile(layerPath);
  const layerDigest = sha256(layer);
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const config = JSON.stringify({
    architecture: arch,
    os: 'linux',
    config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
  });
  const configDigest = sha256(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configDigest}`, size: Buffer.byteLength(config) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layer.length }],
  });
  const manifestDigest = sha256(manifest);
  await writeFile(join(blobs, layerDigest), layer);
  await writeFile(join(blobs, configDigest), config);
  await writeFile(join(blobs, manifestDigest), manifest);
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${manifestDigest}`,
          size: Buffer.byteLength(manifest),
          annotations: { 'io.containerd.image.name': busyboxImage, 'org.opencontainers.image.ref.name': 'test' },
        },
      ],
    }),
  );
  await writeFile(join(layout, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${configDigest}`, RepoTags: [busyboxImage], Layers: [`blobs/sha256/${layerDigest}`] }]));
  const archive = join(dir, 'busybox.tar');
  await run('tar', ['-C', layout, '-cf', archive, '.']);
  return archive;
}

function containerdConfig(dir: string, socket: string): string {
  return [
    'version = 2',
    `root = "${join(dir, 'root')}"`,
    `state = "${join(dir, 'state')}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]',
    `  address = "${socket}"`,
    '[ttrpc]',
    `  address = "${socket}.ttrpc"`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${join(dir, 'opt')}"`,
    '',
  ].join('\n');
}

/** The `ctr` command line on this containerd. */
export function ctrArgs(containerdSocket: string, namespace: string, ...args: string[]): string[] {
  return ['--address', containerdSocket, '--namespace', namespace, ...args];
}

async function lines(command: string, args: readonly string[]): Promise<string[]> {
  const { stdout } = await run(command, [...args], { timeout: 30_000 }).catch(() => ({ stdout: '' }));
  return stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
}

/** Removes every container (and its task) of every namespace of this containerd, so its shims exit. */
async function removeContainerdContainers(socket: string): Promise<void> {
  for (const namespace of await lines('ctr', ['--address', socket, 'namespaces', 'list', '--quiet'])) {
    for (const id of await lines('ctr', ctrArgs(socket, namespace, 'containers', 'list', '--quiet'))) {
      await run('ctr', ctrArgs(socket, namespace, 'tasks', 'delete', '--force', id), { timeout: 30_000 }).catch(() => undefined);
      await run('ctr', ctrArgs(socket, namespace, 'containers', 'delete', id), { timeout: 30_000 }).catch(() => undefined);
    }
  }
}

/** Mount points under `dir`, deepest first (overlay roots left by a daemon that died). */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((left, right) => right.length - left.length);
}

/** Removes the directory if it is empty (another run's state in it stays). */
async function removeIfEmpty(path: string): Promise<void> {
  await rmdir(path).catch(() => undefined);
}

/** Starts containerd, then dockerd on it, builds the busybox image and loads it into both. */
export async function startRealRuntimes(): Promise<RealRuntimes> {
  await requireRuntimes();
  const dir = await mkdtemp(join(tmpdir(), 'ra-runtimes-'));
  const containerdSocket = join(dir, 'containerd.sock');
  const dockerSocket = join(dir, 'docker.sock');
  const keyFileExisted = await stat('/etc/docker/key.json').then(() => true, () => false);
  let containerd: Daemon | undefined;
  let dockerd: Daemon | undefined;

  const stop = async (): Promise<void> => {
    if (dockerd !== undefined && dockerd.child.exitCode === null) {
      const ids = await lines(dockerClient, ['-H', `unix://${dockerSocket}`, 'ps', '--all', '--quiet', '--no-trunc']);
      if (ids.length > 0) await run(dockerClient, ['-H', `unix://${dockerSocket}`, 'rm', '--force', ...ids], { timeout: 60_000 }).catch(() => undefined);
    }
    await stopDaemon(dockerd);
    if (containerd !== undefined && containerd.child.exitCode === null) await removeContainerdContainers(containerdSocket);
    await stopDaemon(containerd);
    for (const point of await mountsUnder(dir)) await run('umount', ['--lazy', point]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    // The shims' and runc's state lives under /run/containerd whatever the config says: the
    // containers are deleted above, so only empty directories are left to remove.
    for (const namespace of await readdir('/run/containerd/runc').catch(() => [])) await removeIfEmpty(join('/run/containerd/runc', namespace));
    for (const path of ['/run/containerd/runc', '/run/containerd/s', '/run/containerd/fifo', '/run/containerd', '/run/docker/plugins', '/run/docker']) await removeIfEmpty(path);
    if (!keyFileExisted) {
      await rm('/etc/docker/key.json', { force: true });
      await removeIfEmpty('/etc/docker');
    }
  };

  try {
    const containerdDir = join(dir, 'containerd');
    await mkdir(containerdDir);
    const config = join(containerdDir, 'config.toml');
    await writeFile(config, containerdConfig(containerdDir, containerdSocket));
    const containerdLog = join(dir, 'containerd.log');
    containerd = startDaemon('containerd', ['--config', config], containerdLog);
    const started = containerd;
    await waitReady('containerd', started, () => succeeds('ctr', ['--address', containerdSocket, 'version']));

    const dockerDir = join(dir, 'docker');
    const dockerLog = join(dir, 'dockerd.log');
    const dockerArgs = (driver: string) => [
      '-H', `unix://${dockerSocket}`,
      '--data-root', join(dockerDir, 'data'),
      '--exec-root', join(dockerDir, 'exec'),
      '--pidfile', join(dockerDir, 'dockerd.pid'),
      '--containerd', containerdSocket,
      '--iptables=false', '--ip-masq=false', '--bridge=none',
      '--storage-driver', driver,
    ];
    dockerd = startDaemon('dockerd', dockerArgs('overlay2'), dockerLog);
    try {
      await waitReady('dockerd', dockerd, () => succeeds(dockerClient, ['-H', `unix://${dockerSocket}`, 'version']));
    } catch {
      // overlay2 needs a file system that takes overlay upper directories; vfs works anywhere.
      await stopDaemon(dockerd);
      await rm(join(dockerDir, 'data'), { recursive: true, force: true });
      dockerd = startDaemon('dockerd', dockerArgs('vfs'), dockerLog);
      const second = dockerd;
      await waitReady('dockerd (vfs)', second, () => succeeds(dockerClient, ['-H', `unix://${dockerSocket}`, 'version']));
    }

    const archive = await buildBusyboxArchive(join(dir, 'image'));
    await run('ctr', ctrArgs(containerdSocket, 'default', 'images', 'import', archive), { timeout: 60_000 });
    await run(dockerClient, ['-H', `unix://${dockerSocket}`, 'load', '--input', archive], { timeout: 60_000 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, containerdSocket, dockerSocket, stop };
}
