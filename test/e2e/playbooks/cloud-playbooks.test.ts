/**
 * The cloud built-ins end to end through the local service against moto_server: each step an
 * ordinary action on the member roles, evidence secured before containment starts, and an undo of
 * the run that reverses the containment and keeps the evidence.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { LocalService } from '#local/service.ts';
import { seedDemoAccount, type DemoAccount } from '#local/sandbox-seed.ts';
import { call, endedAt, runEnded, runningAt, startPlaybookService, startRun, stepActions } from './support.ts';

const externalId = 'e2e-playbooks-external-id';
let dataDir: string;
let demo: DemoAccount;
let ec2: EC2Client;
let service: LocalService;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  // Target-account calls follow AWS_ENDPOINT_URL and the default credential chain, as under `npm start`.
  vi.stubEnv('AWS_ENDPOINT_URL', moto);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-playbooks-cloud-'));
  demo = await seedDemoAccount({ endpoint: moto, memberRoleName: 'ResponseActionsMember', externalId, suffix: `-${randomUUID().slice(0, 8)}` });
  ec2 = new EC2Client({ endpoint: moto, region: demo.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  service = await startPlaybookService({ dataDir, env: { TARGET_ACCOUNTS: demo.accountId, MEMBER_ROLE_EXTERNAL_ID: externalId }, hostResponder: false });
});
afterAll(async () => {
  await service.close();
  ec2.destroy();
  vi.unstubAllEnvs();
  await rm(dataDir, { recursive: true, force: true });
});

async function securityGroupsOf(instanceArn: string): Promise<string[]> {
  const instanceId = instanceArn.split('/').at(-1) ?? '';
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const interfaces = described.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces ?? [];
  return interfaces.flatMap((networkInterface) => (networkInterface.Groups ?? []).map((group) => group.GroupId ?? '')).sort();
}

describe('ec2-instance-compromise through the local service', () => {
  it('snapshots every volume before isolating the instance, and its undo releases the instance and keeps the snapshots', async () => {
    // Prepare
    const groupsBefore = await securityGroupsOf(demo.instanceArn);

    // Act
    const started = await startRun(service, 'ec2-instance-compromise', { 'aws.resource.arn': demo.instanceArn });
    const run = await runEnded(service, started.id);
    const [snapshot, isolate] = await stepActions(service, run);
    const groupsWhileIsolated = await securityGroupsOf(demo.instanceArn);
    const undoAnswer = await call<{ id: string }>(service, 'POST', `/v1/playbook-runs/${run.id}/undo`, { reason: 'false positive' });
    const undo = await runEnded(service, undoAnswer.body.id);
    const [unisolate] = await stepActions(service, undo);
    const original = await runEnded(service, run.id);
    const snapshotIds = ((snapshot?.applied as { changes: { snapshotId: string }[] } | null)?.changes ?? []).map((change) => change.snapshotId);
    const stillThere = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }));

    // Assess: evidence first, every step an ordinary action of the run
    expect(run.status, JSON.stringify(run)).toBe('Completed');
    expect(run.steps.map((step) => [step.id, step.status])).toEqual([['snapshot', 'Completed'], ['isolate', 'Completed']]);
    expect(snapshot?.type).toBe('cloud-volume-snapshot');
    expect(isolate?.type).toBe('isolate-ec2-instance');
    expect(snapshot?.playbookRunId).toBe(run.id);
    expect(isolate?.playbookRunId).toBe(run.id);
    if (snapshot === undefined || isolate === undefined) throw new Error('a step has no action');
    expect(endedAt(snapshot)).toBeLessThanOrEqual(runningAt(isolate));
    expect(Date.parse(snapshot.createdAt)).toBeLessThan(Date.parse(isolate.createdAt));
    expect(snapshotIds).toHaveLength(2);
    expect(groupsBefore.length).toBeGreaterThan(0);
    expect(groupsWhileIsolated).not.toEqual(groupsBefore);

    // Assess: the undo reverses the containment only; the snapshots stay
    expect(undoAnswer.status).toBe(202);
    expect(undoAnswer.location).toBe(`/v1/playbook-runs/${undo.id}`);
    expect(undo.status, JSON.stringify(undo)).toBe('Completed');
    expect(undo.undoOf).toBe(run.id);
    expect(undo.steps.map((step) => [step.id, step.type, step.status])).toEqual([['undo-isolate', 'unisolate-ec2-instance', 'Completed']]);
    expect(unisolate?.undoOf).toBe(isolate.id);
    expect(await securityGroupsOf(demo.instanceArn)).toEqual(groupsBefore);
    expect((stillThere.Snapshots ?? []).map((found) => found.SnapshotId).sort()).toEqual([...snapshotIds].sort());
    expect(original.undo).toEqual({ available: false, runId: undo.id });
    const again = await call(service, 'POST', `/v1/playbook-runs/${run.id}/undo`, {});
    expect(again.status).toBe(409);
  });
});

describe('aws-credential-compromise through the local service', () => {
  it('stops before quarantining when the CloudTrail evidence cannot be read (moto has no LookupEvents), and touches nothing', async () => {
    // Act
    const started = await startRun(service, 'aws-credential-compromise', { 'aws.resource.arn': demo.userArn });
    const run = await runEnded(service, started.id);
    const actions = await stepActions(service, run);

    // Assess
    expect(run.status).toBe('Error');
    expect(run.error?.code).toBe('StepFailed');
    expect(run.error?.message).toMatch(/cloudtrail/);
    expect(run.steps.map((step) => [step.id, step.status])).toEqual([
      ['cloudtrail', 'Error'],
      ['quarantine', 'Skipped'],
      ['access-keys', 'Skipped'],
      ['role-sessions', 'Skipped'],
    ]);
    expect(actions.map((action) => action.type)).toEqual(['fetch-cloud-logs']);
    const listed = await call<{ items: { type: string }[] }>(service, 'GET', `/v1/actions?resource=${encodeURIComponent(demo.userArn)}`);
    expect(listed.body.items.map((item) => item.type)).not.toContain('iam-quarantine');
  });
});
