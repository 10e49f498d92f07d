/**
 * S3 evidence buckets for tests of the S3 evidence store (the one AWS runs): a fresh bucket on an
 * S3 the test names (moto_server enforces If-None-Match, so write-once holds there), or on a
 * throwaway fauxqs server when the test needs an S3 that is not moto. The evidence client is
 * pointed at it as the store's explicit endpoint, as the service makes it.
 */
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';
import { createEvidenceS3Client } from '#shared/adapters/s3-evidence-store.ts';
import { emulatorCredentials } from './history-store.ts';

export interface EvidenceBucket {
  readonly endpoint: string;
  readonly region: string;
  readonly evidenceBucket: string;
  /** From `createEvidenceS3Client`. */
  readonly client: S3Client;
  close(): Promise<void>;
}

/** A new, uniquely named bucket on the S3 at `endpoint`. */
export async function evidenceBucketOn(endpoint: string): Promise<EvidenceBucket> {
  const region = 'us-east-1';
  const evidenceBucket = `evidence-${randomUUID()}`;
  const client = createEvidenceS3Client({ endpoint, region, credentials: emulatorCredentials });
  await client.send(new CreateBucketCommand({ Bucket: evidenceBucket }));
  return {
    endpoint,
    region,
    evidenceBucket,
    client,
    close: () => {
      client.destroy();
      return Promise.resolve();
    },
  };
}

/** A bucket on its own fauxqs server (in memory, any credentials), stopped by `close`. */
export async function startEvidenceBucket(): Promise<EvidenceBucket> {
  const server = await startFauxqs({ port: 0, logger: false });
  const bucket = await evidenceBucketOn(`http://127.0.0.1:${server.port}`);
  return {
    ...bucket,
    close: async () => {
      await bucket.close();
      await server.stop();
    },
  };
}
