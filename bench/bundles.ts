import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { buildServiceFunctionBundle, bundleMeasures } from '#infra/bundling/build-service-function-bundle.ts';
import { serviceFunctionEntries } from '#infra/stacks/service-stack.ts';

const run = promisify(execFile);

/** The budget every deployed function's bundle must stay within. */
export const bundleBudget = { bytes: 1024 * 1024, coldImportMs: 300 } as const;

/** Fresh processes per bundle; the median is reported. */
const importRuns = 5;

/** One function's bundle figures. */
export interface BundleFigures {
  readonly id: string;
  readonly entry: string;
  readonly bytes: number;
  readonly coldImportMs: number;
}

/**
 * Bundles `entry` with the function a ServiceFunction deploys (`buildServiceFunctionBundle`) and measures it: the size of `index.mjs` and
 * the time `import()` of it takes in a fresh `node` (with `--enable-source-maps`, as the functions
 * run), median of five processes.
 */
export async function measureBundle(id: string, entry: string): Promise<BundleFigures> {
  const outdir = await mkdtemp(join(tmpdir(), 'bench-bundle-'));
  try {
    const outfile = await buildServiceFunctionBundle(entry, outdir);
    const { size } = await stat(outfile);
    const samples: number[] = [];
    for (let attempt = 0; attempt < importRuns; attempt += 1) samples.push(await coldImportMs(outfile));
    return { id, entry, bytes: size, coldImportMs: median(samples) };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench` part: every function the service stack deploys (all API routes, mark-status,
 * every cloud action family), bundled as a ServiceFunction deploys it, against the budget of
 * less than 1 MB and less than 300 ms cold import. Returns printable lines.
 */
export async function benchBundles(): Promise<string[]> {
  const figures: BundleFigures[] = [];
  for (const { id, entry } of serviceFunctionEntries()) figures.push(await measureBundle(id, entry));
  const idWidth = Math.max(...figures.map((figure) => figure.id.length));
  const entryWidth = Math.max(...figures.map((figure) => figure.entry.length));
  const lines = [
    `bundles: buildServiceFunctionBundle, as ServiceFunction deploys; budget < ${bundleBudget.bytes / 1024 / 1024} MB and < ${bundleBudget.coldImportMs} ms cold import (node ${process.version}, median of ${importRuns} fresh processes)`,
    ...figures.map((figure) => {
      const withinBudget = figure.bytes < bundleBudget.bytes && figure.coldImportMs < bundleBudget.coldImportMs;
      return `  ${figure.id.padEnd(idWidth)}  ${figure.entry.padEnd(entryWidth)}  ${kilobytes(figure.bytes).padStart(10)}  ${`${figure.coldImportMs.toFixed(1)} ms`.padStart(9)}  ${withinBudget ? 'ok' : 'OVER BUDGET'}`;
    }),
  ];
  const over = figures.filter((figure) => figure.bytes >= bundleBudget.bytes || figure.coldImportMs >= bundleBudget.coldImportMs);
  lines.push(over.length === 0 ? `  all ${figures.length} bundles within budget` : `  ${over.length} of ${figures.length} bundles over budget: ${over.map((figure) => figure.id).join(', ')}`);
  lines.push(...(await measureSavings(figures.filter((figure) => savingsShownFor.includes(figure.id)))));
  return lines;
}

/** The functions whose bundles are built once more without each measure: the largest SDK client, and a small one. */
const savingsShownFor: readonly string[] = ['Ec2Steps', 'IamSteps'];

/** What each size measure of `buildServiceFunctionBundle` saves: the bundle built without it, less the bundle as deployed. */
async function measureSavings(deployed: readonly BundleFigures[]): Promise<string[]> {
  const lines = ['bundle measures: bytes each one saves (the bundle built without it, less as deployed)'];
  for (const figure of deployed) {
    const savings: string[] = [];
    for (const measure of bundleMeasures) {
      const outdir = await mkdtemp(join(tmpdir(), 'bench-bundle-'));
      try {
        const { size } = await stat(await buildServiceFunctionBundle(figure.entry, outdir, [measure]));
        savings.push(`${measure} ${kilobytes(size - figure.bytes)}`);
      } finally {
        await rm(outdir, { recursive: true, force: true });
      }
    }
    lines.push(`  ${figure.id}: ${savings.join(', ')}`);
  }
  return lines;
}

/** Milliseconds one `import()` of the bundle takes in a new node process (its start-up excluded). */
async function coldImportMs(bundle: string): Promise<number> {
  const script = `const start = performance.now(); await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(performance.now() - start);`;
  const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '--eval', script], {
    cwd: tmpdir(),
    env: { PATH: process.env['PATH'] ?? '' },
  });
  const elapsed = Number(stdout.trim().split('\n').at(-1));
  if (!Number.isFinite(elapsed)) throw new Error(`could not time the import of ${bundle}: ${stdout}`);
  return elapsed;
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}
