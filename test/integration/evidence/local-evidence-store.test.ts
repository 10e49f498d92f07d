import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FixedClock } from '#shared/clock.ts';
import { EvidenceExistsError, InvalidEvidenceInputError, InvalidEvidenceNameError } from '#shared/evidence/errors.ts';
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
  it('puts objects and lists them by name with the size and SHA-256 of their bytes', async () => {
    // Prepare
    clock.set('2026-11-20T10:00:00.000Z');
    const { store } = backend;
    const actionId = newActionId();
    const bytes = binaryEvidence('process memory');

    // Act
    const written = await store.put(actionId, 'memory.bin', bytes, 'application/octet-stream');
    clock.advance(1000);
    await store.put(actionId, 'b-log.txt', 'line one\nline two ü\n', 'text/plain; charset=utf-8');
    await store.put(actionId, 'a.json', '{"ok":true}', 'application/json');
    await store.put(actionId, 'c.ndjson', '{}\n', 'application/x-ndjson');
    await store.put(newActionId(), 'memory.bin', 'another action', 'text/plain');
    const listed = await store.list(actionId);

    // Assess
    expect(written).toEqual({
      name: 'memory.bin',
      key: `actions/${actionId}/memory.bin`,
      size: bytes.byteLength,
      sha256: await independentSha256(bytes),
      contentType: 'application/octet-stream',
      createdAt: '2026-11-20T10:00:00.000Z',
    });
    expect(listed.map((object) => object.name)).toEqual(['a.json', 'b-log.txt', 'c.ndjson', 'memory.bin']);
    expect(listed[3]).toEqual(written);
    const text = Buffer.from('line one\nline two ü\n', 'utf8');
    expect(listed[1]).toEqual({
      name: 'b-log.txt',
      key: `actions/${actionId}/b-log.txt`,
      size: text.byteLength,
      sha256: await independentSha256(text),
      contentType: 'text/plain; charset=utf-8',
      createdAt: '2026-11-20T10:00:01.000Z',
    });
    expect(await store.list(newActionId())).toEqual([]);
    for (const object of listed) expect(await store.verify(object)).toMatchObject({ intact: true });
  });

  it('refuses a second put of the same name and keeps the first bytes', async () => {
    // Prepare
    const { store } = backend;
    const actionId = newActionId();
    const first = await store.put(actionId, 'capture.pcap', 'first bytes', 'application/vnd.tcpdump.pcap');

    // Act
    const second = store.put(actionId, 'capture.pcap', 'second bytes', 'application/vnd.tcpdump.pcap');

    // Assess
    await expect(second).rejects.toBeInstanceOf(EvidenceExistsError);
    await expect(second).rejects.toThrow(`evidence actions/${actionId}/capture.pcap already exists`);
    expect(await store.list(actionId)).toEqual([first]);
    expect(await store.verify(first)).toMatchObject({ intact: true });
  });

  it('lets exactly one of several concurrent puts of a name win', async () => {
    // Prepare
    const { store } = backend;
    const actionId = newActionId();

    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, index) => store.put(actionId, 'race.txt', `writer ${index}`, 'text/plain')),
    );

    // Assess
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const outcome of lost) expect(outcome.reason).toBeInstanceOf(EvidenceExistsError);
    const listed = await store.list(actionId);
    expect(listed).toEqual([won[0]?.value]);
    expect(await store.verify(listed[0] ?? written())).toMatchObject({ intact: true });
  });

  it('refuses names and action ids that could leave their folder, and writes nothing', async () => {
    // Prepare
    const { store } = backend;
    const actionId = newActionId();
    const badNames = ['', '..', '../x', 'a/b', '/etc/passwd', '.hidden', 'a..b', 'x\\y', 'sp ace', 'new\nline', 'é'];
    const expected = { contentType: 'text/plain', size: 1, sha256: '0'.repeat(64) };

    // Act + Assess
    for (const name of [...badNames, 'x'.repeat(201)]) {
      await expect(store.put(actionId, name, 'x', 'text/plain'), name).rejects.toBeInstanceOf(InvalidEvidenceNameError);
      await expect(store.uploadUrl(actionId, name, expected, 60)).rejects.toBeInstanceOf(InvalidEvidenceNameError);
    }
    for (const badActionId of ['..', '../other', 'a/b', '', '.x']) {
      await expect(store.put(badActionId, 'ok.txt', 'x', 'text/plain')).rejects.toBeInstanceOf(InvalidEvidenceNameError);
      await expect(store.list(badActionId)).rejects.toBeInstanceOf(InvalidEvidenceNameError);
    }
    const headerInjection = store.put(actionId, 'ok.txt', 'x', 'text/plain\r\nx-amz-acl: public-read');
    await expect(headerInjection).rejects.toBeInstanceOf(InvalidEvidenceInputError);
    expect(await store.list(actionId)).toEqual([]);
    const longest = await store.put(actionId, `${'n'.repeat(196)}.txt`, 'x', 'text/plain');
    expect(longest.name).toHaveLength(200);
  });

  it('gives a download URL that returns the exact bytes, then stops working once it expires', async () => {
    // Prepare
    const { store } = backend;
    const bytes = binaryEvidence('download me');
    const object = await store.put(newActionId(), 'memory.bin', bytes, 'application/octet-stream');

    // Act
    const url = await store.downloadUrl(object, 1);
    const fresh = await fetch(url);
    const freshBytes = new Uint8Array(await fresh.arrayBuffer());
    const flipFirst = (_: string, first: string): string => `signature=${first === 'A' ? 'B' : 'A'}`;
    const tampered = await fetch(url.replace(/signature=([A-Za-z0-9_-])/, flipFirst));
    await tampered.arrayBuffer();
    clock.advance(2100);
    const expired = await fetch(url);

    // Assess
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('content-disposition')).toBe('attachment; filename="memory.bin"');
    expect(Buffer.from(freshBytes).equals(Buffer.from(bytes))).toBe(true);
    expect(await independentSha256(freshBytes)).toBe(object.sha256);
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

  it('gives an upload URL bound to content type, length and SHA-256: the right bytes land and are listed', async () => {
    // Prepare
    const { store } = backend;
    const actionId = newActionId();
    const bytes = binaryEvidence('uploaded by a responder');
    const sha256 = await independentSha256(bytes);

    // Act
    const expected = { contentType: 'application/octet-stream', size: bytes.byteLength, sha256 };
    const grant = await store.uploadUrl(actionId, 'acquired.bin', expected, 60);
    const response = await upload(grant.url, grant.headers, bytes);
    const listed = await store.list(actionId);

    // Assess
    expect(grant.method).toBe('PUT');
    expect(grant.headers).toEqual({
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.byteLength),
      'x-amz-checksum-sha256': Buffer.from(sha256, 'hex').toString('base64'),
      'x-amz-meta-sha256': sha256,
      'if-none-match': '*',
    });
    expect(new URL(grant.url).origin).toBe(backend.url);
    expect(response.status).toBe(200);
    expect(listed).toEqual([
      {
        name: 'acquired.bin',
        key: `actions/${actionId}/acquired.bin`,
        size: bytes.byteLength,
        sha256,
        contentType: 'application/octet-stream',
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) as unknown,
      },
    ]);
    const download = await fetch(await store.downloadUrl(listed[0] ?? written(), 60));
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
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

  it('refuses an upload URL for a name that exists, and bad expectations', async () => {
    // Prepare
    const { store } = backend;
    const actionId = newActionId();
    const object = await store.put(actionId, 'taken.txt', 'x', 'text/plain');
    const expected = { contentType: 'text/plain', size: 1, sha256: object.sha256 };

    // Act + Assess
    await expect(store.uploadUrl(actionId, 'taken.txt', expected, 60)).rejects.toBeInstanceOf(EvidenceExistsError);
    for (const wrong of [{ sha256: 'abc' }, { size: -1 }, { size: 1.5 }, { contentType: 'text' }, { size: 5 * 1024 ** 3 + 1 }]) {
      const grant = store.uploadUrl(actionId, 'n.txt', { ...expected, ...wrong }, 60);
      await expect(grant, JSON.stringify(wrong)).rejects.toBeInstanceOf(InvalidEvidenceInputError);
    }
  });
});

/** Fails the test when an expected list entry is missing (keeps indexing typed without `!`). */
function written(): never {
  throw new Error('expected an evidence object');
}
