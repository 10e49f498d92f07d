import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { securePrivateDataDir, UnsafeDataDirError } from '#local/data-dir.ts';
import { FileEvidenceStore } from '#local/evidence/file-evidence-store.ts';
import { EvidenceUrlSigner } from '#local/evidence/signed-urls.ts';
import { systemClock } from '#shared/clock.ts';

/**
 * Another local user who created DATA_DIR first (or planted a link where it will be) could swap the
 * service's key files inside it later, whatever mode the service sets: such a DATA_DIR is refused,
 * and nothing is written into it.
 */
describe('DATA_DIR that is not the service user\'s own', () => {
  let scratch: string;
  const nobody = 65534;

  beforeEach(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'data-dir-owner-'));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('refuses a DATA_DIR owned by another user, naming DATA_DIR, and writes nothing into it', async () => {
    // Prepare: the test runs as root (the host responder tests need it too), so it can hand the directory to nobody.
    expect(process.getuid?.(), 'this test needs root to chown a directory to another user').toBe(0);
    const planted = path.join(scratch, 'data');
    await mkdir(planted);
    await chmod(planted, 0o777);
    await chown(planted, nobody, nobody);

    // Act
    const refused = await securePrivateDataDir(planted).then(() => undefined, (error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(UnsafeDataDirError);
    expect((refused as Error).message).toMatch(/^DATA_DIR: .* belongs to uid 65534/);
    expect(await readdir(planted)).toEqual([]);
    expect((await lstat(planted)).mode & 0o777).toBe(0o777);
  });

  it('refuses a DATA_DIR that is a symbolic link, and leaves its target alone', async () => {
    // Prepare
    const target = path.join(scratch, 'elsewhere');
    await mkdir(target);
    await chmod(target, 0o755);
    const link = path.join(scratch, 'data');
    await symlink(target, link);

    // Act
    const refused = await securePrivateDataDir(link).then(() => undefined, (error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(UnsafeDataDirError);
    expect((refused as Error).message).toContain('symbolic link');
    expect((await lstat(target)).mode & 0o777).toBe(0o755);
  });

  // DATA_DIR is ours but was once open to others (0777): what they planted in it then must not become the service's keys or stores.
  it.each([
    ['a signing key file another user planted', 'evidence-signing-key', 'file'],
    ['a key file that is a symbolic link to another user\'s file', 'work-signing-key.json', 'link'],
    ['another user\'s auth directory', 'auth', 'directory'],
    ['another user\'s issuer key file in the service\'s auth directory', path.join('auth', 'issuer-keys.json'), 'file'],
    ['another user\'s socket directory', 'sockets', 'directory'],
  ] as const)('refuses a DATA_DIR holding %s, changing none of it', async (_name, entry, kind) => {
    // Prepare
    expect(process.getuid?.(), 'this test needs root to chown a file to another user').toBe(0);
    const dataDir = path.join(scratch, 'data');
    await mkdir(path.join(dataDir, 'auth'), { recursive: true, mode: 0o700 });
    if (entry === 'auth') await rm(path.join(dataDir, 'auth'), { recursive: true });
    await chmod(dataDir, 0o777);
    const planted = path.join(dataDir, entry);
    const theirs = path.join(scratch, 'theirs');
    if (kind === 'directory') await mkdir(theirs, { mode: 0o777 });
    else await writeFile(theirs, 'a secret the other user knows, 32 bytes and more', { mode: 0o644 });
    await chmod(theirs, kind === 'directory' ? 0o777 : 0o644);
    await chown(theirs, nobody, nobody);
    if (kind === 'link') await symlink(theirs, planted);
    else await rename(theirs, planted);

    // Act
    const refused = await securePrivateDataDir(dataDir).then(() => undefined, (error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(UnsafeDataDirError);
    expect((refused as Error).message).toContain(planted);
    const facts = await stat(planted);
    expect({ uid: facts.uid, mode: facts.mode & 0o777 }).toEqual({ uid: nobody, mode: kind === 'directory' ? 0o777 : 0o644 });
  });

  it('stops `npm start` with one configuration line naming DATA_DIR (exit 2), not a stack trace', async () => {
    // Prepare
    expect(process.getuid?.(), 'this test needs root to chown a directory to another user').toBe(0);
    const planted = path.join(scratch, 'data');
    await mkdir(planted);
    await chown(planted, nobody, nobody);

    // Act
    const started = spawnSync(process.execPath, ['local/main.ts'], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], PORT: '0', DATA_DIR: planted, AWS_REGION: 'us-east-1' },
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assess
    expect({ status: started.status, stderr: started.stderr.trim() }).toEqual({
      status: 2,
      stderr: `configuration: DATA_DIR: ${planted} belongs to uid 65534, not to this service's user (uid 0); use a directory this user created`,
    });
  });

  it('takes its own directory, new or existing, and makes it 0700', async () => {
    // Prepare
    const existing = path.join(scratch, 'existing');
    await mkdir(existing);
    await chmod(existing, 0o755);
    const fresh = path.join(scratch, 'fresh', 'nested');

    // Act
    await securePrivateDataDir(existing);
    await securePrivateDataDir(fresh);

    // Assess
    expect((await lstat(existing)).mode & 0o777).toBe(0o700);
    expect((await lstat(fresh)).mode & 0o777).toBe(0o700);
  });
});

/**
 * The same for DATA_DIR/evidence and each action's directory in it: a link or another user's
 * directory planted there (while DATA_DIR was open to others) would let its owner swap or plant
 * evidence. The store refuses to open; nothing is written, no mode is changed.
 */
describe('DATA_DIR/evidence that is not the service user\'s own', () => {
  let dataDir: string;
  const nobody = 65534;
  const openStore = (): Promise<unknown> =>
    FileEvidenceStore.open({ root: path.join(dataDir, 'evidence'), clock: systemClock, urls: new EvidenceUrlSigner(Buffer.alloc(32), () => 'http://127.0.0.1:9') }).then(
      () => undefined,
      (error: unknown) => error,
    );

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'evidence-owner-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses an evidence directory owned by another user, and leaves it as it was', async () => {
    // Prepare: as root (chmod would otherwise succeed on another user's directory and hide the owner)
    expect(process.getuid?.(), 'this test needs root to chown a directory to another user').toBe(0);
    const planted = path.join(dataDir, 'evidence');
    await mkdir(planted);
    await chmod(planted, 0o777);
    await chown(planted, nobody, nobody);

    // Act
    const refused = await openStore();

    // Assess
    expect(refused).toBeInstanceOf(UnsafeDataDirError);
    expect((refused as Error).message).toMatch(/^DATA_DIR\/evidence: .* belongs to uid 65534/);
    expect(await readdir(planted)).toEqual([]);
    expect((await lstat(planted)).mode & 0o777).toBe(0o777);
  });

  it('refuses an evidence directory that is a symbolic link, and leaves its target alone', async () => {
    // Prepare
    const target = path.join(dataDir, 'elsewhere');
    await mkdir(target);
    await chmod(target, 0o755);
    await symlink(target, path.join(dataDir, 'evidence'));

    // Act
    const refused = await openStore();

    // Assess
    expect(refused).toBeInstanceOf(UnsafeDataDirError);
    expect((refused as Error).message).toContain('symbolic link');
    expect(await readdir(target)).toEqual([]);
    expect((await lstat(target)).mode & 0o777).toBe(0o755);
  });

  it.each([
    ['a symbolic link to another user\'s directory', 'link'],
    ['another user\'s directory', 'directory'],
    ['a directory whose .meta is another user\'s', 'meta'],
  ] as const)('refuses an action directory that is %s', async (_name, planted) => {
    // Prepare
    expect(process.getuid?.(), 'this test needs root to chown a directory to another user').toBe(0);
    const root = path.join(dataDir, 'evidence');
    await mkdir(root, { mode: 0o700 });
    const theirs = path.join(dataDir, 'theirs');
    await mkdir(theirs);
    await chown(theirs, nobody, nobody);
    const actionDir = path.join(root, 'act-planted');
    if (planted === 'link') await symlink(theirs, actionDir);
    if (planted === 'directory') await rename(theirs, actionDir);
    if (planted === 'meta') {
      await mkdir(actionDir, { mode: 0o700 });
      await rename(theirs, path.join(actionDir, '.meta'));
    }

    // Act
    const refused = await openStore();

    // Assess
    expect(refused).toBeInstanceOf(UnsafeDataDirError);
    expect((refused as Error).message).toMatch(/^DATA_DIR\/evidence: .*act-planted/);
  });
});
