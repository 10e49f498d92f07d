import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { createEvidenceS3Client, S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { systemClock } from '#shared/clock.ts';
import { startEvidenceBucket, type EvidenceBucket } from '#test/support/evidence-bucket.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';

const endpointVariables = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3'] as const;
let saved: Partial<Record<(typeof endpointVariables)[number], string>> = {};
/** The evidence bucket's own S3, given to the evidence client as its explicit endpoint. */
let backend: { aws: EvidenceBucket; client: S3Client; stop: () => Promise<void> };

beforeEach(async () => {
  saved = {};
  for (const name of endpointVariables) if (process.env[name] !== undefined) saved[name] = process.env[name];
  const aws = await startEvidenceBucket();
  backend = { aws, client: aws.client, stop: () => aws.close() };
});
afterEach(async () => {
  for (const name of endpointVariables) {
    const value = saved[name];
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
  await backend.stop();
});

/** The S3 client a cloud action would use on a target account: no endpoint, so it follows AWS_ENDPOINT_URL. */
const targetAccountClient = (): S3Client =>
  new S3Client({ region: 'us-east-1', forcePathStyle: true, credentials: emulatorCredentials });

describe('the evidence client never follows AWS_ENDPOINT_URL', () => {
  it("writes evidence to the evidence bucket's own endpoint while AWS_ENDPOINT_URL points at moto_server", async () => {
    // Prepare: AWS_ENDPOINT_URL(_S3) point at a real, different S3 (moto_server), where an unguarded client would land.
    const moto = inject('motoEndpoint');
    process.env.AWS_ENDPOINT_URL = moto;
    process.env.AWS_ENDPOINT_URL_S3 = moto;
    const evidenceClient = createEvidenceS3Client({ endpoint: backend.aws.endpoint, region: backend.aws.region, credentials: emulatorCredentials });
    const bucket = backend.aws.evidenceBucket;
    const store = new S3EvidenceStore({ client: evidenceClient, bucket, clock: systemClock });
    const control = targetAccountClient();
    const motoClient = new S3Client({
      endpoint: moto,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: emulatorCredentials,
    });
    const controlBucket = `control-${randomUUID()}`;
    const actionId = `act-${randomUUID()}`;

    // Act
    await control.send(new CreateBucketCommand({ Bucket: controlBucket }));
    const object = await store.put(actionId, 'isolated.txt', 'stays local', 'text/plain');

    // Assess: the control really went to moto, so the variables were live; the evidence did not.
    await expect(motoClient.send(new HeadBucketCommand({ Bucket: controlBucket }))).resolves.toBeDefined();
    const motoBuckets = (await motoClient.send(new ListBucketsCommand({}))).Buckets ?? [];
    expect(motoBuckets.map((each) => each.Name)).not.toContain(bucket);
    const local = await backend.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `actions/${actionId}/` }));
    expect(local.Contents?.map((entry) => entry.Key)).toEqual([object.key]);
    expect(new URL(await store.downloadUrl(object, 60)).origin).toBe(backend.aws.endpoint);
    for (const client of [evidenceClient, control, motoClient]) client.destroy();
  });

  it('resolves the regional S3 endpoint, not AWS_ENDPOINT_URL, when given no endpoint (as in Lambda)', async () => {
    // Prepare
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:9';
    const evidenceClient = createEvidenceS3Client({ region: 'eu-west-1', credentials: emulatorCredentials });
    const control = targetAccountClient();
    const seen: string[] = [];
    class RequestCaptured extends Error {
      override readonly name = 'RequestCaptured';
    }
    for (const client of [evidenceClient, control]) {
      // Stops each request after its endpoint is resolved and before anything is sent.
      client.middlewareStack.add(
        () => (args) => {
          const request = args.request as { protocol?: string; hostname?: string; port?: number };
          const port = request.port === undefined ? '' : `:${request.port}`;
          seen.push(`${request.protocol ?? ''}//${request.hostname ?? ''}${port}`);
          return Promise.reject(new RequestCaptured());
        },
        { step: 'build', name: 'captureEndpoint' },
      );
    }

    // Act
    const caught = (error: unknown): unknown => error;
    const evidenceBucket = 'response-actions-evidence';
    const evidence = await evidenceClient.send(new ListObjectsV2Command({ Bucket: evidenceBucket })).catch(caught);
    const target = await control.send(new ListObjectsV2Command({ Bucket: 'some-target-bucket' })).catch(caught);

    // Assess
    expect(evidence).toBeInstanceOf(RequestCaptured);
    expect(target).toBeInstanceOf(RequestCaptured);
    expect(seen).toEqual(['https://response-actions-evidence.s3.eu-west-1.amazonaws.com', 'http://127.0.0.1:9']);
    for (const client of [evidenceClient, control]) client.destroy();
  });
});
