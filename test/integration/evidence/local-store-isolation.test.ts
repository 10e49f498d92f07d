import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListTablesCommand, ScanCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '#local/service.ts';

/**
 * Another user of the machine against `npm start`'s stores: it may try any loopback port with any
 * credentials. Only the API may listen on TCP; it serves no store, and evidence only to a signed URL.
 */

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

/** TCP ports this process listens on, from /proc: the sockets among its file descriptors in LISTEN state. */
async function listeningPorts(): Promise<Set<number>> {
  const inodes = new Set<string>();
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1] !== undefined) inodes.add(match[1]);
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state, , , , , , inode] = fields;
      if (state === '0A' && inode !== undefined && inodes.has(inode) && local !== undefined) {
        ports.add(parseInt(local.split(':')[1] ?? '', 16));
      }
    }
  }
  return ports;
}

async function refusal(request: Promise<unknown>): Promise<unknown> {
  return request.then(
    () => null,
    (error: unknown) => error,
  );
}

let dataDir: string;
let service: LocalService;
let portsBefore: Set<number>;
let portsWhileRunning: Set<number>;

beforeAll(async () => {
  // A DATA_DIR left open by an earlier run, an unpacked backup or a umask: 0755, keys 0644.
  dataDir = await mkdtemp(path.join(tmpdir(), 'local-stores-'));
  await mkdir(path.join(dataDir, 'auth'), { mode: 0o755 });
  await writeFile(path.join(dataDir, 'cursor-key'), Buffer.alloc(32, 7), { mode: 0o644 });
  await chmod(dataDir, 0o755);
  portsBefore = await listeningPorts();
  service = await startLocalService({ dataDir, port: 0, env: {}, hostResponder: false });
  portsWhileRunning = await listeningPorts();
});

afterAll(async () => {
  await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the local service keeps its stores to itself', () => {
  it('makes DATA_DIR 0700 and its key files 0600, whatever was there before', async () => {
    // Assess
    expect(await mode(dataDir)).toBe(0o700);
    expect(await mode(path.join(dataDir, 'auth'))).toBe(0o700);
    for (const key of ['cursor-key', 'evidence-signing-key', 'work-signing-key.json', 'auth/issuer-keys.json']) {
      expect({ key, mode: await mode(path.join(dataDir, key)) }).toEqual({ key, mode: 0o600 });
    }
    expect(await mode(path.join(dataDir, 'sockets'))).toBe(0o700);
    expect((await readdir(path.join(dataDir, 'sockets'))).sort()).toEqual(['aws.sock', 'dynamodb.sock']);
  });

  it('listens on TCP for the API only: dynalite and fauxqs have no TCP port, evidence URLs are served by the API server', () => {
    // Assess
    const opened = [...portsWhileRunning].filter((port) => !portsBefore.has(port)).sort();
    const api = Number(new URL(service.url).port);
    expect(opened).toEqual([api]);
  });

  it('answers a client with arbitrary credentials on every new TCP port with 403, for DynamoDB, S3 and SQS alike', async () => {
    // Prepare: another local user tries every port the service opened, as each store's client.
    const opened = [...portsWhileRunning].filter((port) => !portsBefore.has(port));
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const outcomes: { port: number; store: string; status: number | undefined }[] = [];

    // Act
    for (const port of opened) {
      const endpoint = `http://127.0.0.1:${port}`;
      const dynamo = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
      const s3 = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
      const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
      const attempts = {
        'dynamodb ListTables': () => dynamo.send(new ListTablesCommand({})),
        'dynamodb Scan': () => dynamo.send(new ScanCommand({ TableName: 'history' })),
        's3 ListObjectsV2': () => s3.send(new ListObjectsV2Command({ Bucket: 'response-actions-evidence' })),
        's3 GetObject': () => s3.send(new GetObjectCommand({ Bucket: 'response-actions-evidence', Key: 'actions/a/b' })),
        'sqs ListQueues': () => sqs.send(new ListQueuesCommand({})),
      };
      for (const [store, attempt] of Object.entries(attempts)) {
        const error = (await refusal(attempt())) as { $metadata?: { httpStatusCode?: number } } | null;
        outcomes.push({ port, store, status: error === null ? 200 : error.$metadata?.httpStatusCode });
      }
      for (const client of [dynamo, s3, sqs]) client.destroy();
    }

    // Assess: every attempt is refused (the API's 401, the presigned-only port's 403, the console's 404
    // for an address that is not one of its pages or 405 for a method it does not serve); nothing succeeds.
    expect(outcomes).toHaveLength(opened.length * 5);
    for (const outcome of outcomes) expect([401, 403, 404, 405]).toContain(outcome.status);
  });

  it('answers an evidence path on the API port without a valid signature with 403', async () => {
    // Act
    const unsigned = await fetch(`${service.url}/local-evidence/actions/a/b.txt`);
    const forged = await fetch(`${service.url}/local-evidence/actions/a/b.txt?expires=9999999999&signature=${'A'.repeat(43)}`);

    // Assess
    expect([unsigned.status, forged.status]).toEqual([403, 403]);
    expect(unsigned.headers.get('content-type')).toBe('application/problem+json');
  });
});
