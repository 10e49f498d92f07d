import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startMotoServer } from '#local/moto-server.ts';
import { startLocalService, type LocalService } from '#local/service.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { isTerminal } from '#shared/history/status.ts';
import { traceClientsWith } from '#shared/observability/tracing.ts';
import { apiRoute, CallCounter, countingCapture, countSqsCalls, startCountingFront, type CallCounts } from './counting.ts';
import { measureTransitions, transitionsOf, type TransitionCounts } from './transitions.ts';

export const benchAccount = '123456789012';
export const benchExternalId = 'capacity-bench-external-id';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const roleTrust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${benchAccount}:root` }, Action: 'sts:AssumeRole' }],
});

/** One action type's measured cost: calls by `service:Operation`, API requests, state transitions, wall time. */
export interface ActionProfile {
  readonly type: string;
  readonly executor: 'cloud' | 'host';
  readonly status: string;
  readonly calls: CallCounts;
  /** State transitions of its execution (states entered, retries included), from the local runner's history. */
  readonly transitions: TransitionCounts;
  /** Created → terminal, from the record's own timestamps (moto's latency, this machine). */
  readonly seconds: number;
  /** Status changes after Created: each moves the record in the byStatus index. */
  readonly statusChanges: number;
}

/** What the in-process host responder cost while no action ran. */
export interface IdleProfile {
  readonly seconds: number;
  readonly calls: CallCounts;
}

export interface Measured {
  readonly profiles: ActionProfile[];
  readonly idle: IdleProfile;
}

interface Scenario {
  readonly type: string;
  readonly executor: 'cloud' | 'host';
  /** Makes the target in moto; returns the request to POST (or the action to undo). */
  prepare(iam: IAMClient, earlier: ReadonlyMap<string, ActionRecord>): Promise<{ path: string; body: unknown }>;
}

const newUser = async (iam: IAMClient, withKey = false): Promise<string> => {
  const name = `capacity-${randomUUID().slice(0, 8)}`;
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (withKey) await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return `arn:aws:iam::${benchAccount}:user/${name}`;
};

/** The action types measured: the IAM families on moto, their undos, and one host action through the in-process responder. */
export const scenarios: readonly Scenario[] = [
  { type: 'iam-quarantine', executor: 'cloud', prepare: async (iam) => ({ path: '/v1/actions', body: { type: 'iam-quarantine', inputs: { 'aws.resource.arn': await newUser(iam) } } }) },
  {
    type: 'iam-unquarantine',
    executor: 'cloud',
    prepare: (_iam, earlier) => {
      const original = earlier.get('iam-quarantine');
      if (original === undefined) throw new Error('iam-unquarantine needs the iam-quarantine measured before it');
      return Promise.resolve({ path: `/v1/actions/${original.id}/undo`, body: {} });
    },
  },
  {
    type: 'deactivate-access-keys',
    executor: 'cloud',
    prepare: async (iam) => ({ path: '/v1/actions', body: { type: 'deactivate-access-keys', inputs: { 'aws.resource.arn': await newUser(iam, true) } } }),
  },
  {
    type: 'revoke-iam-role-sessions',
    executor: 'cloud',
    prepare: async (iam) => {
      const name = `capacity-role-${randomUUID().slice(0, 8)}`;
      await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: roleTrust }));
      return { path: '/v1/actions', body: { type: 'revoke-iam-role-sessions', inputs: { 'aws.resource.arn': `arn:aws:iam::${benchAccount}:role/${name}` } } };
    },
  },
  { type: 'capture-process-state', executor: 'host', prepare: () => Promise.resolve({ path: '/v1/actions', body: { type: 'capture-process-state', inputs: { 'host.id': hostname() } } }) },
];

/**
 * Runs each scenario `rounds` times, one action at a time, through the whole local service
 * (HTTP API, the shipped state machines, dynalite, fauxqs, the in-process host responder)
 * against moto_server, counting every call; the fewest round is kept per type.
 */
export async function measureActionProfiles(rounds = 3, idleSeconds = 65): Promise<Measured> {
  const counter = new CallCounter();
  const moto = await startMotoServer();
  const front = await startCountingFront(moto.endpoint, counter);
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-capacity-'));
  const saved = { ...process.env };
  const iam = new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  const realFetch = globalThis.fetch;
  let service: LocalService | undefined;
  const uncountSqs = countSqsCalls(counter, SQSClient);
  try {
    Object.assign(process.env, { AWS_ENDPOINT_URL: front.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
    for (const family of ['iam', 'iam-access-keys', 'iam-sessions']) {
      await iam.send(new CreateRoleCommand({ RoleName: memberRoleNameOf('ResponseActionsMember', family), AssumeRolePolicyDocument: roleTrust }));
    }
    // Every client made from here on is counted (the hook is read when a client is built).
    traceClientsWith(countingCapture(counter));
    const env = { TARGET_ACCOUNTS: benchAccount, MEMBER_ROLE_EXTERNAL_ID: benchExternalId };
    const started = await startLocalService({ dataDir, port: 0, env, console: false });
    service = started;
    // API requests (the bench's own and the in-process responder's) counted by method.
    globalThis.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.startsWith(started.url)) counter.record(apiRoute(init?.method ?? (input instanceof Request ? input.method : 'GET'), url.slice(started.url.length)));
      return realFetch(input, init);
    };
    const token = await started.issuer.issue({ sub: 'capacity-bench', scopes: ['containment-response-actions.exec', 'data-gathering-response-actions.exec'] });
    const samples = new Map<string, { record: ActionRecord; calls: CallCounts }[]>();
    const latest = new Map<string, ActionRecord>();
    for (let round = 0; round < rounds; round += 1) {
      for (const scenario of scenarios) {
        const request = await scenario.prepare(iam, latest);
        const before = counter.snapshot();
        const response = await fetch(`${started.url}${request.path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(request.body),
        });
        if (response.status !== 202) throw new Error(`${scenario.type} refused: ${response.status} ${await response.text()}`);
        const accepted = (await response.json()) as ActionRecord;
        const record = await counter.uncounted.run(true, () => settledRecord(started, accepted.id));
        await quiet(counter);
        latest.set(scenario.type, record);
        samples.set(scenario.type, [...(samples.get(scenario.type) ?? []), { record, calls: counter.since(before) }]);
      }
    }
    const transitions = await counter.uncounted.run(true, () => measureTransitions(started.repository, env));
    // The in-process host responder alone: heartbeats, long polls (two heartbeats at 30 s, three polls at 20 s).
    await quiet(counter);
    const idleStart = counter.snapshot();
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const idle = { seconds: idleSeconds, calls: counter.since(idleStart) };
    const profiles = scenarios.map((scenario) => {
      const runs = samples.get(scenario.type) ?? [];
      // The round with the fewest calls: the idle responder's heartbeats and polls only ever add some.
      const fewest = [...runs].sort((a, b) => totalCalls(a.calls) - totalCalls(b.calls))[0];
      if (fewest === undefined) throw new Error(`no run of ${scenario.type}`);
      return {
        type: scenario.type,
        executor: scenario.executor,
        status: fewest.record.status,
        calls: fewest.calls,
        transitions: scenario.executor === 'host' ? transitionsOfHost(started, fewest.record.id) : (transitions.get(scenario.type) ?? missing(scenario.type)),
        seconds: (Date.parse(fewest.record.updatedAt) - Date.parse(fewest.record.createdAt)) / 1000,
        statusChanges: fewest.record.statusHistory.length - 1,
      };
    });
    return { profiles, idle };
  } finally {
    globalThis.fetch = realFetch;
    uncountSqs();
    traceClientsWith((client) => client);
    await service?.close();
    iam.destroy();
    for (const key of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const) {
      if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = saved[key];
    }
    await front.close();
    await moto.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function missing(type: string): never {
  throw new Error(`no state-machine history measured for ${type}`);
}

const totalCalls = (calls: CallCounts): number => [...calls.values()].reduce((sum, count) => sum + count.calls, 0);

function transitionsOfHost(service: LocalService, actionId: string): TransitionCounts {
  // Dispatch waits for the responder's task token: its time is the host's, not Lambda's.
  return { ...transitionsOf(service.responders.runtime.history(actionId)), taskSeconds: [] };
}

/** The action's record once it has ended (read outside the count: the bench's polling is not the service's cost). */
async function settledRecord(service: LocalService, id: string): Promise<ActionRecord> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const record = await service.repository.get(id);
    if (record !== null && isTerminal(record.status)) return record;
    if (Date.now() > deadline) throw new Error(`action ${id} did not end within 60 s (last status ${record?.status ?? 'none'})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until no call has been counted for half a second: the execution's last steps and the responder's delete land first. */
async function quiet(counter: CallCounter): Promise<void> {
  let last = totalCalls(counter.snapshot());
  for (let waited = 0; waited < 10_000; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = totalCalls(counter.snapshot());
    if (now === last) return;
    last = now;
  }
}
