/**
 * The whole service on one machine: the same handlers, use cases and state machine files as in
 * AWS, with embedded stores under DATA_DIR. `npm start` (local/main.ts), the sandbox, the
 * end-to-end test and the benchmark all start it through here.
 */
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { apiRoutes } from '#functions/api/routes.ts';
import { createHistoryClient, ensureHistoryTable } from '#shared/adapters/dynamodb.ts';
import { eventsClaim, formatEventsClaim, formatResponderClaim, respondScope } from '#shared/auth/scopes.ts';
import { loadAuthConfig } from '#shared/auth/auth-config.ts';
import { cachedTokenVerifier } from '#shared/auth/verified-tokens.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { systemClock, type Clock } from '#shared/clock.ts';
import { loadConfig, type Environment, type ServiceConfig } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { HistoryRepository } from '#shared/history/repository.ts';
import { logger } from '#shared/log.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { createDispatchWorkHandler } from '#shared/responders/dispatch.ts';
import type { ResponderAction, WorkSigningPublicKey } from '#shared/responders/protocol.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { startInProcessResponder, type InProcessResponder } from '../responders/common/in-process.ts';
import { queueWorkSource } from '../responders/common/work-source.ts';
import { hostActions } from '../responders/host/actions.ts';
import { loadHostActionSettings } from '../responders/host/config.ts';
import { localSecret, openStoreSockets, securePrivateDataDir } from './data-dir.ts';
import { loadConsoleAuthConfig, type ConsoleAuthSettings } from './console/console-auth-config.ts';
import { createConsoleSite } from './console/console-site.ts';
import { openDevIssuer, type DevIssuer } from './dev-issuer.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from './embedded-dynamodb.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from './embedded-sqs.ts';
import { createLocalVerifier } from './local-verifier.ts';
import { evidenceRoute } from './evidence/evidence-route.ts';
import { FileEvidenceStore } from './evidence/file-evidence-store.ts';
import { FileTrail } from './evidence/file-trail.ts';
import { bindTrail } from '#shared/trail/appender.ts';
import { EvidenceUrlSigner } from './evidence/signed-urls.ts';
import { createLocalAutomation } from './automation.ts';
import { createLocalApiServer, listen } from './http-server.ts';
import { localCloudActionFamilies } from './families.ts';
import type { PlaybookRecoveryReport } from './playbook-recovery.ts';
import type { LocalPlaybookRunnerSettings } from './playbooks.ts';
import { recoverInFlight, type RecoveryReport } from './recovery.ts';
import { createLocalCloudActions, type LocalCloudActions } from './runners/cloud-runner.ts';
import type { LocalPlaybookRuns } from './runners/playbook-runner.ts';
import { createLocalResponderActions, type LocalResponderActions } from './runners/responder-runner.ts';
import { LocalTaskTokens } from './runners/task-tokens.ts';
import { openWorkSigningKey } from './work-signing-key.ts';

export interface LocalServiceOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly env: Environment;
  readonly clock?: Clock;
  /** The cloud action families to run; every family by default. */
  readonly families?: readonly CloudActionFamily[];
  /**
   * The host responder for this machine (API.md: `npm start` runs one, host.id = the hostname).
   * `false` runs none (tests bring their own); by default the host responder's actions.
   */
  readonly hostResponder?: false | { readonly name?: string; readonly actions?: readonly ResponderAction[] };
  /** The console at `/` (built files from console/dist unless `dir` says otherwise); false serves the API alone. */
  readonly console?: false | { readonly dir?: string };
  /** Work queue settings (tests shorten the visibility timeout and the deliveries before the DLQ). */
  readonly responderQueues?: { readonly visibilityTimeoutSeconds?: number; readonly maxReceiveCount?: number };
  /** Playbook runner settings (tests shorten the wait between a step's checks). */
  readonly playbookRunner?: LocalPlaybookRunnerSettings;
}

export interface LocalService {
  readonly url: string;
  readonly config: ServiceConfig;
  readonly issuer: DevIssuer;
  /**
   * Whose tokens the API takes (AUTH_ISSUER, or the local issuer) and how the console signs in;
   * with AUTH_ISSUER, the local issuer's tokens serve this machine's host responder only.
   */
  readonly auth: { readonly kind: 'local-issuer' | 'oidc'; readonly issuer: string; readonly console: ConsoleAuthSettings };
  readonly repository: HistoryRepository;
  readonly recovery: RecoveryReport;
  /** Playbook runs: their executions, and the runs a previous process left in flight, started again. */
  readonly playbooks: { readonly runtime: LocalPlaybookRuns; readonly recovery: PlaybookRecoveryReport };
  /** Host and Kubernetes actions: the queues, the executions, and the public key responders pin. */
  readonly responders: {
    readonly queues: ResponderQueues;
    readonly runtime: LocalResponderActions;
    readonly signingKey: WorkSigningPublicKey;
    /** The host id of this machine's in-process responder, when one runs. */
    readonly hostResponder: string | null;
    /** Runs the retention sweep now (it also runs hourly): responders silent this long go with their queues. */
    readonly sweep: (retentionSeconds: number) => Promise<{ removed: string[]; withDeadLetters: string[] }>;
  };
  /** Waits for running executions, then closes the server and the stores. */
  close(): Promise<void>;
}

const historyTable = 'history';

/** Starts every part of the service; on start, actions left in flight by a previous run are settled. */
export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  const clock = options.clock ?? systemClock;
  const config = loadConfig(options.env);
  const authConfig = loadAuthConfig(options.env);
  const consoleAuth = loadConsoleAuthConfig(options.env, authConfig);
  const hostResponderName = options.hostResponder === false ? null : (options.hostResponder?.name ?? hostname());
  await securePrivateDataDir(options.dataDir);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => {
        logger.warn('a part of the local service did not close cleanly', { error });
      });
    }
  };
  try {
    // The embedded stores check no credentials, so they listen only on unix sockets in a 0700
    // directory: no other user of the machine can reach them.
    const sockets = await openStoreSockets(options.dataDir);
    closers.push(() => sockets.close());
    const dynamo: EmbeddedDynamoDb = await startEmbeddedDynamoDb({
      path: join(options.dataDir, 'dynamodb'),
      socketPath: await sockets.socket('dynamodb'),
    });
    closers.push(() => dynamo.close());
    // The service's own stores get explicit endpoints and fixed local credentials: they never
    // follow AWS_ENDPOINT_URL or the credential chain, which belong to the target accounts.
    const store = {
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      ...(dynamo.httpAgent === undefined ? {} : { httpAgent: dynamo.httpAgent }),
    };
    await ensureHistoryTable(store, historyTable);
    const cursors = new CursorCodec(await localSecret(options.dataDir, 'cursor-key'));
    // The tamper-evident trail (DATA_DIR/trail): every write through this client is appended to it.
    const trail = await FileTrail.open(options.dataDir, clock);
    closers.push(() => trail.close());
    const historyClient = createHistoryClient(store);
    bindTrail(historyClient, trail);
    const repository = new HistoryRepository({ client: historyClient, tableName: historyTable, cursors, clock });

    // Evidence is files under DATA_DIR; its URLs are signed with a per-DATA_DIR secret and served
    // by this service's own HTTP server, whose address is known once it listens.
    const listening: { url?: string } = {};
    const evidenceUrls = new EvidenceUrlSigner(await localSecret(options.dataDir, 'evidence-signing-key'), () => {
      if (listening.url === undefined) throw new Error('evidence URLs name the local HTTP server, which is not listening yet');
      return listening.url;
    });
    const evidence = await FileEvidenceStore.open({ root: join(options.dataDir, 'evidence'), clock, urls: evidenceUrls, trail });

    const families = options.families ?? localCloudActionFamilies({ evidence });
    const cloud: LocalCloudActions = createLocalCloudActions({ repository, config, clock, families });
    closers.push(async () => {
      await cloud.close();
    });

    // Host and Kubernetes actions: per-target queues on the embedded SQS, the responder state
    // machine on the local runner, its task-token callbacks in process, the signing key under DATA_DIR.
    const embeddedSqs: EmbeddedSqs = await startEmbeddedSqs({ socketPath: await sockets.socket('aws') });
    closers.push(() => embeddedSqs.close());
    const sqs = new SQSClient({
      endpoint: embeddedSqs.endpoint,
      region: embeddedSqs.region,
      credentials: embeddedSqs.credentials,
      requestHandler: { httpAgent: embeddedSqs.httpAgent },
    });
    const queues = new ResponderQueues({ client: sqs, prefix: loadResponderConfig(options.env).queuePrefix, ...options.responderQueues });
    closers.push(() => {
      queues.close();
      sqs.destroy();
      return Promise.resolve();
    });
    const responderStore = new ResponderStore({ client: createHistoryClient(store), tableName: historyTable, clock });
    const signingKey = await openWorkSigningKey(options.dataDir);
    const taskTokens = new LocalTaskTokens();
    const responderRuntime = createLocalResponderActions({
      repository,
      config,
      taskTokens,
      dispatch: createDispatchWorkHandler({ repository, store: responderStore, queues, signingKey, clock }),
    });
    closers.push(() => responderRuntime.close());
    const responders = new ResponderService({
      repository,
      store: responderStore,
      queues,
      callbacks: taskTokens,
      signingKey: () => Promise.resolve(signingKey.publicJwk),
      evidence,
      clock,
    });

    // Actions, approvals, plans and findings in: the same use cases as the API functions in AWS.
    const local = createLocalAutomation({
      env: options.env,
      config,
      repository,
      client: historyClient,
      tableName: historyTable,
      cursors,
      families,
      starters: { cloud: cloud.starter, host: responderRuntime.starter, kubernetes: responderRuntime.starter },
      evidence,
      clock,
      responders: responderStore,
      ...(options.playbookRunner === undefined ? {} : { playbookRunner: options.playbookRunner }),
    });
    closers.push(() => local.close());
    bindTrail(local.automation.decisions, trail);
    const issuer = await openDevIssuer(options.dataDir);
    // Each token's signature is checked once and its caller remembered while the token is valid (at most a minute): clients poll.
    const verifier = cachedTokenVerifier(createLocalVerifier({ auth: authConfig, issuer, hostResponder: hostResponderName, clock }), { clock });
    const server: Server = createLocalApiServer(
      apiRoutes.map((route) => ({ method: route.method, path: route.path, public: route.public === true, handler: route.create({
          service: local.actions,
          responders,
          approvals: local.approvals,
          planner: local.planner,
          automation: local.automation,
          playbooks: local.playbooks.runs,
          trail,
          // POST /v1/actions reads it (QUEUE_FOR_UNREGISTERED_RESPONDERS of this service's env, not the process's).
          ...{ queueForUnregistered: loadResponderConfig(options.env).queueForUnregistered },
        }),
      })),
      async (header) => {
        const caller = await verifier.verify(header);
        return {
          sub: caller.sub,
          scope: [...caller.scopes].join(' '),
          ...(caller.responder === undefined ? {} : { ra_responder: formatResponderClaim(caller.responder) }),
          ...(caller.events === undefined ? {} : { [eventsClaim]: formatEventsClaim(caller.events) }),
        };
      },
      [evidenceRoute(evidence, evidenceUrls, clock)],
      options.console === false ? undefined : createConsoleSite({ ...(options.console?.dir === undefined ? {} : { dir: options.console.dir }), auth: consoleAuth.kind === 'local' ? { kind: 'local', issuer } : consoleAuth }).serve,
    );
    const recovery = await recoverInFlight(repository, cloud.starter, {
      starter: responderRuntime.starter,
      resume: (record, deadlines) => responderRuntime.resume(record, deadlines),
      store: responderStore,
      deadlines: config.deadlines,
      clock,
    });
    // After the actions: a resumed run finds each step's action settled or running again.
    const playbookRecovery = await local.playbooks.resume();
    // Responders silent past RESPONDER_RETENTION_HOURS go with their queues, as the hourly sweep does in AWS.
    const retentionSeconds = loadResponderConfig(options.env).retentionHours * 3600;
    const sweep = setInterval(() => {
      responders.sweepSilent(retentionSeconds).catch((error: unknown) => {
        logger.warn('the responder sweep failed; it runs again in an hour', { error });
      });
    }, 3_600_000);
    sweep.unref();
    closers.push(() => {
      clearInterval(sweep);
      return Promise.resolve();
    });
    const url = await listen(server, options.port);
    listening.url = url;
    closers.push(async () => {
      server.close();
      server.closeAllConnections();
      await cloud.idle();
    });
    let hostResponder: InProcessResponder | undefined;
    if (options.hostResponder !== false && hostResponderName !== null) {
      hostResponder = startLocalHostResponder({
        url,
        issuer,
        name: hostResponderName,
        dataDir: options.dataDir,
        signingKey: signingKey.publicJwk,
        queues,
        env: options.env,
        ...(options.hostResponder?.actions === undefined ? {} : { actions: options.hostResponder.actions }),
      });
      const running = hostResponder;
      // Stopped before the server closes, so its last reports still land.
      closers.push(() => running.stop());
      await registered(responderStore, hostResponderName, running);
    }
    return {
      url,
      config,
      issuer,
      auth: { kind: authConfig.kind, issuer: authConfig.kind === 'oidc' ? authConfig.issuer : issuer.issuer, console: consoleAuth },
      repository,
      recovery,
      playbooks: { runtime: local.playbooks.runtime, recovery: playbookRecovery },
      responders: {
        queues,
        runtime: responderRuntime,
        signingKey: signingKey.publicJwk,
        hostResponder: hostResponderName,
        sweep: (seconds) => responders.sweepSilent(seconds),
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * The host actions of the in-process responder, with the settings a standalone host responder
 * reads from its RESPONDER_* variables (runtime sockets, containerd namespaces, limits, protected
 * paths and pids); a malformed one stops start-up naming the variable.
 */
function localHostActions(env: Environment, stateDir: string, dataDir: string): ResponderAction[] {
  const settings = loadHostActionSettings(env);
  // DATA_DIR holds the issuer's and the work-signing private keys: no host action may read or move them.
  return hostActions({ ...settings, quarantineDir: join(stateDir, 'quarantine'), protectedPaths: [dataDir, ...settings.protectedPaths] });
}

/**
 * This machine's host responder, in process: the same runner a host responder uses on its own,
 * talking HTTP to this service with a token from the local issuer (bound to host/<name>, renewed
 * before it expires), trusting the local work signing key directly (no trust on first use needed).
 */
function startLocalHostResponder(options: {
  readonly url: string;
  readonly issuer: DevIssuer;
  readonly name: string;
  readonly dataDir: string;
  readonly signingKey: WorkSigningPublicKey;
  readonly queues: ResponderQueues;
  readonly actions?: readonly ResponderAction[];
  readonly env: Environment;
}): InProcessResponder {
  const stateDir = join(options.dataDir, 'responders', `host-${options.name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  const ttlSeconds = 60 * 60;
  let current: { token: Promise<string>; renewAt: number } | undefined;
  const token = (): Promise<string> => {
    if (current === undefined || Date.now() >= current.renewAt) {
      current = {
        token: options.issuer.issue({
          sub: `responder:host/${options.name}`,
          scopes: [respondScope],
          responder: { kind: 'host', name: options.name },
          ttlSeconds,
        }),
        renewAt: Date.now() + (ttlSeconds - 300) * 1000,
      };
    }
    return current.token;
  };
  const responder = startInProcessResponder({
    apiUrl: options.url,
    token,
    kind: 'host',
    name: options.name,
    version: 'local',
    actions: options.actions ?? localHostActions(options.env, stateDir, options.dataDir),
    signingKeys: [options.signingKey],
    // Straight from the embedded queue (served to this process only): no credentials route locally.
    workSource: queueWorkSource(options.queues, { kind: 'host', name: options.name }),
    stateDir,
    logger,
  });
  responder.stopped.catch((error: unknown) => {
    logger.error('the local host responder stopped with an error; host actions will end at their pickup deadline', { error });
  });
  return responder;
}

/**
 * Waits (at most 30 s) until this machine's responder has registered, so that `npm start` says it
 * is listening only once host work for this machine is admitted (work for an unregistered host is
 * refused 409). A responder that stops or never registers is logged, and the service starts anyway.
 */
async function registered(store: Pick<ResponderStore, 'get'>, name: string, responder: InProcessResponder): Promise<void> {
  const state = { stopped: false };
  responder.stopped.then(() => { state.stopped = true; }, () => { state.stopped = true; });
  for (let attempt = 0; attempt < 600 && !state.stopped; attempt += 1) {
    if ((await store.get({ kind: 'host', name })) !== null) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  logger.warn('this machine\'s host responder has not registered; host work for it is refused until it does', { host: name });
}
