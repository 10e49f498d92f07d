import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireChromium, requireConsoleBuild } from '../../support/console-browser.ts';

describe('the console browser checks', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(async (dir) => rm(dir, { recursive: true, force: true })));
  });

  it('fails with a sentence naming chromium and its install command when the browser is missing', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'console-browser-'));
    dirs.push(dir);

    // Act
    const checked = requireChromium('The console tests', join(dir, 'chromium'));

    // Assess
    await expect(checked).rejects.toThrow(`The console tests need Debian's chromium at ${join(dir, 'chromium')}: install it with \`apt-get install chromium fonts-liberation\``);
  });

  it('passes when the browser is there', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'console-browser-'));
    dirs.push(dir);
    await writeFile(join(dir, 'chromium'), '');

    // Act
    const checked = requireChromium('The console tests', join(dir, 'chromium'));

    // Assess
    await expect(checked).resolves.toBeUndefined();
  });

  it('fails with a sentence naming npm run console:build when the build has no index.html, and passes once it has', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'console-dist-'));
    dirs.push(dir);

    // Act
    const unbuilt = requireConsoleBuild(dir);

    // Assess
    await expect(unbuilt).rejects.toThrow('The console is not built');
    await expect(requireConsoleBuild(dir)).rejects.toThrow('run `npm run console:build`');
    await writeFile(join(dir, 'index.html'), '<!doctype html>');
    await expect(requireConsoleBuild(dir)).resolves.toBeUndefined();
  });
});
