/**
 * The tamper-evident trail through the local service (startLocalService, what `npm start` runs):
 * an approved host action that acquires evidence, an automation decision, an evidence download,
 * then `npm run verify-trail` on the DATA_DIR: intact; and each kind of tampering done behind the
 * service's back (a table item edited with a DynamoDB client, an evidence file altered, a trail
 * entry removed) is named, with exit 1.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { startLocalService, type LocalService } from '#local/service.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { runVerifyTrail, type VerifyTrailRun } from './verify-trail-process.ts';

const fixtures = new URL('../../fixtures/findings/', import.meta.url).pathname;
const falcoAlert = JSON.parse(await readFile(join(fixtures, 'written/falco-host-sensitive-file.json'), 'utf8')) as Record<string, unknown>;
const host = `trail-host-${randomUUID().slice(0, 8)}`;
const exec = ['containment-response-actions.exec', 'data-gathering-response-actions.exec'];

let dir: string;
let dataDir: string;
/** Every token the test handed the service, and the evidence URL it was given: none may reach the trail. */
const bearers: string[] = [];
let downloadUrl: string;

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the body it expects
async function call<Body = Record<string, unknown>>(service: LocalService, method: string, path: string, sub: string, body?: unknown, scopes = exec): Promise<{ status: number; body: Body }> {
  const bearer = await service.issuer.issue({ sub, scopes });
  bearers.push(bearer);
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

/** `npm run verify-trail` on the DATA_DIR, as a user runs it. */
const verifyTrail = (): Promise<VerifyTrailRun> => runVerifyTrail([], { DATA_DIR: dataDir });

let actionId: string;
let evidenceName: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trail-e2e-'));
  dataDir = join(dir, 'data');
  const target = join(dir, 'suspicious.sh');
  await writeFile(target, '#!/bin/sh\necho pwned\n', { mode: 0o644 });
  // Every action on this host needs a second person's approval.
  const service = await startLocalService({ dataDir, port: 0, env: { APPROVAL_REQUIRED: `host/${host}/*` }, hostResponder: { name: host } });
  try {
    const requested = await call<{ approval: { id: string } }>(service, 'POST', '/v1/actions', 'analyst-a', {
      type: 'acquire-file',
      inputs: { 'host.id': host, 'path.absolute': target },
      reason: 'trail test',
    });
    expect(requested.status, JSON.stringify(requested.body)).toBe(202);
    const approved = await call<{ actionIds: string[] }>(service, 'POST', `/v1/approvals/${requested.body.approval.id}/approve`, 'analyst-b', { reason: 'ok' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(202);
    actionId = approved.body.actionIds[0] ?? '';
    const deadline = Date.now() + 60_000;
    let record: ActionRecord;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      record = (await call<ActionRecord>(service, 'GET', `/v1/actions/${actionId}`, 'analyst-a')).body;
      if (Date.now() > deadline) throw new Error(`the action stayed ${record.status}`);
    } while (record.status !== 'Completed' && record.status !== 'Error');
    expect(record.status, JSON.stringify(record)).toBe('Completed');

    const bearer = await service.issuer.issue({ sub: 'falco-sender', scopes: ['response-actions.events'], events: [{ source: 'falco', hostname: 'build-host-3' }] });
    bearers.push(bearer);
    const posted = await fetch(`${service.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(falcoAlert) });
    expect(posted.status).toBe(202);

    const listed = await call<{ items: { name: string; downloadUrl: string; sha256: string }[] }>(service, 'GET', `/v1/actions/${actionId}/evidence`, 'analyst-c');
    const [object] = listed.body.items;
    if (object === undefined) throw new Error('the action stored no evidence');
    evidenceName = object.name;
    downloadUrl = object.downloadUrl;
    const download = await fetch(object.downloadUrl);
    expect(download.status).toBe(200);
    await download.arrayBuffer();

    // While the service holds DATA_DIR, its table cannot be opened: said in one line, exit 2.
    const busy = await verifyTrail();
    expect(busy.code, busy.stderr).toBe(2);
    expect(busy.stderr.trim().split('\n')).toHaveLength(1);
    expect(busy.stderr).toMatch(/in use.*stop npm start/);
  } finally {
    await service.close();
  }
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const trailFile = (): string => join(dataDir, 'trail', 'trail.jsonl');

describe('npm run verify-trail on a DATA_DIR', () => {
  it('recorded every kind of event, and finds the trail intact', async () => {
    // Act
    const result = await verifyTrail();
    const entries = (await readFile(trailFile(), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { kind: string; actor: string; subject: { id: string } });

    // Assess
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^trail intact: \d+ entries, \d+ records, 1 evidence objects/);
    const kinds = new Set(entries.map((entry) => entry.kind));
    for (const kind of ['approval.requested', 'approval.decided', 'approval.linked', 'action.created', 'action.status', 'automation.decision', 'evidence.stored', 'evidence.url-issued', 'evidence.downloaded']) {
      expect(kinds, kind).toContain(kind);
    }
    expect(entries.find((entry) => entry.kind === 'approval.decided')?.actor).toBe('analyst-b');
    expect(entries.find((entry) => entry.kind === 'evidence.url-issued')?.actor).toBe('analyst-c');
    expect(entries.find((entry) => entry.kind === 'automation.decision')?.actor).toMatch(/^automation:/);
  });

  it('holds no bearer token, no evidence URL or its signature, and none of the evidence bytes', async () => {
    // Act
    const text = await readFile(trailFile(), 'utf8');

    // Assess: what a reader of the trail learns is who did what to which record, never a credential
    const signature = new URL(downloadUrl).searchParams.get('signature') ?? '';
    expect(bearers.length).toBeGreaterThanOrEqual(4);
    expect(signature).not.toBe('');
    for (const bearer of bearers) expect(text).not.toContain(bearer.split('.')[2] ?? bearer);
    expect(text).not.toContain(signature);
    expect(text).not.toContain(downloadUrl);
    expect(text).not.toContain('echo pwned');
  });

  it('names a record edited directly in the table, behind the service\'s back, and exits 1', async () => {
    // Prepare: the table opened as anyone with the files could, and one item changed.
    const socketDir = await mkdtemp(join(tmpdir(), 'trail-tamper-'));
    const dynamo = await startEmbeddedDynamoDb({ path: join(dataDir, 'dynamodb'), socketPath: join(socketDir, 'd.sock') });
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, ...(dynamo.httpAgent === undefined ? {} : { requestHandler: { httpAgent: dynamo.httpAgent } }) }),
    );
    try {
      await client.send(
        new UpdateCommand({ TableName: 'history', Key: { pk: `A#${actionId}`, sk: 'A' }, UpdateExpression: 'SET #reason = :reason', ExpressionAttributeNames: { '#reason': 'reason' }, ExpressionAttributeValues: { ':reason': 'nothing to see' } }),
      );
    } finally {
      client.destroy();
      await dynamo.close();
      await rm(socketDir, { recursive: true, force: true });
    }

    // Act
    const result = await verifyTrail();

    // Assess
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain(`record changed: action ${actionId} differs from what the service last wrote`);
    expect(result.stdout).not.toContain('first broken link');
  });

  it('names an evidence file whose bytes were altered', async () => {
    // Prepare
    await writeFile(join(dataDir, 'evidence', actionId, evidenceName), 'something else');

    // Act
    const result = await verifyTrail();

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`evidence damaged: evidence actions/${actionId}/${evidenceName} its bytes hash to`);
  });

  it('names the first broken link when a trail entry is removed, and when one is altered', async () => {
    // Prepare
    const lines = (await readFile(trailFile(), 'utf8')).trim().split('\n');
    await writeFile(trailFile(), `${[...lines.slice(0, 3), ...lines.slice(4)].join('\n')}\n`);

    // Act
    const removed = await verifyTrail();
    const altered = lines.map((line, index) => (index === 2 ? line.replace('"actor":"', '"actor":"x') : line));
    await writeFile(trailFile(), `${altered.join('\n')}\n`);
    const edited = await verifyTrail();

    // Assess
    expect(removed.code).toBe(1);
    expect(removed.stdout).toMatch(/^first broken link: entry 3 \(.*line 4\) holds seq 4: entry 3 is missing$/m);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(/^first broken link: entry 3 \(.*line 4\) its prev is not the SHA-256 of entry 2: entry 2 was altered or replaced$/m);
  });
});
