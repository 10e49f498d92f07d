import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { securePrivateDataDir, UnsafeDataDirError } from '#local/data-dir.ts';

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
