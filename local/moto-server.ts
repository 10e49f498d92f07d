import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** The sentence the README and a failing run both say (tests and `npm run sandbox`). */
export const motoMissingMessage = 'The tests need moto_server (pip install "moto[server]").';

export interface MotoServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts moto_server on a free loopback port with AWS managed policies loaded (so AWSDenyAll
 * exists). Fails, never skips, when moto_server is not installed.
 */
export async function startMotoServer(): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => {
      reject(new Error(`${motoMissingMessage} (${error.message})`));
    });
    child.once('exit', (code) => {
      reject(new Error(`${motoMissingMessage} moto_server exited with code ${String(code)}: ${output.trim()}`));
    });
  });
  exited.catch(() => undefined);
  await Promise.race([waitUntilServing(endpoint, 60_000), exited]);
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
    if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
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
