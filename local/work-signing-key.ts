/**
 * The local runtime's work signing key: a private Ed25519 JWK in `<DATA_DIR>/work-signing-key.json`
 * (file 0600), made on first start and kept across restarts, so a responder that pinned its public
 * half keeps trusting the work. In AWS the same JWK lives in a Secrets Manager secret
 * (WORK_SIGNING_KEY_SECRET_ARN).
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAtomically } from '#shared/fs/atomic-write.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk, type WorkSigningKey } from '#shared/responders/work-signing.ts';

export const workSigningKeyFileName = 'work-signing-key.json';

/** Loads the key from DATA_DIR, creating it on first use (two processes starting at once agree on one key). */
export async function openWorkSigningKey(dataDir: string): Promise<WorkSigningKey> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, workSigningKeyFileName);
  const existing = await readKey(file);
  if (existing !== undefined) return existing;
  // Created whole or not at all; a process that loses the race to create it reads the winner's.
  await createFileAtomically(file, `${JSON.stringify(generateWorkSigningJwk(), null, 2)}\n`);
  await chmod(file, 0o600);
  const created = await readKey(file);
  if (created === undefined) throw new Error(`${file} vanished right after it was written`);
  return created;
}

async function readKey(file: string): Promise<WorkSigningKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return workSigningKeyFromJwk(JSON.parse(text));
}
