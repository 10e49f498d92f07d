import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/errors.ts';
import { readSigningKeys, readToken } from '../../../responders/common/daemon.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'daemon-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('responder daemon files', () => {
  it('reads a token, trimmed, and refuses an empty or unreadable one naming the setting', async () => {
    // Prepare
    await writeFile(join(dir, 'token'), 'eyJ.abc.def\n');
    await writeFile(join(dir, 'empty'), '  \n');

    // Act + Assess
    expect(await readToken(join(dir, 'token'), 'RESPONDER_TOKEN_FILE')).toBe('eyJ.abc.def');
    await expect(readToken(join(dir, 'empty'), 'RESPONDER_TOKEN_FILE')).rejects.toThrow(/^RESPONDER_TOKEN_FILE: .* is empty$/);
    const missing = readToken(join(dir, 'missing'), 'RESPONDER_TOKEN_FILE');
    await expect(missing).rejects.toBeInstanceOf(ConfigError);
    await expect(readToken(join(dir, 'missing'), 'RESPONDER_TOKEN_FILE')).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });

  it('reads signing keys as a JWK set or a list, and refuses anything else', async () => {
    // Prepare
    const key = { kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' };
    await writeFile(join(dir, 'set.json'), JSON.stringify({ keys: [key] }));
    await writeFile(join(dir, 'list.json'), JSON.stringify([key]));
    await writeFile(join(dir, 'other.json'), JSON.stringify({ key }));
    await writeFile(join(dir, 'none.json'), JSON.stringify({ keys: [] }));

    // Act + Assess
    expect(await readSigningKeys(join(dir, 'set.json'), 'RESPONDER_SIGNING_KEYS_FILE')).toEqual([key]);
    expect(await readSigningKeys(join(dir, 'list.json'), 'RESPONDER_SIGNING_KEYS_FILE')).toEqual([key]);
    await expect(readSigningKeys(join(dir, 'other.json'), 'RESPONDER_SIGNING_KEYS_FILE')).rejects.toThrow(/^RESPONDER_SIGNING_KEYS_FILE: /);
    // No key configured is no trust at all: nothing is ever pinned from what the service announces.
    await expect(readSigningKeys(join(dir, 'none.json'), 'RESPONDER_SIGNING_KEYS_FILE')).rejects.toThrow(/^RESPONDER_SIGNING_KEYS_FILE: .* holds no keys/);
  });
});
