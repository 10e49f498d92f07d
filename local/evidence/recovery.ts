/**
 * What the local evidence store finds on start: writes a crash interrupted are cleared (their
 * temporaries, and metadata whose content never landed), and every object's bytes are hashed
 * against the SHA-256 recorded when it was written, so damage on disk is reported, not served
 * silently. Nothing that was evidence is changed or removed. An action directory that is a link
 * or another user's refuses the start (UnsafeDataDirError).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { isSafeEvidenceSegment } from '#shared/evidence/keys.ts';
import { removeInterruptedWrites } from '#shared/fs/atomic-write.ts';
import { assertOwnDirectory } from '../data-dir.ts';
import { digestFile, listDirectory, metaDirOf, objectPaths, readRecord } from './evidence-files.ts';

export interface RecoveredEvidence {
  readonly objects: number;
  /** One sentence per object that is damaged (kept, flagged) or a write that never completed (discarded). */
  readonly problems: readonly string[];
}

export async function recoverEvidence(root: string): Promise<RecoveredEvidence> {
  let objects = 0;
  const problems: string[] = [];
  await removeInterruptedWrites(root);
  for (const actionId of await listDirectory(root)) {
    if (!isSafeEvidenceSegment(actionId)) continue;
    const actionDir = path.join(root, actionId);
    const metaDir = metaDirOf(root, actionId);
    // Planted while the root was open to others (a link elsewhere, another user's directory): its owner could swap the evidence.
    await assertOwnDirectory(actionDir, 'DATA_DIR/evidence');
    if ((await listDirectory(actionDir)).includes('.meta')) await assertOwnDirectory(metaDir, 'DATA_DIR/evidence');
    await removeInterruptedWrites(actionDir);
    await removeInterruptedWrites(metaDir);
    const names = new Set((await listDirectory(actionDir)).filter((name) => isSafeEvidenceSegment(name)));
    for (const metaFile of await listDirectory(metaDir)) {
      const name = metaFile.endsWith('.json') ? metaFile.slice(0, -'.json'.length) : '';
      if (!isSafeEvidenceSegment(name)) continue;
      const key = `actions/${actionId}/${name}`;
      const paths = objectPaths(root, actionId, name);
      if (!names.has(name)) {
        problems.push(`${key}: its write never completed (metadata without content); discarded`);
        await rm(paths.metadata, { force: true });
        continue;
      }
      names.delete(name);
      const record = await readRecord(paths.metadata, key);
      if (record === null || record === 'missing') {
        problems.push(`${key}: its metadata file is unreadable; listed as application/octet-stream without a recorded SHA-256`);
      } else {
        const found = await digestFile(paths.content);
        if (found.sha256 !== record.sha256 || found.size !== record.size) {
          problems.push(`${key}: its bytes on disk no longer match the SHA-256 recorded when it was written; restored as found, and verify() reports it`);
        }
      }
      objects += 1;
    }
    for (const name of names) {
      problems.push(`actions/${actionId}/${name}: content without metadata (not written by the evidence store); left on disk, not listed`);
    }
  }
  return { objects, problems };
}
