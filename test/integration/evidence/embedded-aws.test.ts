import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readFile, stat, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startFauxqs } from 'fauxqs';
import { EvidenceExistsError } from '#shared/evidence/errors.ts';
import type { EvidenceObject } from '#shared/ports.ts';
import {
  binaryEvidence,
  freshDataDir,
  independentSha256,
  removeDataDir,
  sleep,
  startEvidenceBackend,
  type EvidenceBackend,
} from './embedded-evidence.ts';

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

describe('embedded AWS: evidence survives a restart', () => {
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
    expect(first.aws.restored).toEqual({ objects: 0, problems: [] });
    expect(second.aws.restored).toEqual({ objects: 4, problems: [] });
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

  it('mirrors each object as its exact bytes plus metadata, readable only by the owner', async () => {
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

  it('forgets deleted objects (DeleteObject, DeleteObjects) across a restart', async () => {
    // Prepare
    const dataDir = await dataDirForTest();
    const first = await start(dataDir);
    const actionId = `act-${randomUUID()}`;
    await first.store.put(actionId, 'keep.txt', 'keep', 'text/plain');
    const gone = await first.store.put(actionId, 'gone.txt', 'gone', 'text/plain');
    const alsoGone = await first.store.put(actionId, 'also-gone.txt', 'also gone', 'text/plain');

    // Act
    await first.client.send(new DeleteObjectCommand({ Bucket: first.aws.evidenceBucket, Key: gone.key }));
    const Delete = { Objects: [{ Key: alsoGone.key }] };
    await first.client.send(new DeleteObjectsCommand({ Bucket: first.aws.evidenceBucket, Delete }));
    const mirrored = await readdir(path.join(dataDir, 'evidence', actionId));
    await first.stop();
    const second = await start(dataDir);

    // Assess
    expect(mirrored.sort()).toEqual(['.meta', 'keep.txt']);
    expect((await second.store.list(actionId)).map((object) => object.name)).toEqual(['keep.txt']);
    expect(second.aws.restored).toEqual({ objects: 1, problems: [] });
  });

  it('mirrors an object written by a multipart upload with parts sent in parallel', async () => {
    // Prepare
    const dataDir = await dataDirForTest();
    const first = await start(dataDir);
    const { client, aws } = first;
    const actionId = `act-${randomUUID()}`;
    const key = `actions/${actionId}/big.bin`;
    const parts = [Buffer.alloc(5 * 1024 * 1024, 7), Buffer.from('tail')];
    const whole = Buffer.concat(parts);

    // Act
    const Bucket = aws.evidenceBucket;
    const Metadata = { sha256: await independentSha256(whole) };
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: 'application/octet-stream', Metadata }),
    );
    const uploaded = await Promise.all(
      parts.map((Body, index) =>
        client.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: index + 1, Body })),
      ),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: aws.evidenceBucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: uploaded.map((part, index) => ({ ETag: part.ETag, PartNumber: index + 1 })) },
      }),
    );
    await first.stop();
    const second = await start(dataDir);
    const listed = await second.store.list(actionId);

    // Assess
    expect(listed).toMatchObject([{ name: 'big.bin', size: whole.byteLength, sha256: await independentSha256(whole) }]);
    expect((await download(second, listed[0] ?? missing())).equals(whole)).toBe(true);
  });

  it('refuses a write it cannot mirror, and keeps nothing of it', async () => {
    // Prepare: a file where the action's mirror folder belongs makes every mirror write fail.
    const dataDir = await dataDirForTest();
    const backend = await start(dataDir);
    const actionId = `act-${randomUUID()}`;
    await writeFile(path.join(dataDir, 'evidence', actionId), 'not a folder');

    // Act
    const failure = await refusal(backend.store.put(actionId, 'log.txt', 'unmirrored', 'text/plain'));

    // Assess
    expect(failure).toMatchObject({ name: 'InternalError' });
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
    expect(second.aws.restored.objects).toBe(1);
    expect(second.aws.restored.problems).toEqual([
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

describe('embedded AWS: the evidence bucket behaves like the S3 bucket it stands for', () => {
  it('serves on loopback; refuses anonymous requests, keys outside actions/<id>/<name> and DeleteBucket', async () => {
    // Prepare
    const backend = await start(await dataDirForTest());
    const { aws, client } = backend;
    const object = await backend.store.put(`act-${randomUUID()}`, 'a.txt', 'a', 'text/plain');

    // Act
    const anonymous = await fetch(`${aws.endpoint}/${aws.evidenceBucket}/${object.key}`);
    await anonymous.arrayBuffer();
    const Bucket = aws.evidenceBucket;
    const outside = await refusal(client.send(new PutObjectCommand({ Bucket, Key: 'elsewhere/x.txt', Body: 'x' })));
    const traversal = await refusal(client.send(new PutObjectCommand({ Bucket, Key: 'actions/a/b/c.txt', Body: 'x' })));
    const dropBucket = await refusal(client.send(new DeleteBucketCommand({ Bucket: aws.evidenceBucket })));

    // Assess
    expect(new URL(aws.endpoint).hostname).toBe('127.0.0.1');
    expect(anonymous.status).toBe(403);
    expect(outside).toMatchObject({ name: 'AccessDenied' });
    expect(traversal).toMatchObject({ name: 'AccessDenied' });
    expect(dropBucket).toMatchObject({ name: 'AccessDenied' });
    expect((await backend.store.list(object.key.split('/')[1] ?? '')).map((each) => each.name)).toEqual(['a.txt']);
  });

  it('serves SQS and S3 to its own clients on the unix socket only: its TCP port refuses anything but a valid presigned URL', async () => {
    // Prepare
    const backend = await start(await dataDirForTest());
    const { aws } = backend;
    const object = await backend.store.put(`act-${randomUUID()}`, 'secret.txt', 'evidence', 'text/plain');
    const sqs = new SQSClient({ endpoint: aws.endpoint, region: aws.region, credentials: aws.credentials, requestHandler: { httpAgent: aws.httpAgent } });
    cleanups.push(() => {
      sqs.destroy();
      return Promise.resolve();
    });
    // Another user of the machine: any credentials, straight to the TCP port.
    const stranger = { endpoint: aws.endpoint, region: aws.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
    const strangerS3 = new S3Client({ ...stranger, forcePathStyle: true });
    const strangerSqs = new SQSClient(stranger);
    // A URL signed with the key this server used before it had a per-DATA_DIR secret.
    const oldKeyS3 = new S3Client({ ...stranger, forcePathStyle: true, credentials: { accessKeyId: 'embedded-local', secretAccessKey: 'embedded-local-secret' } });
    cleanups.push(() => {
      for (const client of [strangerS3, strangerSqs, oldKeyS3]) client.destroy();
      return Promise.resolve();
    });

    // Act
    const created = await sqs.send(new CreateQueueCommand({ QueueName: 'responder-work' }));
    const strangerGet = await refusal(strangerS3.send(new GetObjectCommand({ Bucket: aws.evidenceBucket, Key: object.key })));
    const strangerList = await refusal(strangerS3.send(new ListObjectsV2Command({ Bucket: aws.evidenceBucket })));
    const strangerQueues = await refusal(strangerSqs.send(new ListQueuesCommand({})));
    const strangerReceive = await refusal(strangerSqs.send(new ReceiveMessageCommand({ QueueUrl: created.QueueUrl })));
    const forged = await fetch(await getSignedUrl(oldKeyS3, new GetObjectCommand({ Bucket: aws.evidenceBucket, Key: object.key }), { expiresIn: 60 }));
    const inspect = await fetch(`${aws.endpoint}/_fauxqs/queues`);

    // Assess
    expect(created.QueueUrl).toContain('responder-work');
    expect(aws.credentials.secretAccessKey).not.toBe('embedded-local-secret');
    for (const refused of [strangerGet, strangerList, strangerQueues, strangerReceive]) {
      expect(refused).toMatchObject({ $metadata: { httpStatusCode: 403 } });
    }
    expect(forged.status).toBe(403);
    expect(inspect.status).toBe(403);
    expect(await download(backend, object)).toEqual(Buffer.from('evidence'));
  });
});

describe('embedded AWS: a presigned upload does only what it was signed for', () => {
  it("refuses an upload URL sent with an unsigned x-amz-copy-source, so it cannot copy another action's evidence", async () => {
    // Prepare: action B holds evidence; a responder holds an upload grant for action A.
    const backend = await start(await dataDirForTest());
    const secret = await backend.store.put(`act-b-${randomUUID()}`, 'secret.txt', 'SECRET-OF-B', 'text/plain');
    const actionA = `act-a-${randomUUID()}`;
    const body = 'A-evidence';
    const grant = await backend.store.uploadUrl(actionA, 'copy.txt', { contentType: 'text/plain', size: body.length, sha256: await independentSha256(Buffer.from(body)) }, 60);

    // Act: the grant's URL and headers, plus a copy source it was never signed for.
    const copied = await fetch(grant.url, {
      method: grant.method,
      headers: { ...grant.headers, 'x-amz-copy-source': `/${backend.aws.evidenceBucket}/${secret.key}` },
    });
    const genuine = await fetch(grant.url, { method: grant.method, headers: grant.headers, body });

    // Assess: refused and nothing copied; the same URL used as granted still works.
    expect(copied.status).toBe(403);
    expect(await copied.text()).toContain('x-amz-copy-source');
    expect(genuine.status).toBe(200);
    const stored = await backend.store.list(actionA);
    expect(stored.map((object) => object.name)).toEqual(['copy.txt']);
    expect(await download(backend, stored[0] as EvidenceObject)).toEqual(Buffer.from(body));
  });
});

/**
 * What fauxqs 1.9.2 does on its own, which is why the embedded server adds its checks. If a
 * fauxqs upgrade starts enforcing any of these, this fails: then drop that part of the guard.
 */
describe('fauxqs alone (no embedded checks)', () => {
  it('accepts an expired or altered presigned URL, a wrong checksum and a second If-None-Match write', async () => {
    // Prepare
    const server = await startFauxqs({ port: 0, logger: false });
    cleanups.push(() => server.stop());
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${server.port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    cleanups.push(async () => {
      client.destroy();
      await Promise.resolve();
    });
    await client.send(new CreateBucketCommand({ Bucket: 'plain' }));
    const sha256 = Buffer.from(await independentSha256(Buffer.from('right')), 'hex').toString('base64');

    // Act
    await client.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'first', IfNoneMatch: '*' }));
    const overwrite = await client.send(
      new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'second', IfNoneMatch: '*' }),
    );
    const wrongChecksum = await client.send(
      new PutObjectCommand({ Bucket: 'plain', Key: 'w', Body: 'wrong', ChecksumSHA256: sha256 }),
    );
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'plain', Key: 'k' }), { expiresIn: 1 });
    await sleep(2100);
    const expired = await fetch(url);
    const altered = await fetch(url.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=0'));

    // Assess
    expect(overwrite.$metadata.httpStatusCode).toBe(200);
    expect(wrongChecksum.$metadata.httpStatusCode).toBe(200);
    expect(expired.status).toBe(200);
    expect(await expired.text()).toBe('second');
    expect(altered.status).toBe(200);
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
