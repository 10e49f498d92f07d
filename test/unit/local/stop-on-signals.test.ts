/**
 * stopOnSignals (local/process-lifecycle.ts) in a process of its own, as `npm start` and the
 * sandbox run it: a signal while stopping never cuts the grace short. One Ctrl-C under `npm start`
 * reaches the program twice (the terminal signals the whole group, and npm forwards it), and an
 * earlier version ended at once on a repeat that came a second or more after the first.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const lifecycle = new URL('../../../local/process-lifecycle.ts', import.meta.url).href;

/** A program whose close never finishes: only the grace timer ends it. */
const program = `
const { stopOnSignals } = await import(${JSON.stringify(lifecycle)});
stopOnSignals(() => new Promise(() => undefined));
console.log('ready');
setInterval(() => undefined, 60_000);
`;

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 1200 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!condition()) throw new Error(`waited 60 s for ${what}`);
}

describe('stopOnSignals', () => {
  it('ignores further signals while stopping and stops after the grace, saying actions were left running', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
    try {
      await until(() => output.includes('ready'), 'the program to start');

      child.kill('SIGINT');
      await until(() => output.includes('SIGINT: stopping'), 'the first signal to be taken');
      // A repeat at once (the forwarded copy), and one past the second an earlier version allowed for it.
      child.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      if (child.exitCode === null) child.kill('SIGTERM');

      expect(await exited).toBe(0);
      expect(output).toContain('stopped with actions still running; the next start on this DATA_DIR settles them');
      expect(output).not.toContain('again');
      expect(output.match(/stopping;/g)).toHaveLength(1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
