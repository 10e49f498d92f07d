/** `npm run verify-trail` as a user runs it: scripts/verify-trail.ts in its own process, with only `env` (and PATH, HOME). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('../../../', import.meta.url).pathname;

export interface VerifyTrailRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runVerifyTrail(args: readonly string[], env: Readonly<Record<string, string>>): Promise<VerifyTrailRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules/node/bin/node'), [join(root, 'scripts/verify-trail.ts'), ...args], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}
