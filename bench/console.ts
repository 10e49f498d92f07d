import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startLocalService } from '#local/service.ts';
import { chromiumFlags, chromiumPath, requireChromium } from '#test/support/console-browser.ts';
import { chunksOfManifest, splitFirstLoad, type EmittedChunk, type ViteManifest } from './console-first-load.ts';
import { ms, percentile, timeEach } from './stats.ts';

const run = promisify(execFile);

/** Cold loads measured unless BENCH_CONSOLE_RUNS says otherwise (the runner takes suite names only). */
const defaultRuns = 15;
/** Builds timed; the last one is the build measured and served. */
const buildRuns = 3;
const historyHeading = 'Action history';

/**
 * `npm run bench -- console`: `npm run console:build` into a temporary folder, timed (what
 * `npm start` and `npm run sandbox` pay first); the size of what a first visit loads (raw, gzip,
 * brotli) against lazy chunks and the whole build; then the time Debian's chromium takes to show
 * the sign-in page cold, to show the action history after `Sign in locally`, and to show the
 * sign-in page again on a warm reload. Returns printable lines.
 */
export async function benchConsole(): Promise<string[]> {
  const runs = runsWanted(process.env['BENCH_CONSOLE_RUNS']);
  await requireChromium('The console bench');
  const dir = await mkdtemp(join(tmpdir(), 'bench-console-'));
  try {
    const buildTimes = await timeEach(buildRuns, async () => buildConsole(dir));
    const lines = [
      `console build: \`npm run console:build\` as prestart runs it (npm, node, vite), ${buildRuns} runs: median ${ms(percentile(buildTimes, 50))}, min ${ms(Math.min(...buildTimes))}, max ${ms(Math.max(...buildTimes))}`,
    ];
    const chunks = await chunkGraph(dir);
    lines.push(...(await sizeLines(dir, chunks)));
    lines.push(...(await loadTimeLines(dir, runs)));
    return lines;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runsWanted(setting: string | undefined): number {
  if (setting === undefined || setting === '') return defaultRuns;
  const runs = Number(setting);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_CONSOLE_RUNS must be a whole number of runs from 1, not "${setting}"`);
  return runs;
}

/** `npm run console:build` into `outDir`, with Vite's manifest (the chunk graph) beside it. */
async function buildConsole(outDir: string): Promise<void> {
  await run('npm', ['run', '--silent', 'console:build', '--', '--outDir', outDir, '--emptyOutDir', '--manifest']);
}

/** The build's chunk graph from its manifest, which is then removed: the site never serves it. */
async function chunkGraph(dir: string): Promise<EmittedChunk[]> {
  const manifestDir = join(dir, '.vite');
  const manifest = JSON.parse(await readFile(join(manifestDir, 'manifest.json'), 'utf8')) as ViteManifest;
  await rm(manifestDir, { recursive: true });
  return chunksOfManifest(manifest);
}

interface FileSizes {
  readonly raw: number;
  readonly gzip: number;
  readonly brotli: number;
}

/** Raw, gzip (level 9) and brotli (quality 11) bytes: what a CDN serving precompressed files sends. */
async function sizesOf(path: string): Promise<FileSizes> {
  const content = await readFile(path);
  return {
    raw: content.length,
    gzip: gzipSync(content, { level: 9 }).length,
    brotli: brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

async function sizeLines(dir: string, chunks: readonly EmittedChunk[]): Promise<string[]> {
  const { firstLoad, lazy } = splitFirstLoad(await readFile(join(dir, 'index.html'), 'utf8'), chunks);
  const emitted = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)));
  const missing = [...firstLoad, ...lazy].filter((file) => !emitted.includes(file));
  if (missing.length > 0) throw new Error(`index.html or a chunk refers to files the build did not emit: ${missing.join(', ')}`);
  const sizes = new Map<string, FileSizes>();
  for (const file of emitted) sizes.set(file, await sizesOf(join(dir, file)));
  const total = (files: readonly string[]): FileSizes =>
    files.reduce<FileSizes>(
      (sum, file) => {
        const size = sizes.get(file) ?? { raw: 0, gzip: 0, brotli: 0 };
        return { raw: sum.raw + size.raw, gzip: sum.gzip + size.gzip, brotli: sum.brotli + size.brotli };
      },
      { raw: 0, gzip: 0, brotli: 0 },
    );
  const width = Math.max(24, ...[...firstLoad, ...lazy].map((file) => file.length + 2));
  const row = (name: string, size: FileSizes): string =>
    `  ${name.padEnd(width)}  ${kilobytes(size.raw).padStart(10)}  ${kilobytes(size.gzip).padStart(10)}  ${kilobytes(size.brotli).padStart(10)}`;
  const files = (list: readonly string[]): string[] => list.map((file) => row(`  ${file}`, sizes.get(file) ?? { raw: 0, gzip: 0, brotli: 0 }));
  return [
    `console bundle: the last of those builds (raw, gzip -9, brotli q11; kB = 1024 bytes; npm start serves it uncompressed)`,
    `  ${'file'.padEnd(width)}  ${'raw'.padStart(10)}  ${'gzip'.padStart(10)}  ${'brotli'.padStart(10)}`,
    row(`first load (${firstLoad.length} files)`, total(firstLoad)),
    ...files(firstLoad),
    row(`lazy chunks (${lazy.length} files)`, total(lazy)),
    ...files(lazy),
    row(`all emitted (${emitted.length} files)`, total(emitted)),
  ];
}

/** One cold run's figures (ms); a figure the browser did not report is NaN. */
interface LoadFigures {
  readonly coldShell: number;
  readonly buttonInDom: number;
  readonly domContentLoaded: number;
  readonly loadEventEnd: number;
  readonly largestContentfulPaint: number;
  readonly signInToHistory: number;
  readonly warmShell: number;
  readonly warmButtonInDom: number;
  readonly warmDomContentLoaded: number;
  readonly warmLoadEventEnd: number;
}

const measures: readonly [keyof LoadFigures, string][] = [
  ['coldShell', 'cold: goto /actions → `Sign in locally` visible (wall)'],
  ['buttonInDom', 'cold: `Sign in locally` in the DOM (page clock)'],
  ['domContentLoaded', 'cold: navigation domContentLoadedEventEnd'],
  ['loadEventEnd', 'cold: navigation loadEventEnd'],
  ['largestContentfulPaint', 'cold: largest-contentful-paint'],
  ['signInToHistory', 'click `Sign in locally` → history h1 visible (wall)'],
  ['warmShell', 'warm: goto /actions again → `Sign in locally` (wall)'],
  ['warmButtonInDom', 'warm: `Sign in locally` in the DOM (page clock)'],
  ['warmDomContentLoaded', 'warm: navigation domContentLoadedEventEnd'],
  ['warmLoadEventEnd', 'warm: navigation loadEventEnd'],
];

// Run in the page, as strings: this project is compiled without the DOM's types.
const watchLargestContentfulPaint =
  "new PerformanceObserver((list) => { for (const entry of list.getEntries()) globalThis.__benchLcp = entry.startTime; }).observe({ type: 'largest-contentful-paint', buffered: true });";
// When the button first exists, on the page's clock (from navigation start): the wall clock also holds Playwright's round trips.
const watchSignInButton =
  "new MutationObserver((_, observer) => { if ([...document.querySelectorAll('button')].some((button) => button.textContent.trim() === 'Sign in locally')) { globalThis.__benchButton = performance.now(); observer.disconnect(); } }).observe(document, { childList: true, subtree: true });";
const readNavigationTiming =
  "(() => { const entry = performance.getEntriesByType('navigation')[0]; return entry === undefined ? [] : [entry.domContentLoadedEventEnd, entry.loadEventEnd, globalThis.__benchLcp ?? NaN, globalThis.__benchButton ?? NaN]; })()";

async function loadTimeLines(dir: string, runs: number): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-console-data-'));
  const loadBefore = loadavg();
  const service = await startLocalService({ dataDir, port: 0, env: {}, hostResponder: false, console: { dir } });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumFlags] });
    const problems: string[] = [];
    const figures: LoadFigures[] = [];
    for (let run = 0; run < runs; run += 1) figures.push(await loadOnce(browser, service.url, problems));
    const loadAfter = loadavg();
    const width = Math.max(...measures.map(([, label]) => label.length));
    return [
      `console first load: chromium ${browser.version()} headless, 1280×720, npm start's service on loopback; ${runs} runs, each in a fresh browser context (cold cache), one browser`,
      `  machine: ${availableParallelism()} CPUs, load average ${formatLoad(loadBefore)} before, ${formatLoad(loadAfter)} after (1, 5, 15 min)`,
      `  ${'measure'.padEnd(width)}  ${'median'.padStart(10)}  ${'p90'.padStart(10)}  ${'min'.padStart(10)}  ${'max'.padStart(10)}`,
      ...measures.map(([key, label]) => {
        const samples = figures.map((figure) => figure[key]).filter((value) => Number.isFinite(value));
        if (samples.length === 0) return `  ${label.padEnd(width)}  not reported by this browser`;
        const cells = [percentile(samples, 50), percentile(samples, 90), Math.min(...samples), Math.max(...samples)].map((value) => ms(value).padStart(10));
        return `  ${label.padEnd(width)}  ${cells.join('  ')}${samples.length < figures.length ? `  (${samples.length} of ${figures.length} runs)` : ''}`;
      }),
      problems.length === 0 ? '  no console errors, page errors or CSP violations' : `  ${problems.length} problems in the pages: ${[...new Set(problems)].join('; ')}`,
    ];
  } finally {
    await browser?.close();
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** One cold visit, sign-in and warm reload in a new browser context; console errors go to `problems`. */
async function loadOnce(browser: Browser, url: string, problems: string[]): Promise<LoadFigures> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => {
      problems.push(`page error: ${error.message}`);
    });
    await page.addInitScript(watchLargestContentfulPaint);
    await page.addInitScript(watchSignInButton);
    await page.addInitScript("document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective));");
    const signInButton = page.getByRole('button', { name: 'Sign in locally' });

    const coldShell = await elapsed(async () => {
      await page.goto(`${url}/actions`, { waitUntil: 'commit' });
      await signInButton.waitFor({ state: 'visible' });
    });
    const [domContentLoaded, loadEventEnd, largestContentfulPaint, buttonInDom] = await navigationTiming(page);

    const signInToHistory = await elapsed(async () => {
      await signInButton.click();
      await page.waitForURL((address) => address.pathname === '/actions');
      await page.getByRole('heading', { level: 1, name: historyHeading }).waitFor({ state: 'visible' });
    });

    // The session lives in memory, so a reload shows the sign-in page again, now from the cache.
    const warmShell = await elapsed(async () => {
      await page.goto(`${url}/actions`, { waitUntil: 'commit' });
      await signInButton.waitFor({ state: 'visible' });
    });
    const [warmDomContentLoaded, warmLoadEventEnd, , warmButtonInDom] = await navigationTiming(page);
    return { coldShell, buttonInDom, domContentLoaded, loadEventEnd, largestContentfulPaint, signInToHistory, warmShell, warmButtonInDom, warmDomContentLoaded, warmLoadEventEnd };
  } finally {
    await context.close();
  }
}

async function elapsed(step: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await step();
  return performance.now() - start;
}

/** domContentLoadedEventEnd, loadEventEnd, the latest largest-contentful-paint and the button's appearance (ms since navigation start), once the load event has run. */
async function navigationTiming(page: Page): Promise<[number, number, number, number]> {
  await page.waitForLoadState('load');
  const reported: unknown = await page.evaluate(readNavigationTiming);
  const numbers = Array.isArray(reported) ? reported.map((value) => (typeof value === 'number' && value > 0 ? value : Number.NaN)) : [];
  return [numbers[0] ?? Number.NaN, numbers[1] ?? Number.NaN, numbers[2] ?? Number.NaN, numbers[3] ?? Number.NaN];
}

function formatLoad(averages: readonly number[]): string {
  return averages.map((value) => value.toFixed(2)).join(' ');
}

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}
