import { expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FixedClock } from '#shared/clock.ts';
import { EvidenceExistsError, InvalidEvidenceInputError, InvalidEvidenceNameError } from '#shared/evidence/errors.ts';
import type { EvidenceObject, EvidenceStore } from '#shared/ports.ts';
import { binaryEvidence, independentSha256 } from './embedded-evidence.ts';

/** An evidence store with the `verify` both adapters have. */
export type StoreUnderTest = EvidenceStore & {
  verify(object: EvidenceObject): Promise<{ intact: boolean; size: number; sha256: string }>;
};

export interface ContractSubject {
  readonly store: StoreUnderTest;
  /** The same store on a clock the test sets (and, where it has one, a small listing page). */
  withClock(clock: FixedClock): Promise<StoreUnderTest>;
  /** What only this store's upload URL carries. */
  readonly assessUploadUrl: (url: string) => void;
}

const newActionId = (): string => `act-${randomUUID()}`;

/**
 * What every EvidenceStore does, whichever adapter: registers one `it` per behaviour, run by each
 * adapter's test file against its real backing store.
 */
export function evidenceStoreContract(subject: () => ContractSubject): void {
  it('puts objects and lists them by name with the size and SHA-256 of their bytes', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const store = await subject().withClock(clock);
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
    const { store } = subject();
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
    const { store } = subject();
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
    const { store } = subject();
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

  it('gives a download URL that returns the exact bytes', async () => {
    // Prepare
    const { store } = subject();
    const bytes = binaryEvidence('download me');
    const object = await store.put(newActionId(), 'memory.bin', bytes, 'application/octet-stream');

    // Act
    const url = await store.downloadUrl(object, 1);
    const fresh = await fetch(url);
    const freshBytes = new Uint8Array(await fresh.arrayBuffer());

    // Assess
    expect(fresh.status).toBe(200);
    expect(Buffer.from(freshBytes).equals(Buffer.from(bytes))).toBe(true);
    expect(await independentSha256(freshBytes)).toBe(object.sha256);
  });

  it('gives an upload URL bound to content type, length and SHA-256: the right bytes land and are listed', async () => {
    // Prepare
    const { store, assessUploadUrl } = subject();
    const actionId = newActionId();
    const bytes = binaryEvidence('uploaded by a responder');
    const sha256 = await independentSha256(bytes);

    // Act
    const expected = { contentType: 'application/octet-stream', size: bytes.byteLength, sha256 };
    const grant = await store.uploadUrl(actionId, 'acquired.bin', expected, 60);
    const response = await fetch(grant.url, { method: 'PUT', headers: grant.headers, body: Uint8Array.from(bytes) });
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
    assessUploadUrl(grant.url);
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

  it('refuses an upload URL for a name that exists, and bad expectations', async () => {
    // Prepare
    const { store } = subject();
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
}

/** Fails the test when an expected list entry is missing (keeps indexing typed without `!`). */
export function written(): never {
  throw new Error('expected an evidence object');
}
