/**
 * What the console's browser tests and `npm run bench -- console` share: Debian's chromium, the
 * flags it runs with, where the built console is, and the checks that turn a missing one into a
 * sentence naming it. No vitest here: the bench imports it outside any test run.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's chromium (`apt-get install chromium fonts-liberation`; `.ci/run` installs both). */
export const chromiumPath = '/usr/bin/chromium';
/** The flags the issue names, plus the ones that keep it off the (closed) network. */
export const chromiumFlags: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
/** The built console: console/dist, or CONSOLE_DIST (a build of one's own, so parallel builds never share a folder). */
export const consoleDist = process.env['CONSOLE_DIST'] === undefined ? fileURLToPath(new URL('../../console/dist/', import.meta.url)) : `${process.env['CONSOLE_DIST'].replace(/\/$/, '')}/`;

/** Throws, naming chromium and how to install it, when `path` (default {@link chromiumPath}) is not there; `who` starts the sentence. */
export async function requireChromium(who: string, path: string = chromiumPath): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new Error(`${who} need Debian's chromium at ${path}: install it with \`apt-get install chromium fonts-liberation\` (.ci/run does).`);
  }
}

/** Throws, saying how to build it, when `dir` (default {@link consoleDist}) has no index.html. */
export async function requireConsoleBuild(dir: string = consoleDist): Promise<void> {
  try {
    await access(join(dir, 'index.html'));
  } catch {
    throw new Error(`The console is not built (${join(dir, 'index.html')} is missing): run \`npm run console:build\` (npm test does it first).`);
  }
}
