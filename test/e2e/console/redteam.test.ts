/**
 * An attacker's links into the console: a sign-in address whose `returnTo` is another site,
 * spelled the ways a browser's URL parser reads as `//evil` (a tab or newline dropped, `\` for `/`).
 * After `Sign in locally` the person must land on this console's own pages, signed in.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsolePage, startConsoleService, type ConsoleService } from './browser.ts';

let browser: Browser;
let app: ConsoleService;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startConsoleService();
});
afterAll(async () => {
  await browser.close();
  await app.close();
});

describe('returnTo from a link someone else wrote', () => {
  it.each([['/\t/evil.example/'], ['/\n/evil.example/'], ['/\\evil.example/'], ['//evil.example/'], ['javascript:alert(1)'], ['/Sign-In?returnTo=/actions']])(
    'signs in and stays on this console for returnTo=%j',
    async (returnTo) => {
      // Prepare
      const { page, problems, close } = await openConsolePage(browser);
      const requestedHosts = new Set<string>();
      page.on('request', (request) => {
        requestedHosts.add(new URL(request.url()).host);
      });
      await page.goto(`${app.service.url}/sign-in?returnTo=${encodeURIComponent(returnTo)}`);

      // Act
      await page.getByRole('button', { name: 'Sign in locally' }).click();

      // Assess
      await page.getByRole('heading', { name: 'Action history', level: 1 }).waitFor();
      expect(new URL(page.url()).origin).toBe(app.service.url);
      expect(new URL(page.url()).pathname).toBe('/actions');
      expect([...requestedHosts]).toEqual([new URL(app.service.url).host]);
      expect(problems).toEqual([]);
      await close();
    },
  );
});
