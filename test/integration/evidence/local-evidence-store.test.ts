import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FixedClock } from '#shared/clock.ts';
import { InvalidEvidenceInputError } from '#shared/evidence/errors.ts';
import { evidenceStoreContract, written } from './evidence-store-contract.ts';
import { binaryEvidence, freshDataDir, independentSha256, removeDataDir, startEvidenceBackend, type EvidenceBackend } from './embedded-evidence.ts';

/*
 * The local evidence store (files under DATA_DIR, URLs signed by the local HTTP server) against
 * the port's contract: ported from the tests the embedded S3 passed, with the same assertions.
 * Expiry is reached by moving the store's clock, not by sleeping.
 */

let backend: EvidenceBackend;
let dataDir: string;
const clock = new FixedClock(new Date());
beforeAll(async () => {
  dataDir = await freshDataDir();
  backend = await startEvidenceBackend(dataDir, { clock });
});
afterAll(async () => {
  await backend.stop();
  await removeDataDir(dataDir);
});

const newActionId = (): string => `act-${randomUUID()}`;

async function upload(url: string, headers: Readonly<Record<string, string>>, body: Uint8Array): Promise<Response> {
  return fetch(url, { method: 'PUT', headers, body: Uint8Array.from(body) });
}

describe('the local evidence store', () => {
  evidenceStoreContract(() => ({
    store: backend.store,
    withClock: (other) => backend.reopen(other),
    assessUploadUrl: (url) => {
      expect(new URL(url).origin).toBe(backend.url);
    },
  }));

  it('gives a download URL that stops working once altered or expired', async () => {
    // Prepare
    const { store } = backend;
    const object = await store.put(newActionId(), 'memory.bin', binaryEvidence('download me'), 'application/octet-stream');

    // Act
    const url = await store.downloadUrl(object, 1);
    const fresh = await fetch(url);
    await fresh.arrayBuffer();
    const flipFirst = (_: string, first: string): string => `signature=${first === 'A' ? 'B' : 'A'}`;
    const tampered = await fetch(url.replace(/signature=([A-Za-z0-9_-])/, flipFirst));
    await tampered.arrayBuffer();
    clock.advance(2100);
    const expired = await fetch(url);

    // Assess
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('content-disposition')).toBe('attachment; filename="memory.bin"');
    expect(tampered.status).toBe(403);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });

  it('caps signed URLs at 15 minutes', async () => {
    // Prepare
    const { store } = backend;
    const actionId = newActionId();
    const object = await store.put(actionId, 'a.txt', 'a', 'text/plain');
    const sha256 = await independentSha256(Buffer.from('b'));
    const now = Math.floor(clock.now().getTime() / 1000);

    // Act
    const download = new URL(await store.downloadUrl(object, 86_400));
    const grant = await store.uploadUrl(actionId, 'b.txt', { contentType: 'text/plain', size: 1, sha256 }, 86_400);

    // Assess
    expect(download.searchParams.get('expires')).toBe(String(now + 900));
    expect(new URL(grant.url).searchParams.get('expires')).toBe(String(now + 900));
    expect(Date.parse(grant.expiresAt)).toBe((now + 900) * 1000);
    await expect(store.downloadUrl(object, 0)).rejects.toBeInstanceOf(InvalidEvidenceInputError);
  });

  it('refuses an upload of other bytes, altered headers, a replay and an expired URL', async () => {
    // Prepare
    const { store } = backend;
    const actionId = newActionId();
    const bytes = Buffer.from('the bytes the responder hashed');
    const other = Buffer.from('the bytes an attacker swapped.');
    expect(other.byteLength).toBe(bytes.byteLength);
    const sha256 = await independentSha256(bytes);
    const expected = { contentType: 'text/plain', size: bytes.byteLength, sha256 };
    const grant = await store.uploadUrl(actionId, 'swap.txt', expected, 60);
    const shortGrant = await store.uploadUrl(actionId, 'late.txt', expected, 1);

    // Act
    const otherBytes = await upload(grant.url, grant.headers, other);
    const otherSha256 = Buffer.from(await independentSha256(other), 'hex').toString('base64');
    const otherChecksum = await upload(grant.url, { ...grant.headers, 'x-amz-checksum-sha256': otherSha256 }, other);
    const otherType = await upload(grant.url, { ...grant.headers, 'content-type': 'text/html' }, bytes);
    const unconditional = Object.fromEntries(Object.entries(grant.headers).filter(([name]) => name !== 'if-none-match'));
    const withoutCondition = await upload(grant.url, unconditional, bytes);
    const listedAfterRefusals = await store.list(actionId);
    const right = await upload(grant.url, grant.headers, bytes);
    const replay = await upload(grant.url, grant.headers, bytes);
    clock.advance(2100);
    const late = await upload(shortGrant.url, shortGrant.headers, bytes);

    // Assess
    expect(otherBytes.status).toBe(400);
    expect(await otherBytes.text()).toContain('BadDigest');
    expect(otherChecksum.status).toBe(403);
    expect(await otherChecksum.text()).toContain('SignatureDoesNotMatch');
    expect(otherType.status).toBe(403);
    expect(withoutCondition.status).toBe(403);
    expect(listedAfterRefusals).toEqual([]);
    expect(right.status).toBe(200);
    expect(replay.status).toBe(412);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Request has expired');
    const listed = await store.list(actionId);
    expect(listed.map((object) => [object.name, object.sha256])).toEqual([['swap.txt', sha256]]);
    expect(await store.verify(listed[0] ?? written())).toEqual({ intact: true, size: bytes.byteLength, sha256 });
  });
});
