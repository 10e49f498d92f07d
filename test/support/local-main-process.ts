import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** `npm start`'s program (local/main.ts) running as its own process. */
export interface LocalMainProcess {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  readonly output: () => string;
  /** SIGTERM, then its exit code once it has exited. */
  readonly stop: () => Promise<number | null>;
}

/**
 * Starts `npm start`'s program as the README tells a newcomer to run it, against moto_server,
 * with only PATH and HOME of this process's environment, and waits for its `listening on` line.
 */
export async function startLocalMain(options: {
  readonly dataDir: string;
  readonly moto: string;
  readonly targetAccount: string;
  readonly externalId: string;
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for it to listen; 30 s unless given. */
  readonly startMs?: number;
}): Promise<LocalMainProcess> {
  const child = spawn(process.execPath, ['local/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      PORT: '0',
      DATA_DIR: options.dataDir,
      AWS_ENDPOINT_URL: options.moto,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      TARGET_ACCOUNTS: options.targetAccount,
      MEMBER_ROLE_EXTERNAL_ID: options.externalId,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = (): Promise<number | null> => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
    child.kill('SIGTERM');
    return exited;
  };
  const deadline = Date.now() + (options.startMs ?? 30_000);
  for (;;) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match?.[1] !== undefined) return { url: match[1], process: child, output: () => output, stop };
    if (child.exitCode !== null) throw new Error(`npm start's program exited: ${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm start's program did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
