import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile, spawn } from 'node:child_process';
import { IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoAccount, type DemoAccount } from '#local/sandbox-seed.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { startLocalMain, type LocalMainProcess } from '#test/support/local-main-process.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const externalId = 'e2e-external-id';
const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';

let moto: string;
let dataDir: string;
let demo: DemoAccount;
let iam: IAMClient;

type Service = LocalMainProcess;

/** `npm start`'s program, as a separate process, against moto_server. */
function startService(extraEnv: Record<string, string> = {}): Promise<Service> {
  return startLocalMain({ dataDir, moto, targetAccount: demo.accountId, externalId, env: extraEnv });
}

function stopService(service: Service): Promise<number | null> {
  return service.stop();
}

async function token(...scopes: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['scripts/token.ts', ...scopes], { cwd: root, env: { ...process.env, DATA_DIR: dataDir } });
  return stdout.trim();
}

async function until(service: Service, bearer: string, id: string, done: (record: ActionRecord) => boolean): Promise<ActionRecord> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const record = (await (await fetch(`${service.url}/v1/actions/${id}`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as ActionRecord;
    if (done(record)) return record;
    if (Date.now() > deadline) throw new Error(`action ${id} stayed ${record.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function attached(userArn: string): Promise<string[]> {
  const userName = userArn.split('/').at(-1) ?? '';
  const { AttachedPolicies } = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
  return (AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '').sort();
}

beforeAll(async () => {
  moto = inject('motoEndpoint');
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-service-'));
  demo = await seedDemoAccount({ endpoint: moto, memberRoleName: 'ResponseActionsMember', externalId, suffix: `-${randomUUID().slice(0, 8)}` });
  iam = new IAMClient({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});
afterAll(async () => {
  iam.destroy();
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start against moto_server, over HTTP', () => {
  it('quarantines a user, undoes it exactly, refuses bad input, and keeps its history across a restart', async () => {
    // Prepare
    const service = await startService();
    const bearer = await token('containment-response-actions.exec');
    const before = await attached(demo.userArn);
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${service.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    // Act: quarantine
    const created = await post('/v1/actions', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': demo.userArn }, reason: 'e2e' });
    const quarantine = (await created.json()) as ActionRecord;
    const completed = await until(service, bearer, quarantine.id, (record) => record.status === 'Completed' || record.status === 'Error');
    const whileQuarantined = await attached(demo.userArn);

    // Act: undo, and input the contract refuses
    const undoResponse = await post(`/v1/actions/${quarantine.id}/undo`, {});
    const undo = (await undoResponse.json()) as ActionRecord;
    const undone = await until(service, bearer, undo.id, (record) => record.status === 'Completed' || record.status === 'Error');
    const afterUndo = await attached(demo.userArn);
    const rejected = await post('/v1/actions', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': 'arn:aws:s3:::a-bucket' } });
    const otherAccount = (await (await post('/v1/actions', {
      type: 'iam-quarantine',
      inputs: { 'aws.resource.arn': 'arn:aws:iam::999999999999:user/mallory' },
    })).json()) as ActionRecord;
    const refused = await until(service, bearer, otherAccount.id, (record) => record.status === 'Error');

    // Act: restart with the same DATA_DIR
    const exitCode = await stopService(service);
    const restarted = await startService();
    const history = (await (
      await fetch(`${restarted.url}/v1/actions?resource=${encodeURIComponent(demo.userArn)}`, { headers: { authorization: `Bearer ${bearer}` } })
    ).json()) as { items: ActionRecord[] };
    await stopService(restarted);

    // Assess
    expect(created.status).toBe(202);
    expect(completed.status, JSON.stringify(completed.error)).toBe('Completed');
    expect(completed.statusHistory.map((change) => change.status)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(completed.applied).toEqual({ changes: [{ action: 'AttachPolicy', policyArn: denyAll }] });
    expect(whileQuarantined).toEqual([...before, denyAll].sort());
    expect(undoResponse.status).toBe(202);
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(afterUndo).toEqual(before);
    expect(rejected.status).toBe(400);
    expect(refused.error?.code).toBe('TargetAccountNotAllowed');
    expect(exitCode).toBe(0);
    expect(history.items.map((record) => record.id)).toEqual([undo.id, quarantine.id]);
    expect(history.items[1]?.undo).toEqual({ available: false, type: 'iam-unquarantine', actionId: undo.id });
    expect(service.output()).not.toContain(bearer);
  });

  it('makes a bucket private and snapshots an instance, each undone exactly, through the same service', async () => {
    // Prepare
    const service = await startService();
    const bearer = await token('containment-response-actions.exec', 'data-gathering-response-actions.exec');
    const post = async (path: string, body: unknown): Promise<ActionRecord> =>
      (await (
        await fetch(`${service.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as ActionRecord;
    const ended = (record: ActionRecord): boolean => record.status === 'Completed' || record.status === 'Error';

    // Act
    const makePrivate = await post('/v1/actions', {
      type: 'make-cloud-resource-private',
      inputs: { 'aws.resource.arn': demo.bucketArn, 'aws.account.id': demo.accountId, 'aws.region': demo.region },
    });
    const snapshot = await post('/v1/actions', { type: 'cloud-volume-snapshot', inputs: { 'aws.resource.arn': demo.instanceArn } });
    const privateDone = await until(service, bearer, makePrivate.id, ended);
    const snapshotDone = await until(service, bearer, snapshot.id, ended);
    const undoPrivate = await until(service, bearer, (await post(`/v1/actions/${makePrivate.id}/undo`, {})).id, ended);
    const undoSnapshot = await until(service, bearer, (await post(`/v1/actions/${snapshot.id}/undo`, {})).id, ended);
    await stopService(service);

    // Assess
    expect(privateDone.status, JSON.stringify(privateDone.error)).toBe('Completed');
    expect(privateDone.prior).toMatchObject({ publicAccessBlock: null });
    expect(undoPrivate.status, JSON.stringify(undoPrivate.error)).toBe('Completed');
    expect(undoPrivate.result).toMatchObject({ restoredPublicAccessBlock: null });
    expect(snapshotDone.status, JSON.stringify(snapshotDone.error)).toBe('Completed');
    const created = (snapshotDone.applied as { changes: { snapshotId: string }[] }).changes.map((change) => change.snapshotId);
    expect(created).toHaveLength(2);
    expect(undoSnapshot.inputs['aws.ebs.snapshot.ids']).toEqual(created);
    expect(undoSnapshot.status, JSON.stringify(undoSnapshot.error)).toBe('Completed');
    expect((undoSnapshot.result as { deleted: string[] }).deleted.sort()).toEqual([...created].sort());
  });

  it("quarantines and restores a real file, kills a real process on this machine, and refuses work for a host no responder has registered", async () => {
    // Prepare
    const service = await startService({ PICKUP_DEADLINE_SECONDS: '3' });
    const bearer = await token('containment-response-actions.exec');
    const host = hostname();
    const dir = await mkdtemp(join(tmpdir(), 'e2e-host-'));
    const file = join(dir, 'dropper.sh');
    await writeFile(file, '#!/bin/sh\necho pwned\n', { mode: 0o755 });
    const victim = spawn('sleep', ['300'], { stdio: 'ignore' });
    const post = async (path: string, body: unknown): Promise<ActionRecord> =>
      (await (
        await fetch(`${service.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as ActionRecord;
    const ended = (record: ActionRecord): boolean => record.status === 'Completed' || record.status === 'Error';

    // Act
    const quarantine = await until(service, bearer, (await post('/v1/actions', { type: 'file-quarantine', inputs: { 'host.id': host, 'path.absolute': file } })).id, ended);
    const goneWhileQuarantined = await stat(file).then(() => false, () => true);
    const restore = await until(service, bearer, (await post(`/v1/actions/${quarantine.id}/undo`, {})).id, ended);
    const restored = await readFile(file, 'utf8');
    const restoredMode = (await stat(file)).mode & 0o7777;
    const kill = await until(service, bearer, (await post('/v1/actions', { type: 'kill-process', inputs: { 'host.id': host, 'process.id': victim.pid } })).id, ended);
    const exited = await new Promise<boolean>((resolve) => {
      if (victim.exitCode !== null || victim.signalCode !== null) resolve(true);
      else victim.once('exit', () => { resolve(true); });
      setTimeout(() => { resolve(false); }, 5000);
    });
    const unknown = await fetch(`${service.url}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'kill-process', inputs: { 'host.id': 'no-such-host', 'process.id': 4242 } }),
    });
    const refusal = (await unknown.json()) as { detail: string; errors: { path: string }[] };
    const history = (await (await fetch(`${service.url}/v1/actions?limit=50`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as { items: ActionRecord[] };
    await stopService(service);
    victim.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(quarantine.status, JSON.stringify(quarantine.error)).toBe('Completed');
    expect(goneWhileQuarantined).toBe(true);
    expect(restore.status, JSON.stringify(restore.error)).toBe('Completed');
    expect(restored).toBe('#!/bin/sh\necho pwned\n');
    expect(restoredMode).toBe(0o755);
    expect(kill.status, JSON.stringify(kill.error)).toBe('Completed');
    expect(exited).toBe(true);
    expect(unknown.status).toBe(409);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(refusal.errors.map((error) => error.path)).toEqual(['inputs.host.id']);
    expect(refusal.detail).toContain(host);
    expect(history.items.filter((record) => JSON.stringify(record.inputs).includes('no-such-host'))).toEqual([]);
  });
});
