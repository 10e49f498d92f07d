import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localSecret } from '#local/data-dir.ts';
import { openWorkSigningKey, workSigningKeyFileName } from '#local/work-signing-key.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'data-dir-secrets-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('secrets under DATA_DIR', () => {
  it('gives starts racing for a new secret one and the same secret, whole, 0600, with no temporary left', async () => {
    // Act
    const secrets = await Promise.all(Array.from({ length: 6 }, () => localSecret(dataDir, 'evidence-signing-key')));

    // Assess
    const onDisk = await readFile(join(dataDir, 'evidence-signing-key'));
    expect(onDisk).toHaveLength(32);
    for (const secret of secrets) expect(secret.equals(onDisk)).toBe(true);
    expect((await stat(join(dataDir, 'evidence-signing-key'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual(['evidence-signing-key']);
  });

  it('keeps an existing secret across starts, and replaces one too short to be a secret', async () => {
    // Prepare
    const kept = await localSecret(dataDir, 'cursor-key');
    await writeFile(join(dataDir, 'evidence-signing-key'), 'short', { mode: 0o644 });

    // Act
    const again = await localSecret(dataDir, 'cursor-key');
    const replaced = await localSecret(dataDir, 'evidence-signing-key');

    // Assess
    expect(again.equals(kept)).toBe(true);
    expect(replaced).toHaveLength(32);
    expect((await readFile(join(dataDir, 'evidence-signing-key'))).equals(replaced)).toBe(true);
    expect((await stat(join(dataDir, 'evidence-signing-key'))).mode & 0o777).toBe(0o600);
  });

  it('gives starts racing for the work signing key one and the same key, with no temporary left', async () => {
    // Act
    const keys = await Promise.all(Array.from({ length: 4 }, () => openWorkSigningKey(dataDir)));

    // Assess
    const kids = new Set(keys.map((key) => JSON.stringify(key.publicJwk)));
    expect(kids.size).toBe(1);
    expect((await stat(join(dataDir, workSigningKeyFileName))).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual([workSigningKeyFileName]);
  });
});
