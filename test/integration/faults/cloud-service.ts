/**
 * `npm start`'s program as a child process with AWS_ENDPOINT_URL at a fault proxy in front of
 * moto_server, for the fault tests of cloud actions: start it, post an action, wait for the
 * action to settle, SIGKILL it (the proxy does, as fault injection) and start it again on the same
 * DATA_DIR.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ActionRecord } from '#shared/history/record.ts';
import { startLocalMain, type LocalMainProcess } from '#test/support/local-main-process.ts';
import { motoAccountId } from '#test/support/moto-iam.ts';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;

export const faultsExternalId = 'faults-external-id';

export interface CloudService {
  readonly main: LocalMainProcess;
  readonly bearer: string;
  post(path: string, body: unknown): Promise<{ status: number; record: ActionRecord }>;
  get(id: string): Promise<ActionRecord>;
  /** Polls the record until `done` says so; fails naming the status it stayed in after `boundMs`. */
  until(id: string, done: (record: ActionRecord) => boolean, boundMs?: number): Promise<ActionRecord>;
  /** Resolves with the exit signal once the process has exited. */
  exited(): Promise<NodeJS.Signals | null>;
}

export function settled(record: ActionRecord): boolean {
  return record.status === 'Completed' || record.status === 'Error';
}

/** A token from the local issuer of `dataDir`, as `npm run token` prints it. */
export async function tokenFor(dataDir: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['scripts/token.ts', 'containment-response-actions.exec', 'data-gathering-response-actions.exec'], {
    cwd: root,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], DATA_DIR: dataDir },
  });
  return stdout.trim();
}

/** Starts `npm start`'s program on `dataDir` with every AWS call going to `endpoint`. */
export async function startCloudService(dataDir: string, endpoint: string, bearer?: string): Promise<CloudService> {
  const main = await startLocalMain({ dataDir, moto: endpoint, targetAccount: motoAccountId, externalId: faultsExternalId, startMs: 90_000 });
  const token = bearer ?? (await tokenFor(dataDir));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const get = async (id: string): Promise<ActionRecord> => (await (await fetch(`${main.url}/v1/actions/${id}`, { headers })).json()) as ActionRecord;
  const exit = new Promise<NodeJS.Signals | null>((resolve) => {
    if (main.process.exitCode !== null || main.process.signalCode !== null) resolve(main.process.signalCode);
    else main.process.once('exit', (_code, signal) => { resolve(signal); });
  });
  return {
    main,
    bearer: token,
    post: async (path, body) => {
      const response = await fetch(`${main.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: response.status, record: (await response.json()) as ActionRecord };
    },
    get,
    until: async (id, done, boundMs = 90_000) => {
      const deadline = Date.now() + boundMs;
      for (;;) {
        const record = await get(id);
        if (done(record)) return record;
        if (Date.now() > deadline) throw new Error(`action ${id} stayed ${record.status} for ${String(boundMs)} ms: ${JSON.stringify(record.error)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    exited: () => exit,
  };
}
