import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { openStoreSockets } from '#local/data-dir.ts';
import { startEmbeddedAws, type EmbeddedAws } from '#local/embedded-aws.ts';
import { createEvidenceS3Client, S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { systemClock, type Clock } from '#shared/clock.ts';

export interface EvidenceBackend {
  readonly aws: EmbeddedAws;
  readonly client: S3Client;
  readonly store: S3EvidenceStore;
  readonly dataDir: string;
  /** Stops the embedded AWS (the data dir stays). */
  stop(): Promise<void>;
}

/** A fresh DATA_DIR under the OS temp dir; remove it with `removeDataDir`. */
export async function freshDataDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'evidence-'));
}

export async function removeDataDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
}

/** Embedded AWS on `dataDir` and an evidence store on it, wired as the local runtime wires them. */
export async function startEvidenceBackend(
  dataDir: string,
  options: { clock?: Clock; pageSize?: number } = {},
): Promise<EvidenceBackend> {
  const sockets = await openStoreSockets(dataDir);
  const aws = await startEmbeddedAws({ dataDir, socketPath: await sockets.socket('aws') });
  const client = createEvidenceS3Client({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: aws.credentials,
    ...(aws.httpAgent === undefined ? {} : { httpAgent: aws.httpAgent }),
  });
  const store = new S3EvidenceStore({
    client,
    bucket: aws.evidenceBucket,
    clock: options.clock ?? systemClock,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  });
  return {
    aws,
    client,
    store,
    dataDir,
    stop: async () => {
      client.destroy();
      await aws.close();
      await sockets.close();
    },
  };
}

/** SHA-256 by WebCrypto, independent of the node:crypto hashing the store uses. */
export async function independentSha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', Uint8Array.from(bytes));
  return Buffer.from(digest).toString('hex');
}

/** Every byte value, then some text: catches any encoding or truncation on the way. */
export function binaryEvidence(label: string): Uint8Array {
  return Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, index) => index)), Buffer.from(`\n${label}\n`)]);
}

export const sleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));
