import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { freshDataDir, independentSha256, removeDataDir, startEvidenceBackend, type EvidenceBackend } from './embedded-evidence.ts';

/*
 * Another local user on the machine running `npm start`: evidence written through the local
 * evidence URLs, or by the service itself, is readable by the service user alone, whatever umask
 * the service was started with.
 */

let backend: EvidenceBackend;
let dataDir: string;
let umask: number;
beforeAll(async () => {
  // The most permissive umask a user may run `npm start` with: modes must not depend on it.
  umask = process.umask(0);
  dataDir = await freshDataDir();
  backend = await startEvidenceBackend(dataDir);
});
afterAll(async () => {
  await backend.stop();
  process.umask(umask);
  await removeDataDir(dataDir);
});

async function entries(directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    found.push(full);
    if (entry.isDirectory()) found.push(...(await entries(full)));
  }
  return found;
}

describe('DATA_DIR/evidence against another local user', () => {
  it('keeps every directory 0700 and every file 0600 after an upload through a URL and a write by the service, under umask 0', async () => {
    // Prepare
    const actionId = `act-${randomUUID()}`;
    const body = Buffer.from('uploaded evidence');
    const grant = await backend.store.uploadUrl(actionId, 'up.txt', { contentType: 'text/plain', size: body.byteLength, sha256: await independentSha256(body) }, 60);

    // Act
    const uploaded = await fetch(grant.url, { method: 'PUT', headers: grant.headers, body });
    await backend.store.put(actionId, 'written.txt', 'written evidence', 'text/plain');

    // Assess
    expect(uploaded.status).toBe(200);
    const root = path.join(dataDir, 'evidence');
    const modes: Record<string, number> = {};
    for (const entry of [root, ...(await entries(root))]) {
      const facts = await lstat(entry);
      modes[path.relative(dataDir, entry)] = facts.mode & 0o777;
      expect(facts.isDirectory() || facts.isFile()).toBe(true);
    }
    expect(Object.keys(modes).length).toBeGreaterThan(3);
    for (const [entry, mode] of Object.entries(modes)) {
      const expected = (await lstat(path.join(dataDir, entry))).isDirectory() ? 0o700 : 0o600;
      expect({ entry, mode: mode.toString(8) }).toEqual({ entry, mode: expected.toString(8) });
    }
  });
});
