import { mkdir, writeFile } from 'node:fs/promises';
import { benchBundles } from './bundles.ts';
import { benchCapacity } from './capacity.ts';
import { benchConsole } from './console.ts';
import { benchEvents } from './events.ts';
import { benchFuzz } from './fuzz.ts';
import { benchHistory, printHistory } from './history.ts';
import { benchLocalEndToEnd } from './local-e2e.ts';
import { benchLoad } from './load.ts';
import { benchResponders } from './responders.ts';

/**
 * `npm run bench`: every benchmark of the project; figures printed and kept in
 * .bench/results.txt. `npm run bench -- history e2e load bundles responders events console capacity` runs only the parts named (`fuzz`: the API fuzzer, FUZZ_RUNS per route).
 */
const parts = process.argv.slice(2);
const wanted = (name: string): boolean => parts.length === 0 || parts.includes(name);
const lines: string[] = [`response-actions benchmarks, ${new Date().toISOString()}, node ${process.version}`];
const print = (more: string[]): void => {
  for (const line of more) console.log(line);
  lines.push(...more);
};
console.log(lines[0]);
if (wanted('e2e')) print(await benchLocalEndToEnd());
if (wanted('load')) print(await benchLoad());
if (wanted('history')) print(printHistory(await benchHistory()));
if (wanted('bundles')) print(await benchBundles());
if (wanted('responders')) print(await benchResponders());
if (wanted('events')) print(await benchEvents());
if (wanted('console')) print(await benchConsole());
if (wanted('fuzz')) print(await benchFuzz());
if (wanted('capacity')) print(await benchCapacity());
await mkdir('.bench', { recursive: true });
await writeFile('.bench/results.txt', `${lines.join('\n')}\n`);
