/**
 * Issue 10, item 1, end to end against moto_server: a responder registers over HTTP, exchanges its
 * token for STS credentials for its own queue (AssumeRole with the one-queue session policy), long-
 * polls that SQS queue itself, acts once, reports over HTTP and deletes the message itself.
 *
 * moto does not enforce session policies (nor IAM at all): that the credentials reach only the
 * caller's queue is proven by test/infra/responder-queue-access.test.ts (iam-simulate); here the
 * real calls are shown to flow, and the session policy sent to STS is the one simulated there.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiRoutes } from '#functions/api/routes.ts';
import { openDevIssuer, type DevIssuer } from '#local/dev-issuer.ts';
import { createLocalApiServer, listen } from '#local/http-server.ts';
import { formatResponderClaim, respondScope } from '#shared/auth/scopes.ts';
import { createTokenVerifier } from '#shared/auth/token-verifier.ts';
import { systemClock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { createdRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import type { JsonValue } from '#shared/json.ts';
import { createLogger } from '#shared/log.ts';
import { createDispatchWorkHandler } from '#shared/responders/dispatch.ts';
import type { QueueCredentials } from '#shared/responders/protocol.ts';
import { StsQueueAccess } from '#shared/responders/queue-access.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import type { TaskCallbacks } from '#shared/responders/task-callbacks.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';
import { eventually, markerAction, timesActed } from '#test/support/responder-harness.ts';
import { runResponder } from '../../../responders/common/runner.ts';

const region = 'us-east-1';
const host = `moto-host-${randomUUID().slice(0, 8)}`;
const signingKey = workSigningKeyFromJwk(generateWorkSigningJwk());

/** What the execution's task token receives (the state machine is not what this test is about). */
class RecordedCallbacks implements TaskCallbacks {
  readonly calls: string[] = [];
  readonly outputs: JsonValue[] = [];
  heartbeat(): Promise<void> {
    this.calls.push('heartbeat');
    return Promise.resolve();
  }
  succeed(_token: string, output: JsonValue): Promise<void> {
    this.calls.push('succeed');
    this.outputs.push(output);
    return Promise.resolve();
  }
  fail(_token: string, error: string): Promise<void> {
    this.calls.push(`fail ${error}`);
    return Promise.resolve();
  }
}

let dir: string;
let server: Server;
let url: string;
let issuer: DevIssuer;
let repository: HistoryRepository;
let queues: ResponderQueues;
let sqs: SQSClient;
let dispatch: (event: unknown) => Promise<unknown>;
const callbacks = new RecordedCallbacks();

beforeAll(async () => {
  const endpoint = inject('motoEndpoint');
  dir = await mkdtemp(join(tmpdir(), 'queue-credentials-'));
  const history = await freshHistory(endpoint, systemClock);
  repository = history.repository;
  const aws = { endpoint, region, credentials: emulatorCredentials };
  const iam = new IAMClient(aws);
  const { Role } = await iam.send(
    new CreateRoleCommand({
      RoleName: `ResponderQueueAccess-${randomUUID().slice(0, 8)}`,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  iam.destroy();
  sqs = new SQSClient(aws);
  queues = new ResponderQueues({ client: sqs, prefix: `RA${randomUUID().slice(0, 6)}` });
  const store = new ResponderStore({ client: history.client, tableName: history.tableName, clock: systemClock });
  const responders = new ResponderService({
    repository,
    store,
    queues,
    queueAccess: new StsQueueAccess({ sts: new STSClient(aws), roleArn: Role?.Arn ?? '', region, durationSeconds: 900 }),
    callbacks,
    signingKey: () => Promise.resolve(signingKey.publicJwk),
    clock: systemClock,
  });
  dispatch = createDispatchWorkHandler({ repository, store, queues, signingKey, clock: systemClock });
  issuer = await openDevIssuer(dir);
  const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, keys: { jwks: () => issuer.jwks() }, clock: systemClock });
  // Actions are dispatched by hand below; the action service has no starters here.
  const service = new ActionService({ repository, starters: {}, clock: systemClock });
  server = createLocalApiServer(
    apiRoutes.map((route) => ({ method: route.method, path: route.path, handler: route.create({ service, responders }) })),
    async (header) => {
      const caller = await verifier.verify(header);
      return { sub: caller.sub, scope: [...caller.scopes].join(' '), ...(caller.responder === undefined ? {} : { ra_responder: formatResponderClaim(caller.responder) }) };
    },
  );
  url = await listen(server, 0);
});

afterAll(async () => {
  server.close();
  server.closeAllConnections();
  sqs.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('a responder pulling its own queue with STS credentials (moto_server)', () => {
  it('registers, gets credentials for its queue only, receives its work from SQS itself, runs it once, reports, and deletes the message', async () => {
    // Prepare: an action for the host, dispatched to its queue as the state machine would.
    const token = await issuer.issue({ sub: `responder:host/${host}`, scopes: [respondScope], responder: { kind: 'host', name: host } });
    const record = createdRecord(
      {
        id: randomUUID(),
        type: 'file-quarantine',
        category: 'containment',
        executor: 'host',
        inputs: { 'host.id': host, 'path.absolute': '/srv/moto/x' },
        resources: [{ key: `host/${host}/file//srv/moto/x`, kind: 'file' }],
        createdBy: 'analyst-1',
        undoType: 'file-unquarantine',
      },
      systemClock.now(),
    );
    await repository.create(record);
    const markers = join(dir, 'markers');
    const controller = new AbortController();
    const logs: string[] = [];
    const stateDir = join(dir, 'state');

    // Act
    const done = runResponder({
      apiUrl: url,
      token,
      kind: 'host',
      name: host,
      version: 'moto-1',
      actions: [markerAction(markers)],
      signingKeys: [signingKey.publicJwk],
      stateDir,
      logger: createLogger((line) => logs.push(line), 'debug'),
      signal: controller.signal,
      pollWaitSeconds: 1,
      heartbeatSeconds: 1,
      retryBackoffMs: 20,
    });
    await eventually(async () => (await fetch(`${url}/v1/responders`, { headers: { authorization: `Bearer ${await issuer.issue({ sub: 'analyst-1', scopes: ['containment-response-actions.read'] })}` } }).then((response) => response.json() as Promise<{ items: { name: string }[] }>)).items.some((item) => item.name === host));
    const credentials = await fetch(`${url}/v1/responders/host/${host}/queue-credentials`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const fetched = (await credentials.json()) as QueueCredentials;
    await dispatch({ step: 'dispatch', actionId: record.id, taskToken: 'task-token-1', deadlines: { pickupSeconds: 60, completionSeconds: 120 } });
    await eventually(() => callbacks.calls.includes('succeed'), 15_000);
    controller.abort();
    await done;

    // Assess: STS credentials for exactly this host's queue, which the responder read and emptied itself
    expect(credentials.status).toBe(200);
    expect(fetched.queueUrl).toBe(await queues.ensure({ kind: 'host', name: host }));
    expect(fetched.region).toBe(region);
    expect(fetched.credentials.accessKeyId).not.toBe(emulatorCredentials.accessKeyId);
    expect(Date.parse(fetched.credentials.expiration)).toBeGreaterThan(Date.now());
    expect(await timesActed(markers, record.id)).toBe(1);
    expect(callbacks.calls.filter((call) => call === 'succeed')).toHaveLength(1);
    expect(callbacks.calls.filter((call) => call.startsWith('fail'))).toEqual([]);
    expect(((await repository.get(record.id)) as ActionRecord).status).toBe('Running');
    expect(await queues.counts({ kind: 'host', name: host })).toEqual({ queued: 0, inFlight: 0, deadLetters: 0 });
    // Nothing secret reached the log: no credentials, no receipt.
    expect(logs.join('\n')).not.toContain(fetched.credentials.secretAccessKey);
    expect(logs.join('\n')).not.toContain(fetched.credentials.sessionToken);
  });
});
