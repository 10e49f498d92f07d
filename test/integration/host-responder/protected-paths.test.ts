/**
 * The protected-path set (issue 9, item 1), attacked for real: a data-gathering caller asks the
 * host responder for the service's signing keys, its token, its own /proc environment or its
 * code, directly and through a directory link, a hard link and a bind mount. Each ends in
 * ProtectedPath before anything is read (no upload) or moved (the file stays, nothing is queued
 * into quarantine, no progress is recorded).
 */
import { execFileSync } from 'node:child_process';
import { link, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import { responderCodeDir } from '../../../responders/host/protected-paths.ts';
import { actionOf, hostWork, undoSourceOf } from './support/context.ts';
import type { TestContext } from './support/context.ts';
import { contentSha, missing, plantFile, sha256, temporaryDirectory } from './support/files.ts';

let work: { path: string; remove: () => Promise<void> };
let dataDir: string;
let quarantineDir: string;
let issuerKeys: string;

beforeEach(async () => {
  // Prepare: a service DATA_DIR with its issuer keys, as `npm start` lays it out
  work = await temporaryDirectory('protected');
  dataDir = join(work.path, 'data');
  quarantineDir = join(work.path, 'responder', 'quarantine');
  await mkdir(join(dataDir, 'auth'), { recursive: true });
  issuerKeys = join(dataDir, 'auth', 'issuer-keys.json');
  await plantFile(issuerKeys, '{"keys":[{"kty":"OKP","d":"secret"}]}', { mode: 0o600 });
});

afterEach(async () => {
  await work.remove();
});

function actions(extra: readonly string[] = [dataDir]) {
  const list = hostActions({ quarantineDir, protectedPaths: extra });
  return { acquire: actionOf(list, 'acquire-file'), quarantine: actionOf(list, 'file-quarantine'), unquarantine: actionOf(list, 'file-unquarantine') };
}

/** Runs acquire-file on `path` and returns its error, asserting nothing was uploaded. */
async function acquireRefusal(path: string, extra?: readonly string[]): Promise<unknown> {
  const context = hostWork('acquire-file', { 'path.absolute': path });
  const error = await actions(extra).acquire.execute(context).catch((caught: unknown) => caught);
  expect(context.uploads).toEqual([]);
  return error;
}

/** Runs file-quarantine on `path`; returns its error and the context, to check nothing was recorded. */
async function quarantineRefusal(path: string): Promise<{ error: unknown; context: TestContext }> {
  const context = hostWork('file-quarantine', { 'path.absolute': path });
  const error = await actions().quarantine.execute(context).catch((caught: unknown) => caught);
  return { error, context };
}

describe('acquire-file of the service and responder secrets', () => {
  it('refuses the issuer keys under DATA_DIR, directly and through a linked directory, a hard link and a bind mount', async () => {
    // Prepare
    await symlink(join(dataDir, 'auth'), join(work.path, 'innocent'));
    await link(issuerKeys, join(work.path, 'hard-link.json'));
    const mountPoint = join(work.path, 'mounted');
    await mkdir(mountPoint);
    execFileSync('mount', ['--bind', dataDir, mountPoint]);

    try {
      // Act
      const refusals = [
        await acquireRefusal(issuerKeys),
        await acquireRefusal(join(work.path, 'innocent', 'issuer-keys.json')),
        await acquireRefusal(join(work.path, 'hard-link.json')),
        await acquireRefusal(join(mountPoint, 'auth', 'issuer-keys.json')),
      ];

      // Assess
      for (const refusal of refusals) expect(refusal).toMatchObject({ code: 'ProtectedPath' });
      expect((refusals[0] as Error).message).toContain(dataDir);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });

  it('reads the same kind of file where nothing protects it', async () => {
    // Prepare: the control, so the refusals above are the protection and not the file
    const context = hostWork('acquire-file', { 'path.absolute': issuerKeys });

    // Act
    await actions([]).acquire.execute(context);

    // Assess
    expect(context.uploads.map((upload) => sha256(upload.body))).toEqual([await contentSha(issuerKeys)]);
  });

  it("refuses the responder's token and signing-keys files when configured, and anything in its quarantine directory", async () => {
    // Prepare
    const etc = join(work.path, 'etc');
    await mkdir(etc);
    const tokenFile = join(etc, 'host-responder.token');
    const keysFile = join(etc, 'work-signing-keys.json');
    await plantFile(tokenFile, 'eyJ.token.sig', { mode: 0o600 });
    await plantFile(keysFile, '{"keys":[]}');
    await mkdir(quarantineDir, { recursive: true, mode: 0o700 });
    await plantFile(join(quarantineDir, 'other-action'), 'quarantined malware');

    // Act
    const token = await acquireRefusal(tokenFile, [tokenFile, keysFile]);
    const keys = await acquireRefusal(keysFile, [tokenFile, keysFile]);
    const quarantined = await acquireRefusal(join(quarantineDir, 'other-action'));

    // Assess
    expect([token, keys, quarantined]).toMatchObject([{ code: 'ProtectedPath' }, { code: 'ProtectedPath' }, { code: 'ProtectedPath' }]);
  });

  it("refuses its own /proc entries and its ancestors': environ through self, thread-self, its pid, a thread's id and its parent", async () => {
    // Prepare
    const threads = (await readdir(`/proc/${process.pid}/task`)).map(Number).filter((tid) => tid !== process.pid);

    // Act
    const refusals = [
      await acquireRefusal('/proc/self/environ'),
      await acquireRefusal('/proc/thread-self/environ'),
      await acquireRefusal(`/proc/${process.pid}/environ`),
      await acquireRefusal(`/proc/${process.pid}/task/${process.pid}/environ`),
      await acquireRefusal(`/proc/${threads[0] ?? process.pid}/environ`),
      await acquireRefusal(`/proc/${process.ppid}/environ`),
      await acquireRefusal('/proc/1/environ'),
    ];

    // Assess
    expect(threads.length).toBeGreaterThan(0);
    for (const refusal of refusals) expect(refusal).toMatchObject({ code: 'ProtectedPath' });
  });

  it('refuses its code, its interpreter and the critical system files', async () => {
    // Act
    const refusals = [
      await acquireRefusal(join(responderCodeDir, 'package.json')),
      await acquireRefusal(process.execPath),
      await acquireRefusal('/etc/shadow'),
    ];

    // Assess
    for (const refusal of refusals) expect(refusal).toMatchObject({ code: 'ProtectedPath' });
  });
});

describe('file-quarantine and its undo on protected paths', () => {
  it('refuses to move the issuer keys, through a linked directory too, before recording or moving anything', async () => {
    // Prepare
    await symlink(join(dataDir, 'auth'), join(work.path, 'innocent'));

    // Act
    const direct = await quarantineRefusal(issuerKeys);
    const linked = await quarantineRefusal(join(work.path, 'innocent', 'issuer-keys.json'));

    // Assess
    for (const { error, context } of [direct, linked]) {
      expect(error).toMatchObject({ code: 'ProtectedPath' });
      expect(context.progress).toEqual([]);
      expect(await missing(join(quarantineDir, context.work.actionId))).toBe(true);
    }
    expect(await contentSha(issuerKeys)).toBe(sha256('{"keys":[{"kty":"OKP","d":"secret"}]}'));
  });

  it('refuses to restore into a directory that has become protected, leaving the file in quarantine', async () => {
    // Prepare: a file quarantined from a directory that the configuration protects afterwards
    const directory = join(work.path, 'later-protected');
    await mkdir(directory);
    const path = join(directory, 'file');
    await writeFile(path, 'content');
    const quarantineWork = hostWork('file-quarantine', { 'path.absolute': path });
    const outcome = await actions([]).quarantine.execute(quarantineWork);
    const undo = hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', outcome, quarantineWork.work.actionId) });

    // Act
    const error = await actions([directory]).unquarantine.execute(undo).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'ProtectedPath' });
    expect(await missing(path)).toBe(true);
    expect(await contentSha(join(quarantineDir, quarantineWork.work.actionId))).toBe(sha256('content'));
    expect(undo.progress).toEqual([]);
  });
});
