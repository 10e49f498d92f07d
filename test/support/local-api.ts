import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { apiRoutes } from '#functions/api/routes.ts';
import { createLocalApiServer, listen } from '#local/http-server.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createHistoryClient, ensureHistoryTable } from '#shared/adapters/dynamodb.ts';
import { formatResponderClaim, type Caller } from '#shared/auth/scopes.ts';
import { createTokenVerifier } from '#shared/auth/token-verifier.ts';
import type { Clock } from '#shared/clock.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { HistoryRepository } from '#shared/history/repository.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { EvidenceStore, WorkStarter } from '#shared/ports.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { emulatorCredentials } from './history-store.ts';

export const testIssuer = 'https://issuer.test/';
export const testAudience = 'response-actions';

export interface LocalApi {
  readonly url: string;
  readonly repository: HistoryRepository;
  /** A signed token carrying these scopes. */
  token(scopes: readonly string[], options?: { sub?: string; responder?: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The HTTP API as the local runtime serves it (real routes, real JWT verification, real
 * DynamoDB API on dynalite), with the executors the test hands in.
 */
export async function startLocalApi(options: {
  clock: Clock;
  starters: (repository: HistoryRepository) => Partial<Record<'cloud' | 'host' | 'kubernetes', WorkStarter>>;
  evidence?: EvidenceStore;
  dynamoEndpoint?: string;
  /** The planner behind `?dryRun=true`; without one a dry run answers 503. */
  planner?: (repository: HistoryRepository) => Planner;
}): Promise<LocalApi> {
  let dynamo: EmbeddedDynamoDb | undefined;
  const endpoint = options.dynamoEndpoint ?? (dynamo = await startEmbeddedDynamoDb()).endpoint;
  const store = { endpoint, region: 'us-east-1', credentials: emulatorCredentials };
  const tableName = 'history';
  if (options.dynamoEndpoint === undefined) await ensureHistoryTable(store, tableName);
  const repository = new HistoryRepository({
    client: createHistoryClient(store),
    tableName,
    cursors: new CursorCodec(randomBytes(32)),
    clock: options.clock,
  });
  const service = new ActionService({
    repository,
    starters: options.starters(repository),
    clock: options.clock,
    ...(options.evidence === undefined ? {} : { evidence: options.evidence }),
  });
  const planner = options.planner?.(repository);
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const verifier = createTokenVerifier({ issuer: testIssuer, audience: testAudience, keys: { jwks: { keys: [publicJwk] } } });
  const server: Server = createLocalApiServer(
    apiRoutes.map((route) => ({ method: route.method, path: route.path, public: route.public === true, handler: route.create({ service, ...(planner === undefined ? {} : { planner }) }) })),
    async (header) => claimsOf(await verifier.verify(header)),
  );
  const url = await listen(server, 0);
  return {
    url,
    repository,
    token: async (scopes, tokenOptions = {}) =>
      new SignJWT({
        scope: scopes.join(' '),
        ...(tokenOptions.responder === undefined ? {} : { ra_responder: tokenOptions.responder }),
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setSubject(tokenOptions.sub ?? 'analyst-1')
        .setIssuer(testIssuer)
        .setAudience(testAudience)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
      await dynamo?.close();
    },
  };
}

/** The claims API Gateway's authorizer would hand the handler for this caller. */
export function claimsOf(caller: Caller): Record<string, unknown> {
  return {
    sub: caller.sub,
    scope: [...caller.scopes].join(' '),
    ...(caller.responder === undefined ? {} : { ra_responder: formatResponderClaim(caller.responder) }),
  };
}

/**
 * An executor stand-in for API tests: takes the work and moves the record through
 * Enqueued → Running → Completed, recording `applied` as given. The real executors are tested
 * on their own (state machines against moto_server).
 */
export class CompletingStarter implements WorkStarter {
  readonly started: string[] = [];
  readonly #repository: HistoryRepository;
  readonly #applied: (record: ActionRecord) => ActionRecord['applied'];

  constructor(repository: HistoryRepository, applied: (record: ActionRecord) => ActionRecord['applied'] = () => ({ changes: ['x'] })) {
    this.#repository = repository;
    this.#applied = applied;
  }

  async start(record: ActionRecord): Promise<void> {
    this.started.push(record.id);
    await this.#repository.transition(record.id, 'Enqueued', { detail: 'test executor took the work' });
    await this.#repository.transition(record.id, 'Running');
    await this.#repository.transition(record.id, 'Completed', { applied: this.#applied(record), result: { done: true } });
  }
}
