/**
 * Issue 15: `npm start`'s program SIGKILLed between any two steps of a cloud action, then started
 * again on the same DATA_DIR. The SIGKILL is FAULT INJECTION: the fault proxy in front of
 * moto_server (test/support/fault-proxy.ts) kills the child when the Nth mutating AWS call of the
 * action reaches it, either before forwarding it or after moto applied it (the change made, its
 * answer never read, `applied` not yet written). N goes over every mutating call of the action, so
 * every gap between two of its changes is hit. After the restart the action must settle, each
 * change must be in moto once, `prior` must be the original state, and undo must restore it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isolationTagKeys } from '#shared/actions/ec2/index.ts';
import { defaultMemberRoleName } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { startFaultProxy, type FaultProxy } from '#test/support/fault-proxy.ts';
import { attachedVolumes, createNetwork, createSecurityGroup, instanceArn, instanceSettings, interfaceGroups, launchInstance, motoEc2Client } from '#test/support/moto-ec2.ts';
import { attachUserPolicy, attachedPolicyArns, createMemberRoles, createUser, motoIamClient } from '#test/support/moto-iam.ts';
import { createBucket, exposeBucket, motoRdsClient, motoS3Client, readBlock } from '#test/support/moto-private.ts';
import { familyCases } from './cloud-fixtures.ts';
import { faultsExternalId, settled, startCloudService, type CloudService } from './cloud-service.ts';

const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';

let proxy: FaultProxy;
let iam: IAMClient;
let ec2: EC2Client;
let s3: S3Client;
let rds: RDSClient;
let dataDir: string;
let bearer: string | undefined;
/** The program now running on dataDir; each kill ends it and the next scenario's restart replaces it. */
let service: CloudService | null = null;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  proxy = await startFaultProxy(moto);
  iam = motoIamClient(moto);
  ec2 = motoEc2Client(moto);
  s3 = motoS3Client(moto, 'us-east-1');
  rds = motoRdsClient(moto, 'us-east-1');
  await createMemberRoles(iam, defaultMemberRoleName, faultsExternalId);
  dataDir = await mkdtemp(join(tmpdir(), 'faults-kill-'));
});

afterAll(async () => {
  await service?.main.stop();
  for (const client of [iam, ec2, s3, rds]) client.destroy();
  await proxy.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The program on dataDir, started (again) when the last one was killed. */
async function running(): Promise<CloudService> {
  service ??= await startCloudService(dataDir, proxy.endpoint, bearer);
  bearer = service.bearer;
  return service;
}

/** One target of one family: the action's type and inputs, and how to read the target's state from moto. */
interface Target<State> {
  readonly type: string;
  readonly inputs: Record<string, string>;
  read(): Promise<State>;
}

type Outcome = { readonly killed: false } | { readonly killed: true; readonly record: ActionRecord; readonly undone: ActionRecord; readonly undoneState: unknown; readonly actedState: unknown };

/**
 * Runs the action with a kill armed at the `ordinal`-th mutating call; when the kill fired,
 * starts the program again on the same DATA_DIR, waits for the action to settle, reads the
 * target, undoes the action and reads it again.
 */
async function killAndRestart<State>(target: Target<State>, ordinal: number, when: 'before' | 'after'): Promise<Outcome> {
  const first = await running();
  // Fault injection: SIGKILL, as the kernel's OOM killer or a power cut would stop the process.
  proxy.killOn({ ordinal, when, kill: () => first.main.process.kill('SIGKILL') });
  const posted = await first.post('/v1/actions', { type: target.type, inputs: target.inputs, reason: `kill at mutating call ${String(ordinal)} ${when}` });
  expect(posted.status, JSON.stringify(posted.record)).toBe(202);
  const outcome = await Promise.race([
    first.exited().then(() => 'killed' as const),
    first.until(posted.record.id, settled).then(() => 'settled' as const, () => 'killed' as const),
  ]);
  if (outcome === 'settled') {
    proxy.disarm();
    return { killed: false };
  }
  await first.exited();
  service = null;
  const second = await running();
  const record = await second.until(posted.record.id, settled);
  const actedState = await target.read();
  const undo = await second.post(`/v1/actions/${posted.record.id}/undo`, {});
  expect(undo.status, JSON.stringify(undo.record)).toBe(202);
  const undone = await second.until(undo.record.id, settled);
  return { killed: true, record, undone, actedState, undoneState: await target.read() };
}

function changesOf(record: ActionRecord): { action: string }[] {
  return (record.applied as { changes?: { action: string }[] } | null)?.changes ?? [];
}

describe('a cloud action killed (SIGKILL, injected) between two of its changes, then restarted on the same DATA_DIR', () => {
  it('iam-quarantine: resumed to Completed, AWSDenyAll attached once and recorded, prior the original, undo restores it', async () => {
    for (const [ordinal, when] of [[1, 'before'], [1, 'after'], [2, 'after']] as const) {
      // Prepare
      const userName = `kill-${randomUUID().slice(0, 8)}`;
      const userArn = await createUser(iam, userName);
      await attachUserPolicy(iam, userName, 'arn:aws:iam::aws:policy/ReadOnlyAccess');
      const read = (): Promise<string[]> => attachedPolicyArns(iam, { type: 'user', name: userName });
      const original = await read();

      // Act
      const outcome = await killAndRestart({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': userArn }, read }, ordinal, when);

      // Assess: the action has one mutating call, so a kill at the second never fires.
      if (ordinal === 2) {
        expect(outcome.killed).toBe(false);
        expect(proxy.mutatingSinceArmed()).toEqual(['iam:AttachUserPolicy']);
        continue;
      }
      if (!outcome.killed) throw new Error(`the kill at mutating call ${String(ordinal)} (${when}) did not fire`);
      expect(outcome.record.status, JSON.stringify(outcome.record.error)).toBe('Completed');
      expect(outcome.record.statusHistory.map((change) => change.status)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
      expect(outcome.actedState).toEqual([...original, denyAll].sort());
      expect(changesOf(outcome.record)).toEqual([{ action: 'AttachPolicy', policyArn: denyAll }]);
      expect((outcome.record.prior as { attachedPolicies: { policyArn: string }[] }).attachedPolicies.map((policy) => policy.policyArn).sort()).toEqual(original);
      expect(outcome.undone.status, JSON.stringify(outcome.undone.error)).toBe('Completed');
      expect(outcome.undoneState).toEqual(original);
    }
  }, 600_000);

  it('make-cloud-resource-private (S3): resumed to Completed, the block put once, prior the exposed bucket, undo exposes it again', async () => {
    for (const [ordinal, when] of [[1, 'before'], [1, 'after']] as const) {
      // Prepare
      const bucket = `kill-${randomUUID().slice(0, 8)}`;
      await createBucket(s3, bucket);
      await exposeBucket(s3, bucket);
      const read = (): ReturnType<typeof readBlock> => readBlock(s3, bucket);
      const original = await read();
      const inputs = { 'aws.resource.arn': `arn:aws:s3:::${bucket}`, 'aws.account.id': '123456789012', 'aws.region': 'us-east-1' };

      // Act
      const outcome = await killAndRestart({ type: 'make-cloud-resource-private', inputs, read }, ordinal, when);

      // Assess
      if (!outcome.killed) throw new Error(`the kill at mutating call ${String(ordinal)} (${when}) did not fire`);
      expect(outcome.record.status, JSON.stringify(outcome.record.error)).toBe('Completed');
      expect(outcome.actedState).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
      expect(changesOf(outcome.record)).toHaveLength(1);
      expect((outcome.record.prior as { publicAccessBlock: unknown }).publicAccessBlock).toEqual(original);
      expect(outcome.undone.status, JSON.stringify(outcome.undone.error)).toBe('Completed');
      expect(outcome.undoneState).toEqual(original);
    }
  }, 600_000);

  it('isolate-ec2-instance: killed at every mutating call, resumed to Completed with one isolation group and no allow-all group left, undo restores the instance', async () => {
    let fired = 0;
    for (let ordinal = 1, when: 'before' | 'after' = 'before'; ; when === 'before' ? (when = 'after') : (ordinal += 1)) {
      // Prepare: a VPC of its own, an instance with its own group and a volume deleted on termination.
      const network = await createNetwork(ec2);
      const web = await createSecurityGroup(ec2, network.vpcId, 'web');
      const instanceId = await launchInstance(ec2, { network, securityGroupIds: [web], volumes: [{ deviceName: '/dev/sda1', sizeGiB: 8, deleteOnTermination: true }] });
      const managed = async (purpose: string): Promise<string[]> => {
        const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({
          Filters: [{ Name: 'vpc-id', Values: [network.vpcId] }, { Name: `tag:${isolationTagKeys.purpose}`, Values: [purpose] }],
        }));
        return (SecurityGroups ?? []).map((group) => group.GroupId ?? '');
      };
      const read = async (): Promise<unknown> => ({
        settings: await instanceSettings(ec2, instanceId),
        groups: Object.values(await interfaceGroups(ec2, instanceId)),
        volumes: Object.values(await attachedVolumes(ec2, instanceId)).map((volume) => volume.deleteOnTermination),
        allowAll: await managed('allow-all'),
      });
      const original = await read();

      // Act
      const outcome = await killAndRestart(
        { type: 'isolate-ec2-instance', inputs: { 'aws.resource.arn': instanceArn(instanceId) }, read },
        ordinal,
        when,
      );

      // Assess: past the action's last mutating call the kill no longer fires, and every gap has been hit.
      if (!outcome.killed) {
        expect(when, 'a kill before a mutating call always fires while the action has one').toBe('after');
        // The uninterrupted run's mutating calls: a kill fired after each one, and before the first.
        expect(fired).toBe(proxy.mutatingSinceArmed().length + 1);
        break;
      }
      fired += 1;
      const isolation = await managed('isolation');
      const at = `killed ${when} mutating call ${String(ordinal)}`;
      expect(outcome.record.status, `${at}: ${JSON.stringify(outcome.record.error)}`).toBe('Completed');
      expect(isolation, at).toHaveLength(1);
      expect(outcome.actedState, at).toEqual({
        settings: { disableApiTermination: true, shutdownBehavior: 'stop' },
        groups: [isolation],
        volumes: [false],
        allowAll: [],
      });
      const prior = outcome.record.prior as { disableApiTermination: boolean; networkInterfaces: { groupIds: string[] }[] };
      expect(prior.disableApiTermination, at).toBe(false);
      expect(prior.networkInterfaces.map((nic) => nic.groupIds), at).toEqual([[web]]);
      expect(outcome.undone.status, `${at}: ${JSON.stringify(outcome.undone.error)}`).toBe('Completed');
      expect(outcome.undoneState, at).toEqual(original);
    }
    expect(fired).toBeGreaterThanOrEqual(6);
  }, 1_800_000);

  it('cloud-volume-snapshot: killed after each mutating call, resumed to Completed with one snapshot of the volume (none taken twice), undo deletes it', async () => {
    const snapshot = familyCases.find((each) => each.type === 'cloud-volume-snapshot');
    if (snapshot === undefined) throw new Error('cloud-fixtures.ts has no cloud-volume-snapshot case');
    for (let ordinal = 1; ; ordinal += 1) {
      // Prepare: an instance with one volume.
      const target = await snapshot.make({ iam, ec2, s3, rds });
      const original = await target.read();

      // Act
      const outcome = await killAndRestart({ type: snapshot.type, inputs: target.inputs, read: () => target.read() }, ordinal, 'after');

      // Assess: CreateSnapshots has no client token, so a resumed apply must find the snapshot it took by its tag.
      if (!outcome.killed) {
        expect(ordinal).toBe(proxy.mutatingSinceArmed().length + 1);
        expect(ordinal).toBeGreaterThan(1);
        break;
      }
      const at = `killed after mutating call ${String(ordinal)}`;
      expect(outcome.record.status, `${at}: ${JSON.stringify(outcome.record.error)}`).toBe('Completed');
      expect(outcome.actedState, at).toEqual(snapshot.acted(original, outcome.record.id));
      expect(changesOf(outcome.record), at).toHaveLength(1);
      expect(outcome.undone.status, `${at}: ${JSON.stringify(outcome.undone.error)}`).toBe('Completed');
      expect(outcome.undoneState, at).toEqual(original);
    }
  }, 1_800_000);
});
