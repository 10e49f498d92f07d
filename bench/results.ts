import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Keeps the figures of every benchmark part: each part run now is written to `<dir>/<part>.txt`
 * (its own header line first, so it says when it ran), and `<dir>/results.txt` is every part's
 * file there, in `order`. Running one part (`npm run bench -- capacity`) replaces that part's
 * figures and keeps the others', which docs quote by the command that printed them.
 */
export async function keepResults(dir: string, header: string, ran: ReadonlyMap<string, readonly string[]>, order: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [part, lines] of ran) await writeFile(join(dir, `${part}.txt`), [header, ...lines, ''].join('\n'));
  const kept: string[] = [];
  for (const part of order) {
    try {
      kept.push(await readFile(join(dir, `${part}.txt`), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  await writeFile(join(dir, 'results.txt'), kept.join(''));
}
