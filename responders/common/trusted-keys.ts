/**
 * The service keys a responder trusts to sign its work: the ones its configuration pins, plus one
 * pinned on first use. Trust on first use is a bootstrap for a machine set up by hand: the first
 * registration's announced key is accepted only when nothing is pinned yet and the operator asked
 * for it (`--trust-on-first-use`); it is then kept in `<stateDir>/trusted-work-keys.json` (0600)
 * and a later start trusts exactly that key. Rotation: pin the new key (configuration, or add it
 * to the file) before the service switches to it.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkSigningPublicKey } from '#shared/responders/protocol.ts';
import { TrustedWorkKeys } from '#shared/responders/work-signing.ts';

const fileName = 'trusted-work-keys.json';

/** The responder has no key to check work with and may not take the announced one. */
export class UntrustedServiceKeyError extends Error {
  override readonly name = 'UntrustedServiceKeyError';
}

/** The configured keys and those pinned earlier under `stateDir`. */
export async function loadTrustedKeys(stateDir: string, configured: readonly unknown[]): Promise<TrustedWorkKeys> {
  return new TrustedWorkKeys([...configured, ...(await readPinned(stateDir))]);
}

/**
 * Decides about the key the service announced on registration: trusted already, pinned now (first
 * use, when allowed), or not trusted (work signed with it will be refused).
 */
export async function considerAnnouncedKey(
  stateDir: string,
  trusted: TrustedWorkKeys,
  announced: WorkSigningPublicKey,
  trustOnFirstUse: boolean,
): Promise<'trusted' | 'pinned' | 'untrusted'> {
  if (trusted.has(announced.kid)) return 'trusted';
  if (trusted.size > 0) return 'untrusted';
  if (!trustOnFirstUse) {
    throw new UntrustedServiceKeyError(
      `no work signing key is pinned: configure the service's public key (signingKeys), or start once with --trust-on-first-use to pin the key the service announces (${announced.kid})`,
    );
  }
  trusted.add(announced);
  const pinned = [...(await readPinned(stateDir)), announced];
  const file = join(stateDir, fileName);
  const temporary = join(stateDir, `.tmp-${randomUUID()}`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify({ keys: pinned }, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  return 'pinned';
}

async function readPinned(stateDir: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(join(stateDir, fileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const parsed = JSON.parse(text) as { keys?: unknown };
  return Array.isArray(parsed.keys) ? (parsed.keys as unknown[]) : [];
}
