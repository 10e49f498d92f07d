/**
 * What verify-trail reads in AWS (or on moto_server): the entries under `trail/` of the evidence
 * bucket in seq order, every item of the history table (Scan), and every evidence object under
 * `actions/` with the SHA-256 recorded in its metadata and the SHA-256 of its bytes now.
 */
import { createHash } from 'node:crypto';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { trailPrefix } from './s3-trail.ts';
import type { EvidenceFinding, StoredEntry, TrailSources } from './verify.ts';

export interface AwsTrailSourcesOptions {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly table: string;
}

/** Where evidence objects are (`actions/<actionId>/<name>`, shared/evidence/keys.ts). */
const evidenceKeyPrefix = 'actions/';

/** Objects fetched at once while walking the trail (order is kept). */
const fetchAhead = 16;

export function awsTrailSources(options: AwsTrailSourcesOptions): TrailSources {
  const { s3, dynamo, bucket, table } = options;
  const read = async (key: string): Promise<string> => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  };
  return {
    entries: async function* (): AsyncGenerator<StoredEntry> {
      for await (const keys of listKeys(s3, bucket, trailPrefix)) {
        for (let start = 0; start < keys.length; start += fetchAhead) {
          const batch = keys.slice(start, start + fetchAhead);
          const bodies = await Promise.all(batch.map(read));
          for (const [index, stored] of bodies.entries()) yield { where: `s3://${bucket}/${batch[index] ?? ''}`, stored };
        }
      }
    },
    items: async function* () {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }));
        for (const item of page.Items ?? []) yield item;
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    },
    evidence: async function* (): AsyncGenerator<EvidenceFinding> {
      for await (const keys of listKeys(s3, bucket, evidenceKeyPrefix)) {
        for (const key of keys) {
          const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          const hash = createHash('sha256');
          for await (const chunk of object.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
          yield { key, recordedSha256: head.Metadata?.['sha256'] ?? '(none recorded)', actualSha256: hash.digest('hex') };
        }
      }
    },
  };
}

/** The keys under a prefix, a page at a time, in key order. */
async function* listKeys(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<string[]> {
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }));
    yield (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}
