import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** The sentence the README and a failing run both say (tests and `npm run sandbox`). */
export const motoMissingMessage = 'The tests need moto_server (pip install "moto[server]").';

/** moto_server could not be started: not installed, exited at once, or never answered. */
export class MotoUnavailableError extends Error {
  override readonly name = 'MotoUnavailableError';
  readonly reason: 'missing' | 'exited' | 'silent';

  constructor(reason: 'missing' | 'exited' | 'silent', message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface MotoServer {
  readonly endpoint: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface MotoServerOptions {
  /**
   * Its own process group, so a terminal's Ctrl-C (sent to the whole foreground group) reaches only
   * the program that started it, which stops the service first and moto_server after it. Out of
   * the group's reach, it is sent SIGTERM when this process exits, however it exits (short of
   * SIGKILL), from the moment it is spawned: also while it is still starting.
   */
  readonly ownProcessGroup?: boolean;
}

/**
 * Starts moto_server on a free loopback port with AWS managed policies loaded (so AWSDenyAll
 * exists). Fails, never skips, when moto_server is not installed.
 */
export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup === true,
  });
  if (options.ownProcessGroup === true) {
    const stopNow = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
    process.on('exit', stopNow);
    child.once('exit', () => process.off('exit', stopNow));
  }
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => {
      reject(new MotoUnavailableError('missing', `${motoMissingMessage} (${error.message})`));
    });
    child.once('exit', (code) => {
      reject(new MotoUnavailableError('exited', `${motoMissingMessage} moto_server exited with code ${String(code)}: ${output.trim()}`));
    });
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([waitUntilServing(endpoint, 60_000), exited]);
  } catch (error) {
    // Started but not serving (or serving something else): it must not outlive this failure.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
  return { endpoint, stop: () => stopProcess(child) };
}

async function waitUntilServing(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new MotoUnavailableError('silent', `moto_server did not answer on ${endpoint} within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
