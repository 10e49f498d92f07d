import { mkdir, writeFile } from 'node:fs/promises';
import { benchHistory, printHistory } from './history.ts';

/** `npm run bench`: every benchmark of the project; figures printed and kept in .bench/results.txt. */
const lines: string[] = [`response-actions benchmarks, ${new Date().toISOString()}, node ${process.version}`];
console.log(lines[0]);
const history = printHistory(await benchHistory());
for (const line of history) console.log(line);
lines.push(...history);
await mkdir('.bench', { recursive: true });
await writeFile('.bench/results.txt', `${lines.join('\n')}\n`);
