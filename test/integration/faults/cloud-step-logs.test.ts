/**
 * Issue 15, the first hour: cloud actions log their steps to the terminal during `npm start`, one
 * line per step with the action id, type, target, step, outcome and duration, and never the member
 * session's credentials or the caller's bearer token. The program runs as `npm start` runs it,
 * against moto_server through the fault proxy (here only a recorder of STS's answers, to know the
 * session's secrets; one call is throttled once so a failed step's line is seen too).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultMemberRoleName } from '#shared/config/config.ts';
import { startFaultProxy, type FaultProxy } from '#test/support/fault-proxy.ts';
import { createMemberRoles, createUser, motoIamClient } from '#test/support/moto-iam.ts';
import { faultsExternalId, settled, startCloudService } from './cloud-service.ts';

let proxy: FaultProxy;
let iam: IAMClient;
let dataDir: string;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  proxy = await startFaultProxy(moto, { keepAnswers: ['sts:AssumeRole'] });
  iam = motoIamClient(moto);
  await createMemberRoles(iam, defaultMemberRoleName, faultsExternalId);
  dataDir = await mkdtemp(join(tmpdir(), 'faults-logs-'));
});

afterAll(async () => {
  iam.destroy();
  await proxy.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The values between `<tag>` and `</tag>` in an STS answer. */
function tagValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]+)</${tag}>`, 'g'))].map((match) => match[1] ?? '');
}

describe('npm start logs each step of a cloud action, without secrets', () => {
  it('one line per step with id, type, target, step, outcome and duration; no session key, session token or bearer token', async () => {
    // Prepare
    const userArn = await createUser(iam, `logs-${randomUUID().slice(0, 8)}`);
    const service = await startCloudService(dataDir, proxy.endpoint);
    // Fault injection: AWS throttles the apply step's call beyond the SDK's attempts once, so one Apply fails and is retried.
    proxy.inject([{ call: 'iam:AttachUserPolicy', kind: 'throttle', times: 4 }]);

    // Act
    const posted = await service.post('/v1/actions', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': userArn }, reason: 'logs' });
    const record = await service.until(posted.record.id, settled);
    await service.main.stop();
    const output = service.main.output();
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes(`"cloud action ${record.id} `))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const secrets = proxy.answers('sts:AssumeRole').flatMap((xml) => [...tagValues(xml, 'SecretAccessKey'), ...tagValues(xml, 'SessionToken')]);

    // Assess
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    expect(lines.map((line) => `${String(line['step'])} ${String(line['outcome']).split(':')[0] ?? ''}`)).toEqual([
      'Start started',
      'MarkRunning ok',
      'Capture ok',
      'Apply failed ThrottlingError',
      'Apply ok',
      'Verify ok',
      'MarkCompleted ok',
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({ actionId: record.id, type: 'iam-quarantine', target: userArn });
      expect(typeof line['durationMs']).toBe('number');
      expect(line['message']).toMatch(new RegExp(`^cloud action ${record.id} iam-quarantine on ${userArn.replace(/[/.]/g, '\\$&')}: `));
    }
    expect(lines.find((line) => line['step'] === 'Apply')?.['outcome']).toMatch(/AWS throttled iam:AttachUserPolicy/);
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    for (const secret of secrets) expect(output).not.toContain(secret);
    expect(output).not.toContain(service.bearer);
  }, 300_000);
});
