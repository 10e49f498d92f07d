import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { systemClock } from '#shared/clock.ts';
import { InvalidEvidenceInputError } from '#shared/evidence/errors.ts';
import { evidenceBucketOn, type EvidenceBucket } from '#test/support/evidence-bucket.ts';
import { independentSha256 } from './embedded-evidence.ts';
import { evidenceStoreContract } from './evidence-store-contract.ts';

/*
 * The S3 store (the one AWS runs) on moto_server: what it writes, lists, signs and refuses. S3's
 * own enforcement of a presigned URL (signature, expiry, checksum) is S3's, which moto does not
 * reproduce; the local store's tests hold the same assertions for the local runtime.
 */

let bucket: EvidenceBucket;
let backend: { client: S3Client; bucket: string; store: S3EvidenceStore };
beforeAll(async () => {
  bucket = await evidenceBucketOn(inject('motoEndpoint'));
  backend = { client: bucket.client, bucket: bucket.evidenceBucket, store: new S3EvidenceStore({ client: bucket.client, bucket: bucket.evidenceBucket, clock: systemClock }) };
});
afterAll(async () => {
  await bucket.close();
});

const newActionId = (): string => `act-${randomUUID()}`;

describe('S3EvidenceStore on moto_server', () => {
  evidenceStoreContract(() => ({
    store: backend.store,
    withClock: (clock) => Promise.resolve(new S3EvidenceStore({ client: backend.client, bucket: backend.bucket, clock, pageSize: 2 })),
    assessUploadUrl: (url) => {
      expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe(
        'content-length;content-type;host;if-none-match;x-amz-checksum-sha256;x-amz-meta-sha256',
      );
    },
  }));

  it('caps presigned URLs at 15 minutes', async () => {
    // Prepare
    const { store } = backend;
    const actionId = newActionId();
    const object = await store.put(actionId, 'a.txt', 'a', 'text/plain');
    const sha256 = await independentSha256(Buffer.from('b'));

    // Act
    const download = new URL(await store.downloadUrl(object, 86_400));
    const grant = await store.uploadUrl(actionId, 'b.txt', { contentType: 'text/plain', size: 1, sha256 }, 86_400);
    const amzDate = new URL(grant.url).searchParams.get('X-Amz-Date') ?? '';
    const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

    // Assess
    expect(download.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(new URL(grant.url).searchParams.get('X-Amz-Expires')).toBe('900');
    expect(Date.parse(grant.expiresAt)).toBe(signedAt + 900_000);
    await expect(store.downloadUrl(object, 0)).rejects.toBeInstanceOf(InvalidEvidenceInputError);
  });
});
