/**
 * aws-credential-compromise end to end through the local service on moto_server. moto has no
 * CloudTrail LookupEvents, so the target-account endpoint here is a small front that answers
 * LookupEvents (JSON 1.1, as CloudTrail does) from a fixed event history and passes every other
 * request to moto_server unchanged: the CloudTrail evidence is read, the user quarantined and its
 * keys deactivated, in that order, and the run's undo reverses both in reverse order.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient, ListAccessKeysCommand, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { LocalService } from '#local/service.ts';
import { seedDemoAccount, type DemoAccount } from '#local/sandbox-seed.ts';
import { cloudTrailEvent, fakeEventHistory, iamUserIdentity, type FakeEventHistory } from '#test/support/cloudtrail-fixtures.ts';
import { call, endedAt, runEnded, runningAt, startPlaybookService, startRun, stepActions } from './support.ts';

const externalId = 'e2e-credentials-external-id';
const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';
let dataDir: string;
let demo: DemoAccount;
let iam: IAMClient;
let front: Server;
let history: FakeEventHistory;
let service: LocalService;

/** LookupEvents answered from `history`; anything else forwarded to moto_server as it came. */
function startFront(moto: string): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      if (String(request.headers['x-amz-target'] ?? '').endsWith('.LookupEvents')) {
        const input = JSON.parse(body.toString('utf8')) as { LookupAttributes?: { AttributeKey: 'Username'; AttributeValue: string }[]; StartTime?: number; EndTime?: number; MaxResults?: number; NextToken?: string };
        const { StartTime, EndTime, ...rest } = input;
        const page = await history.lookup({
          ...rest,
          ...(StartTime === undefined ? {} : { StartTime: new Date(StartTime * 1000) }),
          ...(EndTime === undefined ? {} : { EndTime: new Date(EndTime * 1000) }),
        });
        const events = (page.Events ?? []).map((event) => ({ ...event, EventTime: (event.EventTime?.getTime() ?? 0) / 1000 }));
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ Events: events, ...(page.NextToken === undefined ? {} : { NextToken: page.NextToken }) }));
        return;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined && !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const upstream = await fetch(`${moto}${request.url ?? '/'}`, { method: request.method ?? 'GET', headers, ...(body.length > 0 ? { body } : {}) });
      const answer = Buffer.from(await upstream.arrayBuffer());
      const answerHeaders: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) answerHeaders[name] = value;
      });
      response.writeHead(upstream.status, answerHeaders);
      response.end(answer);
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => { resolve(server); }));
}

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  demo = await seedDemoAccount({ endpoint: moto, memberRoleName: 'ResponseActionsMember', externalId, suffix: `-${randomUUID().slice(0, 8)}` });
  const userName = demo.userArn.split('/').at(-1) ?? '';
  const identity = iamUserIdentity(demo.accountId, userName, 'AKIAEXAMPLE000000001');
  history = fakeEventHistory([cloudTrailEvent(identity, 'CreateAccessKey', new Date(Date.now() - 3_600_000), 'us-east-1'), cloudTrailEvent(identity, 'ListBuckets', new Date(Date.now() - 600_000), 'us-east-1')], 50);
  front = await startFront(moto);
  vi.stubEnv('AWS_ENDPOINT_URL', `http://127.0.0.1:${(front.address() as AddressInfo).port}`);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  iam = new IAMClient({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-playbooks-credentials-'));
  service = await startPlaybookService({ dataDir, env: { TARGET_ACCOUNTS: demo.accountId, MEMBER_ROLE_EXTERNAL_ID: externalId }, hostResponder: false });
});
afterAll(async () => {
  await service.close();
  front.closeAllConnections();
  await new Promise((resolve) => front.close(resolve));
  iam.destroy();
  vi.unstubAllEnvs();
  await rm(dataDir, { recursive: true, force: true });
});

async function userState(): Promise<{ policies: string[]; keys: string[] }> {
  const UserName = demo.userArn.split('/').at(-1) ?? '';
  const policies = (await iam.send(new ListAttachedUserPoliciesCommand({ UserName }))).AttachedPolicies ?? [];
  const keys = (await iam.send(new ListAccessKeysCommand({ UserName }))).AccessKeyMetadata ?? [];
  return { policies: policies.map((policy) => policy.PolicyArn ?? '').sort(), keys: keys.map((key) => key.Status ?? '') };
}

describe('aws-credential-compromise through the local service', () => {
  it('reads CloudTrail before quarantining the user and deactivating its keys; the undo reverses them in reverse order and keeps the CloudTrail evidence', async () => {
    // Prepare
    const before = await userState();

    // Act
    const finished = await runEnded(service, (await startRun(service, 'aws-credential-compromise', { 'aws.resource.arn': demo.userArn })).id);
    const [cloudtrail, quarantine, keys] = await stepActions(service, finished);
    const during = await userState();
    const undo = await runEnded(service, (await call<{ id: string }>(service, 'POST', `/v1/playbook-runs/${finished.id}/undo`, {})).body.id);
    const [reactivate, unquarantine] = await stepActions(service, undo);
    const after = await userState();
    const evidence = await call<{ items: unknown[] }>(service, 'GET', `/v1/actions/${cloudtrail?.id ?? ''}/evidence`);

    // Assess
    expect(finished.status, JSON.stringify(finished)).toBe('Completed');
    expect(finished.steps.map((step) => [step.id, step.status])).toEqual([
      ['cloudtrail', 'Completed'],
      ['quarantine', 'Completed'],
      ['access-keys', 'Completed'],
      ['role-sessions', 'Skipped'],
    ]);
    if (cloudtrail === undefined || quarantine === undefined || keys === undefined) throw new Error('a step has no action');
    expect(endedAt(cloudtrail)).toBeLessThanOrEqual(runningAt(quarantine));
    expect(endedAt(quarantine)).toBeLessThanOrEqual(runningAt(keys));
    expect(history.requests.length).toBeGreaterThan(0);
    expect(during.policies).toEqual([...before.policies, denyAll].sort());
    expect(during.keys.every((status) => status === 'Inactive')).toBe(true);
    expect(undo.status, JSON.stringify(undo)).toBe('Completed');
    expect([reactivate?.type, unquarantine?.type]).toEqual(['reactivate-access-keys', 'iam-unquarantine']);
    expect([reactivate?.undoOf, unquarantine?.undoOf]).toEqual([keys.id, quarantine.id]);
    expect(after).toEqual(before);
    expect(evidence.body.items.length).toBeGreaterThan(0);
  });
});
