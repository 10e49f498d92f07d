/**
 * The whole service on one machine: the same handlers, use cases and state machine files as in
 * AWS, with embedded stores under DATA_DIR. `npm start` (local/main.ts), the sandbox, the
 * end-to-end test and the benchmark all start it through here.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { apiRoutes } from '#functions/api/routes.ts';
import { createHistoryClient, ensureHistoryTable } from '#shared/adapters/dynamodb.ts';
import { createEvidenceS3Client, S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { formatResponderClaim } from '#shared/auth/scopes.ts';
import { createTokenVerifier } from '#shared/auth/token-verifier.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { systemClock, type Clock } from '#shared/clock.ts';
import { loadConfig, type Environment, type ServiceConfig } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { HistoryRepository } from '#shared/history/repository.ts';
import { logger } from '#shared/log.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { openDevIssuer, type DevIssuer } from './dev-issuer.ts';
import { startEmbeddedAws, type EmbeddedAws } from './embedded-aws.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from './embedded-dynamodb.ts';
import { createLocalApiServer, listen } from './http-server.ts';
import { localCloudActionFamilies } from './families.ts';
import { recoverInFlight, type RecoveryReport } from './recovery.ts';
import { createLocalCloudActions, type LocalCloudActions } from './state-machine-runner.ts';

export interface LocalServiceOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly env: Environment;
  readonly clock?: Clock;
  /** The cloud action families to run; every family by default. */
  readonly families?: readonly CloudActionFamily[];
}

export interface LocalService {
  readonly url: string;
  readonly config: ServiceConfig;
  readonly issuer: DevIssuer;
  readonly repository: HistoryRepository;
  readonly recovery: RecoveryReport;
  /** Waits for running executions, then closes the server and the stores. */
  close(): Promise<void>;
}

const historyTable = 'history';

/** Starts every part of the service; on start, actions left in flight by a previous run are settled. */
export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  const clock = options.clock ?? systemClock;
  const config = loadConfig(options.env);
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => {
        logger.warn('a part of the local service did not close cleanly', { error });
      });
    }
  };
  try {
    const dynamo: EmbeddedDynamoDb = await startEmbeddedDynamoDb({ path: join(options.dataDir, 'dynamodb') });
    closers.push(() => dynamo.close());
    // The service's own stores get explicit endpoints and fixed local credentials: they never
    // follow AWS_ENDPOINT_URL or the credential chain, which belong to the target accounts.
    const store = { endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    await ensureHistoryTable(store, historyTable);
    const repository = new HistoryRepository({
      client: createHistoryClient(store),
      tableName: historyTable,
      cursors: new CursorCodec(await localSecret(options.dataDir, 'cursor-key')),
      clock,
    });

    const aws: EmbeddedAws = await startEmbeddedAws({ dataDir: options.dataDir, clock });
    closers.push(() => aws.close());
    const evidenceClient = createEvidenceS3Client({ endpoint: aws.endpoint, region: aws.region, credentials: aws.credentials });
    closers.push(() => {
      evidenceClient.destroy();
      return Promise.resolve();
    });
    const evidence = new S3EvidenceStore({ client: evidenceClient, bucket: aws.evidenceBucket, clock });

    const cloud: LocalCloudActions = createLocalCloudActions({
      repository,
      config,
      clock,
      families: options.families ?? localCloudActionFamilies({ evidence }),
    });
    closers.push(async () => {
      await cloud.close();
    });

    const service = new ActionService({ repository, starters: { cloud: cloud.starter }, evidence, clock });
    const issuer = await openDevIssuer(options.dataDir);
    const verifier = createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keys: { jwks: () => issuer.jwks() },
      clock,
    });
    const server: Server = createLocalApiServer(
      apiRoutes.map((route) => ({ method: route.method, path: route.path, handler: route.create({ service }) })),
      async (header) => {
        const caller = await verifier.verify(header);
        return {
          sub: caller.sub,
          scope: [...caller.scopes].join(' '),
          ...(caller.responder === undefined ? {} : { ra_responder: formatResponderClaim(caller.responder) }),
        };
      },
    );
    const recovery = await recoverInFlight(repository, cloud.starter);
    const url = await listen(server, options.port);
    closers.push(async () => {
      server.close();
      server.closeAllConnections();
      await cloud.idle();
    });
    return { url, config, issuer, repository, recovery, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** A random secret kept under DATA_DIR (0600), made on first start. */
async function localSecret(dataDir: string, name: string): Promise<Buffer> {
  const file = join(dataDir, name);
  try {
    const existing = await readFile(file);
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32);
  await writeFile(file, secret, { mode: 0o600 });
  await chmod(file, 0o600);
  return secret;
}
