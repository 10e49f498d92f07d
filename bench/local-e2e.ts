import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachUserPolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startMotoServer } from '#local/moto-server.ts';
import { startLocalService } from '#local/service.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';
import { ms, percentile } from './stats.ts';

/** The IAM family's member role, which each quarantine assumes (one member role per family). */
const iamMemberRole = memberRoleNameOf('ResponseActionsMember', 'iam');

const concurrency = 100;
const account = '123456789012';
const externalId = 'bench-external-id';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * The local end-to-end figure: 100 concurrent iam-quarantine requests through the HTTP API of
 * the local service against moto_server, and moto's own time for the same IAM calls.
 */
export async function benchLocalEndToEnd(): Promise<string[]> {
  const moto = await startMotoServer();
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
  const saved = { ...process.env };
  const iam = new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  try {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
    });
    await iam.send(
      new CreateRoleCommand({
        RoleName: iamMemberRole,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const users = await Promise.all(
      Array.from({ length: 2 * concurrency }, async (_, index) => {
        const name = `bench-${index}-${randomUUID().slice(0, 6)}`;
        await iam.send(new CreateUserCommand({ UserName: name }));
        return { name, arn: `arn:aws:iam::${account}:user/${name}` };
      }),
    );
    const viaService = users.slice(0, concurrency);
    const direct = users.slice(concurrency);

    const service = await startLocalService({
      dataDir,
      port: 0,
      env: { TARGET_ACCOUNTS: account, MEMBER_ROLE_EXTERNAL_ID: externalId },
    });
    try {
      const token = await service.issuer.issue({ sub: 'bench', scopes: ['containment-response-actions.exec'] });
      const started = performance.now();
      const accepted = await Promise.all(
        viaService.map(async (user) => {
          const response = await fetch(`${service.url}/v1/actions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': user.arn } }),
          });
          if (response.status !== 202) throw new Error(`request refused: ${response.status} ${await response.text()}`);
          return (await response.json()) as ActionRecord;
        }),
      );
      const acceptSeconds = (performance.now() - started) / 1000;
      const finished = await settled(service.url, token, new Set(accepted.map((record) => record.id)));
      const totalSeconds = (performance.now() - started) / 1000;
      const completed = finished.filter((record) => record.status === 'Completed');
      const at = (record: ActionRecord, status: string): number =>
        Date.parse(record.statusHistory.find((change) => change.status === status)?.at ?? record.updatedAt);
      const latencies = completed.map((record) => at(record, 'Completed') - at(record, 'Created'));
      const phase = (from: string, to: string): string =>
        ms(percentile(completed.map((record) => at(record, to) - at(record, from)), 50));

      // moto's own time for the same calls one quarantine makes, 100 at once, no service in between.
      const sts = new STSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
      const directStarted = performance.now();
      const directTimes = await Promise.all(
        direct.map(async (user) => {
          const begin = performance.now();
          await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${iamMemberRole}`, RoleSessionName: 'bench', ExternalId: externalId }));
          await iam.send(new GetUserCommand({ UserName: user.name }));
          await iam.send(new ListAttachedUserPoliciesCommand({ UserName: user.name }));
          await iam.send(new ListUserPoliciesCommand({ UserName: user.name }));
          await iam.send(new AttachUserPolicyCommand({ UserName: user.name, PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' }));
          await iam.send(new ListAttachedUserPoliciesCommand({ UserName: user.name }));
          return performance.now() - begin;
        }),
      );
      const directSeconds = (performance.now() - directStarted) / 1000;
      sts.destroy();

      return [
        `local e2e: ${concurrency} concurrent iam-quarantine via HTTP against moto_server: ${completed.length}/${concurrency} Completed (${finished.length - completed.length} not), accepted ${(concurrency / acceptSeconds).toFixed(0)} requests/s (all 202 in ${ms(acceptSeconds * 1000)}), all settled in ${ms(totalSeconds * 1000)}`,
        `local e2e: Created→Completed p50 ${ms(percentile(latencies, 50))} p99 ${ms(percentile(latencies, 99))} (target: all Completed, p99 < 2 s); phases p50: Created→Enqueued ${phase('Created', 'Enqueued')}, Enqueued→Running ${phase('Enqueued', 'Running')}, Running→Completed ${phase('Running', 'Completed')}`,
        `local e2e: moto alone, the same 6 IAM/STS calls per quarantine, ${concurrency} at once: p50 ${ms(percentile(directTimes, 50))} p99 ${ms(percentile(directTimes, 99))}, all in ${ms(directSeconds * 1000)}`,
      ];
    } finally {
      await service.close();
    }
  } finally {
    iam.destroy();
    // Put back the variables this benchmark set (the service read them at start).
    for (const key of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const) {
      if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = saved[key];
    }
    await moto.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Waits until every action has ended, watching the history with one list request every 100 ms
 * (polling each action would load the very process being measured); latencies come from the
 * records' own status timestamps, so the polling cadence does not enter them.
 */
async function settled(url: string, token: string, ids: ReadonlySet<string>): Promise<ActionRecord[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(`${url}/v1/actions?createdBy=bench&limit=100`, { headers: { authorization: `Bearer ${token}` } });
    const page = (await response.json()) as { items: ActionRecord[] };
    const mine = page.items.filter((record) => ids.has(record.id));
    if (mine.length === ids.size && mine.every((record) => record.status === 'Completed' || record.status === 'Error')) return mine;
    if (Date.now() > deadline) return mine;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
