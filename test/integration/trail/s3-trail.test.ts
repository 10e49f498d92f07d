/**
 * The trail in AWS, on moto_server (S3 and DynamoDB): appenders in separate "functions" racing
 * for the next seq keep one dense chain (If-None-Match conditional writes, which moto enforces);
 * a cold appender finds the head; and `npm run verify-trail -- --bucket --table` finds it intact,
 * then names an item edited directly in the table, an evidence object whose bytes are not the
 * recorded ones, and an entry overwritten in place (what Object Lock prevents in a real bucket).
 */
import { createHash, randomUUID } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createEvidenceS3Client } from '#shared/adapters/s3-evidence-store.ts';
import { createHistoryClient, ensureHistoryTable } from '#shared/adapters/dynamodb.ts';
import { systemClock } from '#shared/clock.ts';
import { HistoryWriter } from '#shared/history/writer.ts';
import { awsTrailSources } from '#shared/trail/aws-sources.ts';
import type { TrailEvent } from '#shared/trail/entry.ts';
import { S3Trail, trailKeyOf } from '#shared/trail/s3-trail.ts';
import { isIntact, verifyTrail } from '#shared/trail/verify.ts';
import { emulatorCredentials } from '../../support/history-store.ts';
import { recordFixture } from '../../support/records.ts';
import { runVerifyTrail, type VerifyTrailRun } from './verify-trail-process.ts';

const region = 'us-east-1';
let endpoint: string;
let s3: S3Client;

beforeAll(() => {
  endpoint = inject('motoEndpoint');
  s3 = createEvidenceS3Client({ endpoint, region, credentials: emulatorCredentials });
});

async function freshBucket(): Promise<string> {
  const bucket = `trail-${randomUUID()}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

const event = (actor: string): TrailEvent => ({ kind: 'evidence.url-issued', subject: { type: 'evidence', id: 'actions/a/log.json' }, actor, digest: null });

const verifyTrailCommand = (bucket: string, table: string): Promise<VerifyTrailRun> =>
  runVerifyTrail(['--bucket', bucket, '--table', table, '--region', region, '--endpoint-url', endpoint], { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });

describe('S3Trail on moto_server', () => {
  it('chains on, and keeps the entry, when another function took the seq it was about to write (a real 412)', async () => {
    // Prepare: appender A reads the head, then (held back by a middleware: moto cannot be made to
    // interleave two requests on its own) appender B appends before A's PutObject goes out.
    const bucket = await freshBucket();
    const b = new S3Trail({ client: s3, bucket });
    await b.append([event('b-first')]);
    const aClient = createEvidenceS3Client({ endpoint, region, credentials: emulatorCredentials });
    let held = false;
    aClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand' && !held) {
          held = true;
          await b.append([event('b-second')]);
        }
        return next(args);
      },
      { step: 'initialize', name: 'holdFirstPut' },
    );
    const a = new S3Trail({ client: aClient, bucket });

    // Act
    await a.append([event('a')]);

    // Assess
    const actors = await Promise.all([0, 1, 2].map(async (seq) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: trailKeyOf(seq) }));
      return (JSON.parse((await object.Body?.transformToString()) ?? '') as { actor: string }).actor;
    }));
    expect(held).toBe(true);
    expect(actors).toEqual(['b-first', 'b-second', 'a']);
    const report = await verifyTrail({ ...awsTrailSources({ s3, dynamo: createHistoryClient({ endpoint, region, credentials: emulatorCredentials }), bucket, table: 'none' }), items: async function* () {} });
    expect(report.firstBrokenLink).toBeNull();
    expect(report.entries).toBe(3);
  });

  it('keeps one unbroken chain while four appenders race for every seq, and a cold one finds the head', async () => {
    // Prepare
    const bucket = await freshBucket();
    const appenders = Array.from({ length: 4 }, () => new S3Trail({ client: s3, bucket }));

    // Act
    await Promise.all(appenders.map((trail, index) => Promise.all(Array.from({ length: 10 }, (_, each) => trail.append([event(`fn${String(index)}-${String(each)}`)])))));
    const cold = new S3Trail({ client: s3, bucket });
    await cold.append([event('cold-start')]);

    // Assess: no fork and no gap. (Not the count: moto checks If-None-Match and then writes, in a
    // threaded server, so under load two racing writes of one key can both succeed there; S3's
    // conditional write is atomic.)
    const report = await verifyTrail({ ...awsTrailSources({ s3, dynamo: createHistoryClient({ endpoint, region, credentials: emulatorCredentials }), bucket, table: 'none' }), items: async function* () {} });
    expect(report.firstBrokenLink).toBeNull();
    const last = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: trailKeyOf(report.entries - 1) }));
    expect(JSON.parse((await last.Body?.transformToString()) ?? '')).toMatchObject({ actor: 'cold-start' });
  });
});

describe('npm run verify-trail -- --bucket --table (AWS), on moto_server', () => {
  it('is intact after writes through the service, then names each change made behind its back', async () => {
    // Prepare: the history table and the evidence bucket, written through the service's writer.
    const bucket = await freshBucket();
    const table = `history-${randomUUID()}`;
    const store = { endpoint, region, credentials: emulatorCredentials };
    await ensureHistoryTable(store, table);
    const client = createHistoryClient(store);
    const writer = new HistoryWriter({ client, tableName: table, clock: systemClock, trail: new S3Trail({ client: s3, bucket }) });
    const record = recordFixture({ at: new Date() });
    await writer.create(record);
    await writer.transition(record.id, 'Enqueued');
    await writer.transition(record.id, 'Running');
    const bytes = Buffer.from('{"events":[]}');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `actions/${record.id}/log.json`, Body: bytes, Metadata: { sha256: createHash('sha256').update(bytes).digest('hex') } }));

    // Act
    const intact = await verifyTrailCommand(bucket, table);
    await client.send(
      new UpdateCommand({ TableName: table, Key: { pk: `A#${record.id}`, sk: 'A' }, UpdateExpression: 'SET #status = :s', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':s': 'Completed' } }),
    );
    const edited = await verifyTrailCommand(bucket, table);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `actions/${record.id}/log.json`, Body: 'rewritten', Metadata: { sha256: createHash('sha256').update(bytes).digest('hex') } }));
    const first = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: trailKeyOf(0) }));
    const altered = ((await first.Body?.transformToString()) ?? '').replace('"actor":"analyst-1"', '"actor":"analyst-2"');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: trailKeyOf(0), Body: altered }));
    const tampered = await verifyTrailCommand(bucket, table);

    // Assess
    expect(intact.code, intact.stdout + intact.stderr).toBe(0);
    expect(intact.stdout).toBe('trail intact: 3 entries, 1 records, 1 evidence objects; the chain holds, every record is as the service last wrote it, every evidence object has its recorded SHA-256\n');
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain(`record changed: action ${record.id} differs from what the service last wrote (trail entry 2)`);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`first broken link: entry 1 (s3://${bucket}/trail/000000000001.json) its prev is not the SHA-256 of entry 0`);
    expect(tampered.stdout).toContain(`evidence damaged: evidence actions/${record.id}/log.json its bytes hash to`);
    expect(isIntact(await verifyTrail(awsTrailSources({ s3, dynamo: client, bucket, table })))).toBe(false);
  });

  it('answers a usage error with exit 2', async () => {
    const result = await verifyTrailCommand('', 'history');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--bucket (or TRAIL_BUCKET) is required');
  });
});
