/**
 * Issue 15: AWS throttling and 5xx bursts on every call of every cloud action family. FAULT
 * INJECTION: no real server here throttles, so the fault proxy in front of moto_server
 * (test/support/fault-proxy.ts) answers requests with each protocol's real throttling or 5xx
 * error, and forwards the rest to moto. The actions run on the local runtime of the shipped state
 * machine (its retry pauses set to 0 for time: the ASL's own are 2 s, x2, FULL jitter), every
 * target-account call (STS included) through AWS_ENDPOINT_URL at the proxy, with the runtime's
 * own clients (maxAttempts 4, standard mode). The proxy counts every attempt, which proves the
 * retries bounded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { FileEvidenceStore } from '#local/evidence/file-evidence-store.ts';
import { EvidenceUrlSigner } from '#local/evidence/signed-urls.ts';
import { createLocalCloudActions, type LocalCloudActions } from '#local/runners/cloud-runner.ts';
import { cloudTrailFamily } from '#shared/actions/cloudtrail/index.ts';
import { ec2Family } from '#shared/actions/ec2/index.ts';
import { iamAccessKeysFamily } from '#shared/actions/iam-access-keys/index.ts';
import { iamFamily } from '#shared/actions/iam/index.ts';
import { iamSessionsFamily } from '#shared/actions/iam-sessions/index.ts';
import { privateFamily } from '#shared/actions/private/index.ts';
import { systemClock } from '#shared/clock.ts';
import { defaultMemberRoleName, loadConfig } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { quickStateMachine } from '#test/support/cloud-action-harness.ts';
import { apiRecord, runToEnd } from '#test/support/cloud-runs.ts';
import { startFaultProxy, type FaultKind, type FaultProxy } from '#test/support/fault-proxy.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { motoEc2Client } from '#test/support/moto-ec2.ts';
import { createMemberRoles, motoAccountId, motoIamClient } from '#test/support/moto-iam.ts';
import { motoRdsClient, motoS3Client } from '#test/support/moto-private.ts';
import { familyCases, type AdminClients, type FamilyCase } from './cloud-fixtures.ts';

const externalId = 'faults-throttling-external-id';
/** The SDK clients' maxAttempts, and the state machine's attempts of a step failing with ThrottlingError (1 + Retry MaxAttempts 6). */
const sdkAttempts = 4;
const stepAttempts = 7;

let dynalite: EmbeddedDynamoDb;
let proxy: FaultProxy;
let repository: HistoryRepository;
let runtime: LocalCloudActions;
let clients: AdminClients;
let evidenceDir: string;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  dynalite = await startEmbeddedDynamoDb();
  proxy = await startFaultProxy(moto);
  vi.stubEnv('AWS_ENDPOINT_URL', proxy.endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  clients = { iam: motoIamClient(moto), ec2: motoEc2Client(moto), s3: motoS3Client(moto, 'us-east-1'), rds: motoRdsClient(moto, 'us-east-1') };
  await createMemberRoles(clients.iam, defaultMemberRoleName, externalId);
  ({ repository } = await freshHistory(dynalite.endpoint, systemClock));
  evidenceDir = await mkdtemp(join(tmpdir(), 'faults-evidence-'));
  const evidence = await FileEvidenceStore.open({
    root: join(evidenceDir, 'evidence'),
    clock: systemClock,
    urls: new EvidenceUrlSigner(Buffer.alloc(32, 7), () => 'http://127.0.0.1:1'),
  });
  const config = loadConfig({ TARGET_ACCOUNTS: motoAccountId, MEMBER_ROLE_EXTERNAL_ID: externalId });
  // No memberSessions given: the runtime's own STS client (following AWS_ENDPOINT_URL) is under test too.
  runtime = createLocalCloudActions({
    repository,
    config,
    clock: systemClock,
    families: [
      iamFamily,
      iamSessionsFamily,
      iamAccessKeysFamily,
      privateFamily,
      ec2Family,
      // CloudTrail's own retry loop, its pauses shortened for time (1 s base, 20 s cap in the shipped defaults).
      cloudTrailFamily({ evidence, retry: { baseDelayMs: 10, maxDelayMs: 40 } }),
    ],
    ...quickStateMachine,
  });
});

afterAll(async () => {
  await runtime.close();
  for (const client of [clients.iam, clients.ec2, clients.s3, clients.rds]) client.destroy();
  await proxy.close();
  await dynalite.close();
  await rm(evidenceDir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

async function run(type: string, inputs: Record<string, string>, undoOf: ActionRecord | null = null): Promise<ActionRecord> {
  const record = apiRecord(type, inputs, undoOf);
  if (undoOf !== null) await repository.claimUndo(undoOf.id, record.id);
  return runToEnd(repository, runtime, record);
}

/** The states the state machine had to retry (a step that failed, e.g. throttled past the SDK's attempts). */
function retriedStates(record: ActionRecord): string[] {
  return runtime.history(record.id).flatMap((event) => (event.type === 'StateRetried' ? [event.state.name] : []));
}

/** The calls of the last run, each with its attempts and how many were answered with a fault. */
function attemptsByCall(): Map<string, { attempts: number; faulted: number }> {
  const by = new Map<string, { attempts: number; faulted: number }>();
  for (const call of proxy.calls) {
    const entry = by.get(call.call) ?? { attempts: 0, faulted: 0 };
    by.set(call.call, { attempts: entry.attempts + 1, faulted: entry.faulted + (call.fault === null ? 0 : 1) });
  }
  return by;
}

/** Every call was faulted `burst` times at most and then answered by moto: the SDK's retries got through. */
function expectEveryCallRetried(burst: number, label: string): void {
  const calls = attemptsByCall();
  expect(calls.size, label).toBeGreaterThan(2);
  for (const [call, { attempts, faulted }] of calls) {
    expect(faulted, `${label} ${call}`).toBeLessThanOrEqual(burst);
    expect(attempts - faulted, `${label} ${call} reached moto`).toBeGreaterThanOrEqual(1);
  }
  expect([...calls.values()].some((each) => each.faulted === burst), label).toBe(true);
}

const caseName = (each: FamilyCase): string => `${each.type} (${each.lateCall})`;

describe('cloud actions under AWS throttling and 5xx bursts (injected by the fault proxy)', () => {
  // The first family's calls take the longest burst the SDK absorbs (its attempts less one); the
  // others' one fault a call, which proves their clients retry, at a third of the SDK's real backoff
  // time (each wait is a random share of 500 ms x 2^n when throttled: the suite's longest sleeps).
  it.each(familyCases.map((each, index) => [caseName(each), index === 0 ? sdkAttempts - 1 : 1, each] as const))(
    '%s: every call throttled %i times, then its undo with every call 503 as often: both Completed, the target as expected',
    async (_name, burst, family) => {
      // Prepare
      const target = await family.make(clients);
      const original = await target.read();

      // Act: a burst shorter than the SDK's budget on each of the action's calls (STS's included)
      proxy.reset();
      proxy.inject([{ call: '*', kind: 'throttle', times: burst, each: true }]);
      const acted = await run(family.type, target.inputs);
      const actedState = await target.read();
      expectEveryCallRetried(burst, `${family.type} throttled:`);
      proxy.reset();
      proxy.inject([{ call: '*', kind: 503, times: burst, each: true }]);
      const undone = await run(family.undoType, target.inputs, acted);
      expectEveryCallRetried(burst, `${family.undoType} 503:`);
      proxy.inject([]);

      // Assess
      expect(acted.status, JSON.stringify(acted.error)).toBe('Completed');
      // Each burst was absorbed by the SDK's own attempts: no step failed for the state machine to retry.
      expect(retriedStates(acted)).toEqual([]);
      expect(retriedStates(undone)).toEqual([]);
      expect(actedState).toEqual(family.acted(original, acted.id));
      expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
      expect(await target.read()).toEqual(original);
    },
    300_000,
  );

  // A 500 for good on every family; throttling for good (4 SDK attempts in each of 7 state machine
  // attempts, with the SDK's real throttling backoff) on two families, since the same error mapping
  // (shared/actions/errors.ts) and the same Retry of the shipped ASL serve them all.
  const forGood = familyCases.flatMap((each, index) => ((index < 2 ? ['throttle', 500] : [500]) as FaultKind[]).map((kind) => [`${caseName(each)} ${String(kind)}`, kind, each] as const));
  it.each(forGood)(
    '%s for good: a clear Error naming AWS and the call, bounded attempts, what changed before recorded and undone',
    async (_name, kind: FaultKind, family) => {
      // Prepare
      const target = await family.make(clients);
      const original = await target.read();

      // Act: the call fails on every attempt
      proxy.reset();
      proxy.inject([{ call: family.lateCall, kind, times: Number.POSITIVE_INFINITY }]);
      const failed = await run(family.type, target.inputs);
      const attempts = proxy.count(family.lateCall);
      proxy.inject([]);
      const failedState = await target.read();
      const applied = (failed.applied as { changes?: unknown[] } | null)?.changes ?? [];
      const undone = applied.length === 0 ? null : await run(family.undoType, target.inputs, failed);

      // Assess
      expect(failed.status).toBe('Error');
      const operation = family.lateCallNamed ?? family.lateCall;
      if (kind === 'throttle') {
        expect(failed.error?.code).toBe('Throttling');
        expect(failed.error?.message).toMatch(new RegExp(`^AWS throttled ${operation}`));
        // The SDK's attempts in each of the state machine's attempts of the step, and no more.
        expect(attempts).toBe(sdkAttempts * stepAttempts);
      } else {
        expect(failed.error?.code).toBe('AwsRequestFailed');
        expect(failed.error?.message).toMatch(new RegExp(`^AWS failed ${operation}.* with HTTP 500 after ${String(sdkAttempts)} attempts`));
        expect(attempts).toBe(sdkAttempts);
      }
      if (undone === null) {
        expect(failedState).toEqual(original);
      } else {
        expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
        expect(await target.read()).toEqual(original);
      }
    },
    300_000,
  );

  it('fetch-cloud-logs: LookupEvents throttled or 503 for good ends in a clear Error after its own bounded, jittered retries', async () => {
    for (const kind of ['throttle', 503] as const) {
      // Prepare
      const now = Date.now();
      const inputs = {
        'aws.account.id': motoAccountId,
        'aws.region': 'us-east-1',
        'ct.user': 'alice',
        fromTimestamp: new Date(now - 3_600_000).toISOString(),
        toTimestamp: new Date(now - 60_000).toISOString(),
      };

      // Act
      proxy.reset();
      proxy.inject([{ call: 'cloudtrail:LookupEvents', kind, times: Number.POSITIVE_INFINITY }]);
      const failed = await run('fetch-cloud-logs', inputs);
      const attempts = proxy.count('cloudtrail:LookupEvents');
      proxy.inject([]);

      // Assess: its client makes one attempt a send; its loop makes 6, and a throttled step is run 7 times by the state machine.
      expect(failed.status).toBe('Error');
      if (kind === 'throttle') {
        expect(failed.error?.code).toBe('Throttling');
        expect(failed.error?.message).toMatch(/^AWS throttled cloudtrail:LookupEvents in us-east-1/);
        expect(attempts).toBe(6 * stepAttempts);
      } else {
        expect(failed.error?.code).toBe('AwsRequestFailed');
        expect(failed.error?.message).toMatch(/^AWS failed cloudtrail:LookupEvents in us-east-1.* with HTTP 503/);
        expect(attempts).toBe(6);
      }
    }
  }, 300_000);
});
