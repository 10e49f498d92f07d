/**
 * file-unquarantine trusts only the responder's own record (issue 9, item 2). A stolen responder
 * token can forge the report the service stores as the quarantine's `applied`; the undo then
 * hands that back. Forged here: a quarantinePath pointing at an attacker's file, a setuid mode,
 * root ownership, and an action id with no quarantine. Each is refused with nothing moved: the
 * attacker's file stays where and as it was, the original stays in quarantine.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonValue } from '#shared/json.ts';
import { hostActions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork, objectOf, undoSourceOf } from './support/context.ts';
import { contentSha, missing, modeOf, plantFile, sha256, statOf, temporaryDirectory } from './support/files.ts';

let work: { path: string; remove: () => Promise<void> };
let quarantineDir: string;
let path: string;
let attackerFile: string;

beforeEach(async () => {
  // Prepare: a user's script, and an attacker's payload elsewhere on the host
  work = await temporaryDirectory('undo-record');
  quarantineDir = join(work.path, 'state', 'quarantine');
  path = join(work.path, 'home', 'deploy.sh');
  await mkdir(join(work.path, 'home'));
  await plantFile(path, '#!/bin/sh\necho deploy\n', { uid: 1000, gid: 1000, mode: 0o755 });
  attackerFile = join(work.path, 'attacker-payload');
  await plantFile(attackerFile, '#!/bin/sh\nid > /tmp/pwned\n', { uid: 1000, gid: 1000, mode: 0o755 });
});

afterEach(async () => {
  await work.remove();
});

const list = () => hostActions({ quarantineDir });

async function quarantined() {
  const quarantineWork = hostWork('file-quarantine', { 'path.absolute': path });
  const outcome = await actionOf(list(), 'file-quarantine').execute(quarantineWork);
  return { actionId: quarantineWork.work.actionId, outcome };
}

/** Runs the undo with `applied` replaced by a forged one; returns its error and context. */
async function forgedUndo(actionId: string, applied: Record<string, JsonValue>) {
  const undo = hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: { actionId, type: 'file-quarantine', prior: null, applied, result: null } });
  const error = await actionOf(list(), 'file-unquarantine').execute(undo).catch((caught: unknown) => caught);
  return { error, undo };
}

describe('file-unquarantine with a forged quarantine record', () => {
  it.each([
    ['a quarantinePath pointing at an attacker file', { quarantinePath: '<attacker>' }],
    // The whole attack: the old undo linked this file over the original and made it setuid root.
    ['an attacker file with its own hash, setuid and root', { quarantinePath: '<attacker>', sha256: sha256('#!/bin/sh\nid > /tmp/pwned\n'), mode: 0o4755, uid: 0, gid: 0 }],
    ['a setuid mode', { mode: 0o4755 }],
    ['root ownership', { uid: 0, gid: 0 }],
    ['another original path', { path: '<attacker>' }],
  ])('refuses %s and moves nothing', async (_name, forgery) => {
    // Prepare
    const { actionId, outcome } = await quarantined();
    const applied = objectOf(outcome.applied);
    const forged = Object.fromEntries(Object.entries({ ...applied, ...forgery }).map(([key, value]) => [key, value === '<attacker>' ? attackerFile : value]));

    // Act
    const { error, undo } = await forgedUndo(actionId, forged);

    // Assess
    expect(error).toMatchObject({ code: 'UndoMismatch' });
    expect(undo.progress).toEqual([]);
    expect(await missing(path)).toBe(true);
    const attacker = await statOf(attackerFile);
    expect([modeOf(attacker), attacker.uid, await contentSha(attackerFile)]).toEqual([0o755, 1000n, sha256('#!/bin/sh\nid > /tmp/pwned\n')]);
    expect(await contentSha(join(quarantineDir, actionId))).toBe(sha256('#!/bin/sh\necho deploy\n'));
  });

  it('refuses an undo naming an action this responder never quarantined, even with a well-formed record', async () => {
    // Prepare: a real quarantine's record, handed back under another action id
    const { actionId, outcome } = await quarantined();

    // Act
    const { error } = await forgedUndo('00000000-0000-4000-8000-000000000000', objectOf(outcome.applied));

    // Assess
    expect(error).toMatchObject({ code: 'QuarantineRecordMissing' });
    expect(await missing(path)).toBe(true);
    expect((await readdir(quarantineDir)).sort()).toEqual([actionId, `${actionId}.json`].sort());
  });

  it('restores from its own record: the genuine undo puts back exactly the owner and mode it recorded', async () => {
    // Prepare
    const { actionId, outcome } = await quarantined();

    // Act
    await actionOf(list(), 'file-unquarantine').execute(hostWork('file-unquarantine', { 'path.absolute': path }, { undoOf: undoSourceOf('file-quarantine', outcome, actionId) }));

    // Assess
    const restored = await statOf(path);
    expect([modeOf(restored), restored.uid, restored.gid]).toEqual([0o755, 1000n, 1000n]);
  });
});
