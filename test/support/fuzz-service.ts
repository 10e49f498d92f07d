/**
 * The real local service (startLocalService) as the API fuzzer drives it: moto_server behind the
 * target-account calls, seeded with an action, an approval and a registered responder; tokens of
 * every scope mix and broken ones; a snapshot of everything the service keeps (the history
 * table, read by Scan from the embedded dynalite; the SQS queues; every file under DATA_DIR) to
 * tell whether a request wrote anything.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unixSocketAgent } from '#local/data-dir.ts';
import { openDevIssuer } from '#local/dev-issuer.ts';
import { seedDemoAccount } from '#local/sandbox-seed.ts';
import { startLocalService, type LocalService } from '#local/service.ts';
import { eventsScope, execScopes, readScopes, respondScope } from '#shared/auth/scopes.ts';
import type { FuzzSeeds } from './fuzz-routes.ts';
import type { WireBody } from './fuzz-arbitraries.ts';

const fixtures = new URL('../fixtures/findings/written/', import.meta.url).pathname;
const memberRoleName = 'ResponseActionsMember';
const externalId = 'fuzz-external-id';

/** The scopes a token may carry besides the responder one (which needs a binding). */
export const personScopes = [execScopes.containment, readScopes.containment, execScopes['data-gathering'], readScopes['data-gathering'], eventsScope] as const;

/** A bearer credential: none, broken, of another issuer, expired, or valid with these scopes (a responder one bound to the seeded host). */
export type TokenChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'garbage'; readonly header: string }
  | { readonly kind: 'foreign' | 'expired' | 'tampered' | 'alg-none' }
  | { readonly kind: 'valid'; readonly scopes: readonly string[]; readonly responder: boolean };

export interface Snapshot {
  readonly table: ReadonlyMap<string, string>;
  readonly queues: ReadonlyMap<string, string>;
  readonly files: ReadonlyMap<string, string>;
}

export interface WireAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FuzzService {
  readonly service: LocalService;
  readonly seeds: FuzzSeeds;
  readonly dataDir: string;
  /** The Authorization header for a choice (undefined: none). */
  authorization(choice: TokenChoice): Promise<string | undefined>;
  snapshot(): Promise<Snapshot>;
  /** Waits until nothing is in flight and two snapshots agree; returns the last one. */
  quiet(): Promise<Snapshot>;
  send(method: string, target: string, headers: Readonly<Record<string, string | string[]>>, body: WireBody | undefined): Promise<WireAnswer>;
  close(): Promise<void>;
}

const inFlight = new Set(['Created', 'Enqueued', 'Running']);

/** Starts the service on a fresh DATA_DIR against the moto_server at `moto`, seeded; with the console of `consoleDir` when given. */
export async function startFuzzService(moto: string, options: { readonly consoleDir?: string } = {}): Promise<FuzzService> {
  const saved = { ...process.env };
  // Target-account calls follow AWS_ENDPOINT_URL (API.md); the service's own stores never do.
  Object.assign(process.env, { AWS_ENDPOINT_URL: moto, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  const dataDir = await mkdtemp(join(tmpdir(), 'fuzz-'));
  const foreignDir = await mkdtemp(join(tmpdir(), 'fuzz-foreign-'));
  const suffix = `-${randomUUID().slice(0, 8)}`;
  const demo = await seedDemoAccount({ endpoint: moto, memberRoleName, externalId, suffix });
  const service = await startLocalService({
    dataDir,
    port: 0,
    hostResponder: false,
    console: options.consoleDir === undefined ? false : { dir: options.consoleDir },
    env: {
      TARGET_ACCOUNTS: demo.accountId,
      MEMBER_ROLE_NAME: memberRoleName,
      MEMBER_ROLE_EXTERNAL_ID: externalId,
      // No leeway, so the expired token is refused as expired.
      AUTH_CLOCK_TOLERANCE_SECONDS: '0',
      PICKUP_DEADLINE_SECONDS: '2',
      COMPLETION_DEADLINE_SECONDS: '20',
      APPROVAL_REQUIRED: `arn:aws:iam::${demo.accountId}:user/fuzz-approval*`,
    },
  });
  const socket = (name: string): string => join(dataDir, 'sockets', `${name}.sock`);
  const dynamo = new DynamoDBClient({ endpoint: 'http://dynamodb.local-socket', region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, requestHandler: { httpAgent: unixSocketAgent(socket('dynamodb')) } });
  const sqs = new SQSClient({ endpoint: 'http://sqs.local-socket', region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, requestHandler: { httpAgent: unixSocketAgent(socket('aws')) } });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const responderName = `fuzz-host${suffix}`;
  const issuer = service.issuer;
  const foreign = await openDevIssuer(foreignDir);
  const tokens = new Map<string, Promise<string>>();
  const validToken = (scopes: readonly string[], responder: boolean): Promise<string> => {
    const key = `${[...scopes].sort().join(' ')}|${String(responder)}`;
    let token = tokens.get(key);
    if (token === undefined) {
      token = issuer.issue({ sub: 'fuzz-analyst', scopes: responder ? [...scopes, respondScope] : scopes, ...(responder ? { responder: { kind: 'host', name: responderName } } : {}) });
      tokens.set(key, token);
    }
    return token;
  };
  const expired = await issuer.issue({ sub: 'fuzz-analyst', scopes: [...personScopes], ttlSeconds: 1 });
  const foreignToken = await foreign.issue({ sub: 'fuzz-analyst', scopes: [...personScopes] });

  const send = (method: string, target: string, headers: Readonly<Record<string, string | string[]>>, body: WireBody | undefined): Promise<WireAnswer> =>
    new Promise((resolve, reject) => {
      const bytes = body === undefined ? undefined : 'text' in body ? Buffer.from(body.text, 'utf8') : Buffer.from(body.bytes);
      const sent = request(`${service.url}/`, { method, path: target, agent, headers: { ...headers, ...(bytes === undefined ? {} : { 'content-length': String(bytes.length) }) } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', reject);
      });
      sent.on('error', reject);
      sent.end(bytes);
    });

  const snapshot = async (): Promise<Snapshot> => {
    const table = new Map<string, string>();
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: 'history', ConsistentRead: true, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }));
      for (const item of page.Items ?? []) table.set(`${item['pk']?.S ?? ''} ${item['sk']?.S ?? ''}`, JSON.stringify(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    const queues = new Map<string, string>();
    for (const url of (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []) {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }));
      queues.set(url, JSON.stringify(Attributes ?? {}));
    }
    return { table, queues, files: await filesUnder(dataDir) };
  };

  const busy = (snap: Snapshot): boolean => [...snap.table.values()].some((item) => inFlight.has((JSON.parse(item) as Record<string, { S?: string }>)['status']?.S ?? ''));
  const quiet = async (): Promise<Snapshot> => {
    let last = await snapshot();
    let stableSince = Date.now();
    const deadline = Date.now() + 60_000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const next = await snapshot();
      if (changes(last, next).length > 0) stableSince = Date.now();
      // In flight but unchanged for 5 s: something waits on a deadline; what it writes next is not a request's.
      else if (!busy(next) || Date.now() - stableSince > 5_000) return next;
      if (Date.now() > deadline) return next;
      last = next;
    }
  };

  // Seeds: a completed quarantine, a host action no responder takes, an approval, a registered responder.
  const analyst = await validToken([execScopes.containment, execScopes['data-gathering'], readScopes.containment], false);
  const responder = await validToken([], true);
  const post = async (path: string, bearer: string, body: unknown): Promise<Record<string, unknown>> => {
    const answer = await send('POST', path, { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, { text: JSON.stringify(body) });
    if (answer.status >= 300) throw new Error(`seeding ${path} answered ${answer.status}: ${answer.body}`);
    return JSON.parse(answer.body) as Record<string, unknown>;
  };
  await post('/v1/responders', responder, { kind: 'host', name: responderName, version: 'fuzz', capabilities: ['kill-process', 'get-logs'] });
  const quarantine = await post('/v1/actions', analyst, { type: 'iam-quarantine', inputs: { 'aws.resource.arn': demo.userArn }, reason: 'fuzz seed' });
  const kill = await post('/v1/actions', analyst, { type: 'kill-process', inputs: { 'host.id': responderName, 'process.id': 4242 }, reason: 'fuzz seed' });
  const approval = await post('/v1/actions', analyst, { type: 'iam-quarantine', inputs: { 'aws.resource.arn': `arn:aws:iam::${demo.accountId}:user/fuzz-approval-1` }, reason: 'fuzz seed' });
  const reader = { authorization: `Bearer ${analyst}` };
  const listed = async (path: string, field: string): Promise<string[]> => {
    const answer = await send('GET', path, reader, undefined);
    if (answer.status !== 200) throw new Error(`seeding ${path} answered ${answer.status}: ${answer.body}`);
    const parsed = JSON.parse(answer.body) as unknown;
    const items = (Array.isArray(parsed) ? parsed : ((parsed as Record<string, unknown>)['items'] ?? (parsed as Record<string, unknown>)['rules'] ?? [])) as Record<string, unknown>[];
    return items.map((item) => String(item[field]));
  };
  const findings = await Promise.all(['falco-host-sensitive-file.json', 'guardduty-credential-access-iam-user.json', 'securityhub-imported-guardduty-ec2.json'].map(async (name) => JSON.parse(await readFile(join(fixtures, name), 'utf8')) as Record<string, unknown>));
  const seeds: FuzzSeeds = {
    actionIds: [String(quarantine['id']), String(kill['id'])],
    approvalIds: [String((approval['approval'] as Record<string, unknown> | undefined)?.['id'])],
    playbookRunIds: [],
    playbookNames: await listed('/v1/playbooks', 'name'),
    ruleIds: await listed('/v1/automation-rules', 'id'),
    responderName,
    findings,
    userArn: demo.userArn,
  };
  await quiet();
  await new Promise((resolve) => setTimeout(resolve, 2100)); // the expired token's second passes

  return {
    service,
    seeds,
    dataDir,
    authorization: async (choice) => {
      switch (choice.kind) {
        case 'none':
          return undefined;
        case 'garbage':
          return choice.header;
        case 'foreign':
          return `Bearer ${foreignToken}`;
        case 'expired':
          return `Bearer ${expired}`;
        case 'tampered': {
          const [header, payload] = (await validToken([...personScopes], false)).split('.');
          const forged = Buffer.from(JSON.stringify({ ...(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as object), scope: [...personScopes, respondScope].join(' ') })).toString('base64url');
          return `Bearer ${header ?? ''}.${forged}.${'A'.repeat(86)}`;
        }
        case 'alg-none': {
          const claims = { iss: service.auth.issuer, aud: 'response-actions', sub: 'fuzz', scope: personScopes.join(' '), exp: Math.floor(Date.now() / 1000) + 600 };
          return `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
        }
        case 'valid':
          return `Bearer ${await validToken(choice.scopes, choice.responder)}`;
      }
    },
    snapshot,
    quiet,
    send,
    close: async () => {
      agent.destroy();
      dynamo.destroy();
      sqs.destroy();
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
      await rm(foreignDir, { recursive: true, force: true });
      for (const name of Object.keys(process.env)) if (!(name in saved)) Reflect.deleteProperty(process.env, name);
      Object.assign(process.env, saved);
    },
  };
}

/** What differs between two snapshots, one line per item, queue or file. */
export function changes(before: Snapshot, after: Snapshot): string[] {
  const differ = (label: string, a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string[] =>
    [...new Set([...a.keys(), ...b.keys()])].filter((key) => a.get(key) !== b.get(key)).map((key) => `${label} ${key}: ${a.has(key) ? (b.has(key) ? 'changed' : 'removed') : 'added'}`);
  return [...differ('item', before.table, after.table), ...differ('queue', before.queues, after.queues), ...differ('file', before.files, after.files)];
}

/** Every file under DATA_DIR but the sockets and dynalite's own files (the table is read by Scan), with its size and SHA-256. */
async function filesUnder(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const skip = new Set(['sockets', 'dynamodb']);
  const walk = async (directory: string): Promise<void> => {
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (!(directory === root && skip.has(entry.name))) await walk(path);
      } else if (entry.isFile()) {
        const size = (await stat(path)).size;
        files.set(relative(root, path), `${size} ${createHash('sha256').update(await readFile(path)).digest('hex')}`);
      }
    }
  };
  await walk(root);
  return files;
}
