import { benchBundles } from './bundles.ts';
import { benchCapacity } from './capacity.ts';
import { benchConsole } from './console.ts';
import { benchEvents } from './events.ts';
import { benchFuzz } from './fuzz.ts';
import { benchHistory, printHistory } from './history.ts';
import { benchLocalEndToEnd } from './local-e2e.ts';
import { benchLoad } from './load.ts';
import { benchResponders } from './responders.ts';
import { keepResults } from './results.ts';

/**
 * `npm run bench`: every benchmark of the project; figures printed and kept in .bench/<part>.txt
 * and, all parts together, .bench/results.txt (bench/results.ts: a part run alone replaces its own
 * figures only). `npm run bench -- history e2e load bundles responders events console capacity` runs
 * only the parts named (`fuzz`: the API fuzzer, FUZZ_RUNS per route).
 */
const benchParts: readonly (readonly [string, () => Promise<string[]>])[] = [
  ['e2e', benchLocalEndToEnd],
  ['load', benchLoad],
  ['history', async () => printHistory(await benchHistory())],
  ['bundles', benchBundles],
  ['responders', benchResponders],
  ['events', benchEvents],
  ['console', benchConsole],
  ['fuzz', benchFuzz],
  ['capacity', benchCapacity],
];
const parts = process.argv.slice(2);
const wanted = (name: string): boolean => parts.length === 0 || parts.includes(name);
const header = `response-actions benchmarks, ${new Date().toISOString()}, node ${process.version}`;
console.log(header);
const ran = new Map<string, string[]>();
for (const [name, bench] of benchParts) {
  if (!wanted(name)) continue;
  const lines = await bench();
  for (const line of lines) console.log(line);
  ran.set(name, lines);
}
await keepResults('.bench', header, ran, benchParts.map(([name]) => name));
