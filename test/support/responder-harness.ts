import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalService, type LocalService, type LocalServiceOptions } from '#local/service.ts';
import { respondScope } from '#shared/auth/scopes.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { JsonObject } from '#shared/json.ts';
import { createLogger, type Logger } from '#shared/log.ts';
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import type { QueuedMessage } from '#shared/responders/queues.ts';
import { runResponder, type RunResponderOptions } from '../../responders/common/runner.ts';
import { queueWorkSource } from '../../responders/common/work-source.ts';

export const analystScopes = ['containment-response-actions.exec', 'data-gathering-response-actions.exec'] as const;

export interface ResponderHarness {
  readonly service: LocalService;
  readonly dataDir: string;
  /** An analyst's bearer token (both exec scopes). */
  analyst(): Promise<string>;
  /** A responder token bound to `host/<name>`. */
  responderToken(name: string): Promise<string>;
  /** Calls the API; `body` as JSON. */
  call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: unknown; contentType: string | null }>;
  /**
   * Receives from `host/<name>`'s queue as its responder would (straight from SQS, not through the
   * API), waiting up to `waitSeconds`.
   */
  receiveWork(name: string, waitSeconds?: number, max?: number): Promise<QueuedMessage[]>;
  /** POST /v1/actions file-quarantine on `host`, as the analyst. */
  createHostAction(host: string, path?: string): Promise<ActionRecord>;
  /** Polls an action until `done` says so (or fails after `timeoutMs`). */
  until(id: string, done: (record: ActionRecord) => boolean, timeoutMs?: number): Promise<ActionRecord>;
  /** Stops the service, once (the data directory stays, for a restart); stop test responders first. */
  stop(): Promise<void>;
  /** Starts the service again on the same data directory. */
  restart(): Promise<ResponderHarness>;
  /** Stops everything and removes the data directory. */
  close(): Promise<void>;
}

export type HarnessOptions = Omit<LocalServiceOptions, 'dataDir' | 'port' | 'env' | 'hostResponder'> & {
  readonly env?: Record<string, string>;
  readonly dataDir?: string;
};

/**
 * The local service as `npm start` wires it (dynalite, embedded SQS and S3, the shipped ASL files
 * on the local runner), with no host responder of its own: tests start theirs.
 */
export async function startResponderHarness(options: HarnessOptions = {}): Promise<ResponderHarness> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'responders-')));
  const { env = {}, dataDir: _dir, ...serviceOptions } = options;
  const service = await startLocalService({ ...serviceOptions, dataDir, port: 0, env, hostResponder: false });
  let stopped = false;
  const harness: ResponderHarness = {
    service,
    dataDir,
    analyst: () => service.issuer.issue({ sub: 'analyst-1', scopes: [...analystScopes] }),
    responderToken: (name) => service.issuer.issue({ sub: `responder-${name}`, scopes: [respondScope], responder: { kind: 'host', name } }),
    call: async (method, path, token, body) => {
      const response = await fetch(`${service.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown), contentType: response.headers.get('content-type') };
    },
    receiveWork: (name, waitSeconds = 5, max = 10) => service.responders.queues.receive({ kind: 'host', name }, max, waitSeconds),
    createHostAction: async (host, path = `/srv/${host}/suspicious-${String(Date.now())}`) => {
      const created = await harness.call('POST', '/v1/actions', await harness.analyst(), {
        type: 'file-quarantine',
        inputs: { 'host.id': host, 'path.absolute': path },
      });
      if (created.status !== 202) throw new Error(`create answered ${String(created.status)}: ${JSON.stringify(created.body)}`);
      return created.body as ActionRecord;
    },
    until: async (id, done, timeoutMs = 20_000) => {
      const token = await harness.analyst();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await harness.call('GET', `/v1/actions/${id}`, token);
        const record = body as ActionRecord;
        if (done(record)) return record;
        if (Date.now() > deadline) throw new Error(`action ${id} stayed ${record.status}: ${JSON.stringify(record.statusHistory)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await service.close();
    },
    restart: async () => startResponderHarness({ ...options, dataDir }),
    close: async () => {
      await harness.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export interface TestResponder {
  /** Settles when the runner's loop ends. */
  readonly done: Promise<void>;
  readonly logs: string[];
  stop(): Promise<void>;
}

/** A real responder (the runner host responders use) for `host/<name>`, in this process. */
export async function startTestResponder(
  harness: ResponderHarness,
  options: Partial<Omit<RunResponderOptions, 'signal' | 'apiUrl'>> & { readonly name: string; readonly actions: readonly ResponderAction[] },
): Promise<TestResponder> {
  const controller = new AbortController();
  const logs: string[] = [];
  const logger: Logger = createLogger((line) => logs.push(line), 'debug');
  const stateDir = options.stateDir ?? join(harness.dataDir, 'test-responders', options.name);
  await mkdir(stateDir, { recursive: true });
  const token = options.token ?? (await harness.responderToken(options.name));
  const done = runResponder({
    apiUrl: harness.service.url,
    kind: 'host',
    version: 'test-1',
    signingKeys: [harness.service.responders.signingKey],
    pollWaitSeconds: 1,
    heartbeatSeconds: 1,
    retryBackoffMs: 20,
    workSource: queueWorkSource(harness.service.responders.queues, { kind: 'host', name: options.name }),
    ...options,
    token,
    stateDir,
    logger,
    signal: controller.signal,
  });
  // Work for a host no responder has registered is refused (409), so a test's work waits for this one's registration.
  const analyst = await harness.analyst();
  await eventually(async () => {
    const listed = await harness.call('GET', '/v1/responders', analyst);
    return (listed.body as { items?: { id: string }[] }).items?.some((item) => item.id === `host/${options.name}`) === true;
  }, 60_000);
  return {
    done,
    logs,
    stop: async () => {
      controller.abort();
      await done.catch(() => undefined);
    },
  };
}

/**
 * A file-quarantine report shaped as responders/host/file-quarantine.ts shapes it (the service
 * refuses any other shape), for a 7-byte file at `path` moved into quarantine by `actionId`.
 */
export function quarantineReport(path: string, actionId: string): { prior: JsonObject; applied: JsonObject; result: JsonObject } {
  const facts = {
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 7,
    nlink: 1,
    inode: '1234',
    device: '2049',
    mtime: '2026-03-01T12:00:00.000Z',
    mtimeNs: '1772366400000000000',
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    linkTarget: null,
  };
  const quarantinedTo = `/var/lib/response-actions/quarantine/${actionId}`;
  return {
    prior: { path, root: '/', container: null, resolvedPath: path, hostPath: path, ...facts, modeOctal: '0644' },
    applied: { path, containerId: null, resolvedPath: path, quarantinePath: quarantinedTo, ...facts, method: 'rename', quarantinedMode: 0 },
    result: {
      path,
      root: '/',
      container: null,
      hostPath: path,
      quarantinedTo,
      type: 'file',
      sha256: facts.sha256,
      size: facts.size,
      method: 'rename',
      quarantinedMode: 0,
      hardLinks: { count: 1, othersRemain: 0 },
      notes: [],
    },
  };
}

/**
 * The test's file-quarantine: appends one line per execution to `<dir>/<actionId>`, so a test
 * can count how often it acted, and records prior/applied like a real containment would.
 */
export function markerAction(dir: string, behaviour: (context: ResponderActionContext) => Promise<void> = () => Promise.resolve()): ResponderAction {
  return {
    type: 'file-quarantine',
    async execute(context): Promise<ResponderOutcome> {
      await mkdir(dir, { recursive: true });
      const report = quarantineReport(String(context.work.inputs['path.absolute']), context.work.actionId);
      await context.recordProgress({ prior: report.prior });
      await appendFile(join(dir, context.work.actionId), `${new Date().toISOString()}\n`);
      await behaviour(context);
      return report;
    },
  };
}

/** How many times the marker action ran for this action id. */
export async function timesActed(dir: string, actionId: string): Promise<number> {
  try {
    return (await readFile(join(dir, actionId), 'utf8')).split('\n').filter((line) => line !== '').length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Waits until `check` holds (polling), for scenarios observed from outside. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
