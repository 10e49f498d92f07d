/**
 * The protected-path check holds the action to what it checked (security review of issue 9,
 * items 3-5), on real files, links and hard links:
 * - a symbolic link met on the way to a protected path is protected too: moving it away would
 *   take the file from the responder as surely as moving the file;
 * - the file an action reads or moves is the inode the check cleared: one swapped in after the
 *   check (here a hard link to a secret, renamed over the checked name) is refused;
 * - a hard-link search that runs out of budget refuses instead of letting the file through.
 */
import { link, mkdir, readlink, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireEntry } from '../../../responders/host/acquire-file.ts';
import { hostActions } from '../../../responders/host/actions.ts';
import { hostEnvironment } from '../../../responders/host/environment.ts';
import { fileFacts } from '../../../responders/host/file-facts.ts';
import { quarantineEntry } from '../../../responders/host/file-quarantine.ts';
import { resolveFile } from '../../../responders/host/file-scope.ts';
import { moveIntoQuarantine } from '../../../responders/host/quarantine-store.ts';
import { actionOf, hostWork } from './support/context.ts';
import { contentSha, missing, plantFile, sha256, temporaryDirectory } from './support/files.ts';

const tokenContent = 'eyJ.host-token.sig';
const secretContent = '{"keys":[{"kty":"OKP","d":"secret"}]}';

let work: { path: string; remove: () => Promise<void> };
let quarantineDir: string;

beforeEach(async () => {
  work = await temporaryDirectory('protected-identity');
  quarantineDir = join(work.path, 'quarantine');
});

afterEach(async () => {
  await work.remove();
});

describe('symbolic links on the way to a protected path', () => {
  it('refuses to quarantine a linked directory the token is configured through, and the link stays', async () => {
    // Prepare: /etc/response-actions -> /opt/ra/etc, the token configured as /etc/response-actions/host.token
    await mkdir(join(work.path, 'opt-ra-etc'));
    await plantFile(join(work.path, 'opt-ra-etc', 'host.token'), tokenContent, { mode: 0o600 });
    const linked = join(work.path, 'etc-response-actions');
    await symlink(join(work.path, 'opt-ra-etc'), linked);
    const quarantine = actionOf(hostActions({ quarantineDir, protectedPaths: [join(linked, 'host.token')] }), 'file-quarantine');
    const context = hostWork('file-quarantine', { 'path.absolute': linked });

    // Act
    const error = await quarantine.execute(context).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'ProtectedPath', message: expect.stringContaining('symbolic link on the way to the protected path') as unknown });
    expect(context.progress).toEqual([]);
    expect(await readlink(linked)).toBe(join(work.path, 'opt-ra-etc'));
    expect(await contentSha(join(linked, 'host.token'))).toBe(sha256(tokenContent));
  });

  it('refuses a link met inside another link’s target, and quarantines an unrelated link beside it', async () => {
    // Prepare: conf -> <work>/b/etc, and b -> real-b: resolving conf/host.token meets b
    await mkdir(join(work.path, 'real-b', 'etc'), { recursive: true });
    await plantFile(join(work.path, 'real-b', 'etc', 'host.token'), tokenContent, { mode: 0o600 });
    await symlink(join(work.path, 'real-b'), join(work.path, 'b'));
    await symlink(join(work.path, 'b', 'etc'), join(work.path, 'conf'));
    await symlink(join(work.path, 'real-b'), join(work.path, 'unrelated'));
    const quarantine = actionOf(hostActions({ quarantineDir, protectedPaths: [join(work.path, 'conf', 'host.token')] }), 'file-quarantine');

    // Act
    const inner = await quarantine.execute(hostWork('file-quarantine', { 'path.absolute': join(work.path, 'b') })).catch((caught: unknown) => caught);
    await quarantine.execute(hostWork('file-quarantine', { 'path.absolute': join(work.path, 'unrelated') }));

    // Assess
    expect(inner).toMatchObject({ code: 'ProtectedPath' });
    expect(await contentSha(join(work.path, 'conf', 'host.token'))).toBe(sha256(tokenContent));
    expect(await missing(join(work.path, 'unrelated'))).toBe(true);
  });
});

describe('a file swapped in after the protected-path check', () => {
  let dataDir: string;
  let evidence: string;
  let swapIn: string;

  beforeEach(async () => {
    // Prepare: an ordinary file to act on, and a hard link to a protected secret ready to replace it
    dataDir = join(work.path, 'data');
    await mkdir(dataDir);
    await plantFile(join(dataDir, 'issuer-keys.json'), secretContent, { mode: 0o600 });
    evidence = join(work.path, 'evidence.log');
    await plantFile(evidence, 'ordinary evidence\n');
    swapIn = join(work.path, 'swap-in');
    await link(join(dataDir, 'issuer-keys.json'), swapIn);
  });

  const environment = () => hostEnvironment({ quarantineDir, protectedPaths: [dataDir] });

  it('acquire-file refuses to read it and uploads nothing', async () => {
    // Prepare
    const env = environment();
    const context = hostWork('acquire-file', { 'path.absolute': evidence });
    const resolved = await resolveFile(env, evidence, undefined, context.signal, 'acquire');

    try {
      // Act
      await rename(swapIn, evidence);
      const error = await acquireEntry(env, context, resolved).catch((caught: unknown) => caught);

      // Assess
      expect(error).toMatchObject({ code: 'PathChanged' });
      expect(context.uploads).toEqual([]);
    } finally {
      await resolved.entry.close();
    }
  });

  it('file-quarantine refuses to move it, records nothing, and the secret stays where it is', async () => {
    // Prepare
    const env = environment();
    const context = hostWork('file-quarantine', { 'path.absolute': evidence });
    const resolved = await resolveFile(env, evidence, undefined, context.signal, 'quarantine');

    try {
      // Act
      await rename(swapIn, evidence);
      const error = await quarantineEntry(env, context, resolved).catch((caught: unknown) => caught);

      // Assess
      expect(error).toMatchObject({ code: 'PathChanged' });
      expect(context.progress).toEqual([]);
      expect(await contentSha(evidence)).toBe(sha256(secretContent));
      expect(await missing(join(quarantineDir, context.work.actionId))).toBe(true);
    } finally {
      await resolved.entry.close();
    }
  });

  it('the move into quarantine refuses a source that is no longer the inode recorded', async () => {
    // Prepare: the facts recorded for the checked file
    const { facts } = await fileFacts(evidence, evidence);
    await mkdir(quarantineDir, { mode: 0o700 });
    const destination = join(quarantineDir, 'action');

    // Act
    await rename(swapIn, evidence);
    const error = await moveIntoQuarantine(evidence, destination, facts, evidence).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'PathChanged' });
    expect(await contentSha(evidence)).toBe(sha256(secretContent));
    expect(await missing(destination)).toBe(true);
  });
});

describe('the hard-link search, out of budget', () => {
  let secrets: string;
  let shared: string;

  beforeEach(async () => {
    // Prepare: a protected directory with more entries than the budget, and a file with two names, neither in it
    secrets = join(work.path, 'secrets');
    await mkdir(secrets);
    for (let index = 0; index < 20; index += 1) await plantFile(join(secrets, `key-${index}`), `key ${index}`, { mode: 0o600 });
    shared = join(work.path, 'shared.log');
    await plantFile(shared, 'shared log\n');
    await link(shared, join(work.path, 'shared-other-name.log'));
  });

  const acquire = (options: { hardLinkSearchBudget?: number }) => actionOf(hostActions({ quarantineDir, protectedPaths: [secrets], ...options }), 'acquire-file');

  it('refuses a hard-linked file it could not clear, saying the check could not complete', async () => {
    // Prepare
    const context = hostWork('acquire-file', { 'path.absolute': shared });

    // Act
    const error = await acquire({ hardLinkSearchBudget: 5 }).execute(context).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'ProtectedPath', message: expect.stringContaining('could not complete') as unknown });
    expect(context.uploads).toEqual([]);
  });

  it('reads the same file when the search completes, and a file with one name whatever the budget', async () => {
    // Prepare: the controls
    await plantFile(join(work.path, 'single.log'), 'single\n');
    const hardLinked = hostWork('acquire-file', { 'path.absolute': shared });
    const single = hostWork('acquire-file', { 'path.absolute': join(work.path, 'single.log') });

    // Act
    await acquire({}).execute(hardLinked);
    await acquire({ hardLinkSearchBudget: 5 }).execute(single);

    // Assess
    expect([...hardLinked.uploads, ...single.uploads].map((upload) => upload.body.toString('utf8'))).toEqual(['shared log\n', 'single\n']);
  });
});
