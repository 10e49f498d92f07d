/**
 * file-quarantine and file-unquarantine for real, on files in temporary directories: the moves,
 * modes, owners, mtimes and hashes are checked with the file system itself. Cross-file-system
 * moves use /dev/shm (a tmpfs) against /tmp (the root file system here): a real EXDEV.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, link, mkdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork, objectOf, textOf, undoSourceOf } from './support/context.ts';
import { contentSha, missing, modeOf, plantFile, sha256, statOf, temporaryDirectory } from './support/files.ts';

let work: { path: string; remove: () => Promise<void> };
let quarantineDir: string;

beforeEach(async () => {
  work = await temporaryDirectory('host-files');
  quarantineDir = join(work.path, 'state', 'quarantine');
});

afterEach(async () => {
  await work.remove();
});

function actions(dir = quarantineDir) {
  const list = hostActions({ quarantineDir: dir });
  return { quarantine: actionOf(list, 'file-quarantine'), unquarantine: actionOf(list, 'file-unquarantine') };
}

describe('file-quarantine and its undo on real files', () => {
  it('moves the file into a 0700 quarantine with mode 0000, recording it first, and the undo restores it exactly', async () => {
    // Prepare
    const path = join(work.path, 'payload.bin');
    const content = randomBytes(70_000);
    await plantFile(path, content, { uid: 1234, gid: 5678, mode: 0o4750, mtimeSeconds: 1_700_000_000.123456 });
    const before = await statOf(path);
    const { quarantine, unquarantine } = actions();
    const context = hostWork('file-quarantine', { 'path.absolute': path });
    const recordedWhile: boolean[] = [];
    const record = context.recordProgress.bind(context);
    const withCheck = { ...context, recordProgress: async (step: Parameters<typeof record>[0]) => { recordedWhile.push(existsSync(path)); await record(step); } };

    // Act
    const outcome = await quarantine.execute(withCheck);

    // Assess
    expect(recordedWhile).toEqual([true]);
    expect(await missing(path)).toBe(true);
    const applied = objectOf(outcome.applied);
    const quarantinePath = textOf(applied['quarantinePath']);
    expect(quarantinePath).toBe(join(quarantineDir, context.work.actionId));
    const held = await statOf(quarantinePath);
    expect(modeOf(held)).toBe(0);
    expect(held.ino).toBe(before.ino);
    expect(await contentSha(quarantinePath)).toBe(sha256(content));
    const dir = await stat(quarantineDir);
    expect([dir.mode & 0o777, dir.uid]).toEqual([0o700, 0]);
    expect(objectOf(context.progress[0]?.applied)).toMatchObject({ path, method: null, sha256: sha256(content) });
    expect(objectOf(outcome.prior)).toMatchObject({
      path,
      type: 'file',
      mode: 0o4750,
      modeOctal: '04750',
      uid: 1234,
      gid: 5678,
      size: 70_000,
      sha256: sha256(content),
      nlink: 1,
      inode: before.ino.toString(),
      mtimeNs: before.mtimeNs.toString(),
    });
    expect(applied).toMatchObject({ method: 'rename', quarantinedMode: 0, sha256: sha256(content), uid: 1234, gid: 5678, mode: 0o4750 });
    expect(objectOf(outcome.result)).toMatchObject({ quarantinedTo: quarantinePath, method: 'rename', hardLinks: { count: 1, othersRemain: 0 }, notes: [] });
    expect(JSON.parse(await readFile(`${quarantinePath}.json`, 'utf8'))).toMatchObject({ actionId: context.work.actionId, applied: { method: 'rename' } });

    // Act: the undo, with the inputs and applied the service would hand over
    const undo = hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', outcome, context.work.actionId) });
    const restored = await unquarantine.execute(undo);

    // Assess
    const after = await statOf(path);
    expect(await contentSha(path)).toBe(sha256(content));
    expect([modeOf(after), after.uid, after.gid, after.mtimeNs, after.ino]).toEqual([0o4750, 1234n, 5678n, before.mtimeNs, before.ino]);
    expect(await missing(quarantinePath)).toBe(true);
    expect(await missing(`${quarantinePath}.json`)).toBe(true);
    expect(objectOf(restored.result)).toMatchObject({ path, method: 'link', mode: 0o4750, uid: 1234, gid: 5678, mtimeNs: before.mtimeNs.toString(), drift: [] });
  });

  it('quarantines a symbolic link itself, never its target, and puts the link back', async () => {
    // Prepare
    const target = join(work.path, 'target.txt');
    await plantFile(target, 'the target stays\n', { mode: 0o640 });
    const path = join(work.path, 'link');
    await symlink(target, path);
    execFileSync('chown', ['-h', '1234:5678', path]);
    const targetBefore = await statOf(target);
    const { quarantine, unquarantine } = actions();

    // Act
    const quarantineWork = hostWork('file-quarantine', { 'path.absolute': path });
    const outcome = await quarantine.execute(quarantineWork);

    // Assess
    const quarantinePath = textOf(objectOf(outcome.applied)['quarantinePath']);
    expect((await statOf(quarantinePath)).isSymbolicLink()).toBe(true);
    expect(await readlink(quarantinePath)).toBe(target);
    expect(await missing(path)).toBe(true);
    const targetAfter = await statOf(target);
    expect([targetAfter.ino, modeOf(targetAfter), await readFile(target, 'utf8')]).toEqual([targetBefore.ino, 0o640, 'the target stays\n']);
    expect(objectOf(outcome.result)).toMatchObject({ type: 'symlink', sha256: null, quarantinedMode: null });
    expect(objectOf(outcome.prior)).toMatchObject({ type: 'symlink', linkTarget: target, uid: 1234, gid: 5678 });

    // Act
    const restored = await unquarantine.execute(hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) }));

    // Assess
    expect(await readlink(path)).toBe(target);
    const link = await statOf(path);
    expect([link.uid, link.gid]).toEqual([1234n, 5678n]);
    expect(objectOf(restored.result)).toMatchObject({ type: 'symlink', drift: [] });
  });

  it('quarantines one name of a hard-linked file and says the other links remain', async () => {
    // Prepare
    const path = join(work.path, 'dropper');
    const other = join(work.path, 'dropper-copy');
    await plantFile(path, 'payload', { mode: 0o755 });
    await link(path, other);
    const { quarantine, unquarantine } = actions();

    // Act
    const quarantineWork = hostWork('file-quarantine', { 'path.absolute': path });
    const outcome = await quarantine.execute(quarantineWork);

    // Assess
    const result = objectOf(outcome.result);
    const inode = textOf(objectOf(outcome.prior)['inode']);
    expect(result['hardLinks']).toEqual({ count: 2, othersRemain: 1 });
    expect(JSON.stringify(result['notes'])).toContain(`1 other hard link to inode ${inode} remains`);
    // The other name shares the inode: its content survives, with the quarantine's mode 0000.
    expect(await readFile(other, 'utf8')).toBe('payload');
    expect(modeOf(await statOf(other))).toBe(0);

    // Act
    await unquarantine.execute(hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) }));

    // Assess
    const restored = await statOf(path);
    expect([restored.nlink, modeOf(restored), modeOf(await statOf(other))]).toEqual([2n, 0o755, 0o755]);
  });

  it('moves across file systems (tmpfs quarantine, EXDEV) by copy, fsync, hash check and unlink, and back the same way', async () => {
    // Prepare: /dev/shm is a tmpfs, a different file system from /tmp here
    const shm = await temporaryDirectory('host-quarantine', '/dev/shm');
    try {
      const path = join(work.path, 'cross.bin');
      const content = randomBytes(3 * 1024 * 1024 + 17);
      await plantFile(path, content, { uid: 42, gid: 43, mode: 0o2751, mtimeSeconds: 1_600_000_000.654321 });
      const before = await statOf(path);
      expect((await stat(shm.path)).dev).not.toBe(Number(before.dev));
      const { quarantine, unquarantine } = actions(join(shm.path, 'quarantine'));

      // Act
      const quarantineWork = hostWork('file-quarantine', { 'path.absolute': path });
      const outcome = await quarantine.execute(quarantineWork);

      // Assess
      const applied = objectOf(outcome.applied);
      const quarantinePath = textOf(applied['quarantinePath']);
      expect(applied['method']).toBe('copy');
      expect(await missing(path)).toBe(true);
      expect(await contentSha(quarantinePath)).toBe(sha256(content));
      expect(modeOf(await statOf(quarantinePath))).toBe(0);

      // Act
      const restored = await unquarantine.execute(hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) }));

      // Assess
      const after = await statOf(path);
      expect(objectOf(restored.result)['method']).toBe('copy');
      expect(await contentSha(path)).toBe(sha256(content));
      expect([modeOf(after), after.uid, after.gid]).toEqual([0o2751, 42n, 43n]);
      // A copy's mtime goes through utimes, which takes a double (steps of about 240 ns today).
      const drift = after.mtimeNs - before.mtimeNs;
      expect(drift < 1000n && drift > -1000n).toBe(true);
      expect(await missing(quarantinePath)).toBe(true);
    } finally {
      await shm.remove();
    }
  });

  it('refuses to restore over a file that appeared at the path since, touching neither', async () => {
    // Prepare
    const path = join(work.path, 'config');
    await plantFile(path, 'original');
    const { quarantine, unquarantine } = actions();
    const quarantineWork = hostWork('file-quarantine', { 'path.absolute': path });
    const outcome = await quarantine.execute(quarantineWork);
    await writeFile(path, 'written since');
    const quarantinePath = textOf(objectOf(outcome.applied)['quarantinePath']);

    // Act
    const attempt = unquarantine.execute(hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'DestinationExists', message: expect.stringContaining(`${path} exists again since the quarantine`) as unknown });
    expect(await readFile(path, 'utf8')).toBe('written since');
    expect(await contentSha(quarantinePath)).toBe(sha256('original'));
  });

  it('refuses to restore into a directory that is gone, keeping the quarantined copy', async () => {
    // Prepare
    await mkdir(join(work.path, 'sub'));
    const path = join(work.path, 'sub', 'file');
    await plantFile(path, 'kept');
    const { quarantine, unquarantine } = actions();
    const quarantineWork = hostWork('file-quarantine', { 'path.absolute': path });
    const outcome = await quarantine.execute(quarantineWork);
    await rm(join(work.path, 'sub'), { recursive: true });

    // Act
    const attempt = unquarantine.execute(hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'DestinationParentMissing', message: expect.stringContaining(`cannot restore ${path}: its directory is gone`) as unknown });
    expect(await contentSha(textOf(objectOf(outcome.applied)['quarantinePath']))).toBe(sha256('kept'));
  });

  it('refuses to restore content that changed in quarantine', async () => {
    // Prepare
    const path = join(work.path, 'tampered');
    await plantFile(path, 'original');
    const { quarantine, unquarantine } = actions();
    const quarantineWork = hostWork('file-quarantine', { 'path.absolute': path });
    const outcome = await quarantine.execute(quarantineWork);
    await writeFile(textOf(objectOf(outcome.applied)['quarantinePath']), 'changed');

    // Act
    const attempt = unquarantine.execute(hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'HashMismatch' });
    expect(await missing(path)).toBe(true);
  });

  it('undoes a quarantine that recorded but never moved by changing nothing', async () => {
    // Prepare: the record a quarantine leaves when it fails right after recordProgress
    const path = join(work.path, 'never-moved');
    await plantFile(path, 'still here');
    const { quarantine, unquarantine } = actions();
    const context = hostWork('file-quarantine', { 'path.absolute': path });
    const failing = { ...context, recordProgress: async (step: Parameters<typeof context.recordProgress>[0]) => { await context.recordProgress(step); throw new Error('service unreachable'); } };
    await expect(quarantine.execute(failing)).rejects.toThrow('service unreachable');
    const recorded = context.progress[0] ?? {};

    // Act
    const outcome = await unquarantine.execute(
      hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: { actionId: context.work.actionId, type: 'file-quarantine', prior: recorded.prior ?? null, applied: recorded.applied ?? null, result: null } }),
    );

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ restored: false });
    expect(await readFile(path, 'utf8')).toBe('still here');
  });

  it('resolves links in the directories of a host path, and records where the file really was', async () => {
    // Prepare
    await mkdir(join(work.path, 'real'));
    await symlink(join(work.path, 'real'), join(work.path, 'via'));
    await plantFile(join(work.path, 'real', 'file'), 'x');
    const { quarantine } = actions();

    // Act
    const outcome = await quarantine.execute(hostWork('file-quarantine', { 'path.absolute': join(work.path, 'via', 'file') }));

    // Assess
    expect(objectOf(outcome.prior)['resolvedPath']).toBe(join(work.path, 'real', 'file'));
    expect(await missing(join(work.path, 'real', 'file'))).toBe(true);
  });

  it('refuses what is not a regular file or a link, and what is not there', async () => {
    // Prepare
    await mkdir(join(work.path, 'dir'));
    execFileSync('mkfifo', [join(work.path, 'fifo')]);
    const { quarantine } = actions();

    // Act
    const attempt = (name: string) => quarantine.execute(hostWork('file-quarantine', { 'path.absolute': join(work.path, name) }));

    // Assess
    await expect(attempt('dir')).rejects.toMatchObject({ code: 'NotARegularFile', message: expect.stringContaining('is a directory') as unknown });
    await expect(attempt('fifo')).rejects.toMatchObject({ code: 'NotARegularFile', message: expect.stringContaining('FIFO') as unknown });
    await expect(attempt('absent')).rejects.toMatchObject({ code: 'FileNotFound', message: `${join(work.path, 'absent')} does not exist` });
  });

  it('refuses a quarantine directory that belongs to someone else', async () => {
    // Prepare
    await mkdir(quarantineDir, { recursive: true, mode: 0o700 });
    await chown(quarantineDir, 1234, 1234);
    const path = join(work.path, 'file');
    await plantFile(path, 'x');
    const { quarantine } = actions();

    // Act
    const attempt = quarantine.execute(hostWork('file-quarantine', { 'path.absolute': path }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'QuarantineUnsafe', message: expect.stringContaining('belongs to uid 1234') as unknown });
    expect(await missing(path)).toBe(false);
  });

  it('refuses an undo whose inputs name another file, and one with nothing to undo', async () => {
    // Prepare
    const path = join(work.path, 'one');
    await plantFile(path, 'x');
    const { quarantine, unquarantine } = actions();
    const quarantineWork = hostWork('file-quarantine', { 'path.absolute': path });
    const outcome = await quarantine.execute(quarantineWork);

    // Act
    const other = await unquarantine.execute(hostWork('file-unquarantine', { 'path.absolute': join(work.path, 'two') }, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) })).catch((error: unknown) => error);
    const none = await unquarantine.execute(hostWork('file-unquarantine', { 'path.absolute': path })).catch((error: unknown) => error);

    // Assess
    expect(other).toMatchObject({ code: 'UndoMismatch' });
    expect(none).toMatchObject({ code: 'NothingToUndo' });
  });
});
