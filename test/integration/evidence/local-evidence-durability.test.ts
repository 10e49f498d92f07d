import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EvidenceExistsError } from '#shared/evidence/errors.ts';
import type { EvidenceObject } from '#shared/ports.ts';
import { binaryEvidence, freshDataDir, independentSha256, removeDataDir, startEvidenceBackend, type EvidenceBackend } from './embedded-evidence.ts';

/*
 * Ported from the embedded S3's tests (embedded-aws.test.ts): the same DATA_DIR layout and the
 * same assertions, now held by the file store itself instead of a mirror of an emulator.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dataDirForTest(): Promise<string> {
  const dataDir = await freshDataDir();
  cleanups.push(() => removeDataDir(dataDir));
  return dataDir;
}

async function start(dataDir: string): Promise<EvidenceBackend> {
  const backend = await startEvidenceBackend(dataDir);
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await backend.stop();
  });
  return {
    ...backend,
    stop: async () => {
      stopped = true;
      await backend.stop();
    },
  };
}

async function download(backend: EvidenceBackend, object: EvidenceObject): Promise<Buffer> {
  const response = await fetch(await backend.store.downloadUrl(object, 60));
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

describe('local evidence survives a restart', () => {
  it('lists and serves every object, put or uploaded, after a restart with the same data dir', async () => {
    // Prepare
    const dataDir = await dataDirForTest();
    const first = await start(dataDir);
    const [actionA, actionB] = [`act-${randomUUID()}`, `act-${randomUUID()}`];
    const memory = binaryEvidence('memory');
    await first.store.put(actionA, 'memory.bin', memory, 'application/octet-stream');
    await first.store.put(actionA, 'notes.txt', 'notes ü', 'text/plain; charset=utf-8');
    await first.store.put(actionB, 'pods.json', '[]', 'application/json');
    const uploaded = binaryEvidence('uploaded');
    const sha256 = await independentSha256(uploaded);
    const expected = { contentType: 'application/octet-stream', size: uploaded.byteLength, sha256 };
    const grant = await first.store.uploadUrl(actionA, 'acquired.bin', expected, 60);
    const upload = await fetch(grant.url, { method: 'PUT', headers: grant.headers, body: Uint8Array.from(uploaded) });
    expect(upload.status).toBe(200);
    const before = { a: await first.store.list(actionA), b: await first.store.list(actionB) };

    // Act
    await first.stop();
    const second = await start(dataDir);
    const after = { a: await second.store.list(actionA), b: await second.store.list(actionB) };

    // Assess
    expect(first.store.recovered).toEqual({ objects: 0, problems: [] });
    expect(second.store.recovered).toEqual({ objects: 4, problems: [] });
    expect(before.a.map((object) => object.name)).toEqual(['acquired.bin', 'memory.bin', 'notes.txt']);
    expect(after).toEqual(before);
    const [acquired, memoryObject, notes] = after.a;
    expect((await download(second, acquired ?? missing())).equals(Buffer.from(uploaded))).toBe(true);
    expect((await download(second, memoryObject ?? missing())).equals(Buffer.from(memory))).toBe(true);
    expect((await download(second, notes ?? missing())).toString('utf8')).toBe('notes ü');
    for (const object of [...after.a, ...after.b]) {
      expect(await second.store.verify(object)).toMatchObject({ intact: true });
    }
    const again = second.store.put(actionA, 'memory.bin', 'again', 'text/plain');
    await expect(again).rejects.toBeInstanceOf(EvidenceExistsError);
  });

  it('keeps each object as its exact bytes plus metadata, readable only by the owner', async () => {
    // Prepare
    const dataDir = await dataDirForTest();
    const backend = await start(dataDir);
    const actionId = `act-${randomUUID()}`;
    const bytes = binaryEvidence('on disk');

    // Act
    const object = await backend.store.put(actionId, 'memory.bin', bytes, 'application/octet-stream');

    // Assess
    const actionDir = path.join(dataDir, 'evidence', actionId);
    expect((await readFile(path.join(actionDir, 'memory.bin'))).equals(Buffer.from(bytes))).toBe(true);
    const metadataFile = path.join(actionDir, '.meta', 'memory.bin.json');
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      key: object.key,
      size: object.size,
      sha256: object.sha256,
      contentType: 'application/octet-stream',
      metadata: { sha256: object.sha256, 'created-at': object.createdAt },
    });
    expect(await mode(path.join(dataDir, 'evidence'))).toBe(0o700);
    expect(await mode(actionDir)).toBe(0o700);
    expect(await mode(path.join(actionDir, '.meta'))).toBe(0o700);
    expect(await mode(path.join(actionDir, 'memory.bin'))).toBe(0o600);
    expect(await mode(path.join(actionDir, '.meta', 'memory.bin.json'))).toBe(0o600);
    expect((await readdir(actionDir)).filter((entry) => entry.startsWith('.tmp-'))).toEqual([]);
  });

  it("reads the evidence an earlier version's embedded S3 mirrored, uploads included", async () => {
    // Prepare: the mirror's files as it wrote them for a presigned upload (its metadata carried no created-at of its own).
    const dataDir = await dataDirForTest();
    const actionId = `act-${randomUUID()}`;
    const actionDir = path.join(dataDir, 'evidence', actionId);
    await mkdir(path.join(actionDir, '.meta'), { recursive: true });
    const bytes = Buffer.from('acquired by an older responder');
    const sha256 = await independentSha256(bytes);
    const key = `actions/${actionId}/old.bin`;
    await writeFile(path.join(actionDir, 'old.bin'), bytes);
    const mirrored = { key, size: bytes.byteLength, sha256, contentType: 'application/octet-stream', metadata: { 'created-at': '2026-10-01T08:00:00.000Z', sha256 }, lastModified: '2026-10-01T08:00:00.000Z' };
    await writeFile(path.join(actionDir, '.meta', 'old.bin.json'), JSON.stringify(mirrored, null, 2));

    // Act
    const backend = await start(dataDir);
    const listed = await backend.store.list(actionId);

    // Assess
    expect(backend.store.recovered).toEqual({ objects: 1, problems: [] });
    expect(listed).toEqual([{ name: 'old.bin', key, size: bytes.byteLength, sha256, contentType: 'application/octet-stream', createdAt: '2026-10-01T08:00:00.000Z' }]);
    expect(await download(backend, listed[0] ?? missing())).toEqual(bytes);
    await expect(backend.store.put(actionId, 'old.bin', 'overwrite', 'text/plain')).rejects.toBeInstanceOf(EvidenceExistsError);
  });

  it('keeps nothing of an upload that breaks off midway, and frees its name for the retry', async () => {
    // Prepare: a body that stops after its first half, as when the uploader's connection drops.
    const backend = await start(await dataDirForTest());
    const actionId = `act-${randomUUID()}`;
    const bytes = Buffer.from(binaryEvidence('dropped'));
    const expected = { contentType: 'application/octet-stream', size: bytes.byteLength, sha256: await independentSha256(bytes) };
    async function* brokenOff(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, 100);
      await Promise.reject(new Error('aborted'));
    }

    // Act
    const failure = await refusal(backend.store.receive(`actions/${actionId}/dump.bin`, expected, brokenOff()));
    const leftOnDisk = await readdir(path.join(backend.dataDir, 'evidence', actionId), { recursive: true });
    const retried = await backend.store.receive(`actions/${actionId}/dump.bin`, expected, [bytes]);

    // Assess
    expect(failure).toMatchObject({ message: 'aborted' });
    expect(leftOnDisk).toEqual(['.meta']);
    expect(await backend.store.list(actionId)).toEqual([retried]);
    expect(await backend.store.verify(retried)).toMatchObject({ intact: true });
  });

  it('refuses a write it cannot store, and keeps nothing of it', async () => {
    // Prepare: a file where the action's folder belongs makes every write fail.
    const dataDir = await dataDirForTest();
    const backend = await start(dataDir);
    const actionId = `act-${randomUUID()}`;
    await writeFile(path.join(dataDir, 'evidence', actionId), 'not a folder');

    // Act
    const failure = await refusal(backend.store.put(actionId, 'log.txt', 'unstored', 'text/plain'));

    // Assess
    expect(failure).toMatchObject({ code: 'ENOTDIR' });
    expect(await backend.store.list(actionId)).toEqual([]);
  });

  it('restores an object altered on disk as found and flags it; discards a write that never completed', async () => {
    // Prepare
    const dataDir = await dataDirForTest();
    const first = await start(dataDir);
    const actionId = `act-${randomUUID()}`;
    const object = await first.store.put(actionId, 'log.txt', 'the original log', 'text/plain');
    await first.stop();
    const actionDir = path.join(dataDir, 'evidence', actionId);
    await writeFile(path.join(actionDir, 'log.txt'), 'the altered log!');
    await writeFile(path.join(actionDir, '.meta', 'half.txt.json'), '{}');
    await writeFile(path.join(actionDir, '.tmp-crashed'), 'partial');

    // Act
    const second = await start(dataDir);
    const listed = await second.store.list(actionId);

    // Assess
    expect(second.store.recovered.objects).toBe(1);
    expect(second.store.recovered.problems).toEqual([
      `actions/${actionId}/half.txt: its write never completed (metadata without content); discarded`,
      `actions/${actionId}/log.txt: its bytes on disk no longer match the SHA-256 recorded when it was written; ` +
        'restored as found, and verify() reports it',
    ]);
    expect(listed).toEqual([object]);
    expect(await second.store.verify(object)).toEqual({
      intact: false,
      size: object.size,
      sha256: await independentSha256(Buffer.from('the altered log!')),
    });
    expect((await readdir(actionDir)).sort()).toEqual(['.meta', 'log.txt']);
  });
});

/** The error a request failed with (null when it succeeded), awaited at once so no rejection goes unhandled. */
async function refusal(request: Promise<unknown>): Promise<unknown> {
  return request.then(
    () => null,
    (error: unknown) => error,
  );
}

function missing(): never {
  throw new Error('expected an evidence object');
}
