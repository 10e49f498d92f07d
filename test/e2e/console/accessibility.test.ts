/**
 * Usable at 2 AM (issue 14): every main view at 1280×720 in light and dark mode passes axe-core's
 * WCAG 2 A/AA rules (labels, names, contrast, landmarks), nothing overflows sideways, and sign-in
 * works from the keyboard alone. axe-core runs inside the real page (Debian's chromium); it is
 * evaluated through the DevTools protocol, so the page's own CSP stays as served.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsolePage, saveScreenshot, signInLocally, startConsoleService, type ConsoleService } from './browser.ts';

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

let browser: Browser;
let app: ConsoleService;
let axeSource: string;
let actionId: string;

beforeAll(async () => {
  axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  browser = await launchChromium();
  app = await startConsoleService();
  // A quarantine and its record, so the history, the action page and the resource page show data.
  const token = await app.service.issuer.issue({ sub: 'analyst-0', scopes: ['containment-response-actions.exec'] });
  const created = await fetch(`${app.service.url}/v1/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': app.demo.userArn }, reason: 'accessibility test' }),
  });
  if (created.status !== 202) throw new Error(`the quarantine was not accepted: ${created.status} ${await created.text()}`);
  actionId = ((await created.json()) as { id: string }).id;
});
afterAll(async () => {
  await browser.close();
  await app.close();
});

/** axe-core's WCAG 2 A and AA violations on the page as it is now, one line each. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(
    "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))",
  );
  return violations.map((violation) => `${violation.id} (${violation.impact ?? 'n/a'}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/** How far the page is wider than the window (0: no sideways scrolling). */
function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}

const views = (): { path: string; name: string }[] => [
  { path: '/actions', name: 'action-history' },
  { path: `/actions/${actionId}`, name: 'action' },
  { path: `/resources/${encodeURIComponent(app.demo.userArn)}`, name: 'resource-history' },
  { path: '/run', name: 'run-form' },
  { path: '/playbooks', name: 'playbooks' },
  { path: '/playbook-runs', name: 'playbook-runs' },
  { path: '/approvals', name: 'approvals' },
  { path: '/events', name: 'events' },
  { path: '/responders', name: 'responders' },
];

describe('the console at 1280×720', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no WCAG 2 A/AA violation and no sideways overflow on any main view (${colorScheme})`, async () => {
      // Prepare
      const { page, problems, close } = await openConsolePage(browser, { colorScheme });
      await page.goto(`${app.service.url}/sign-in`);
      const found: Record<string, string[]> = { 'sign-in': await axeViolations(page) };
      const overflow: Record<string, number> = { 'sign-in': await sidewaysOverflow(page) };
      await signInLocally(page);

      // Act
      for (const view of views()) {
        // In-app navigation keeps the in-memory session (a full page load would sign out).
        await page.evaluate(`window.history.pushState({}, '', ${JSON.stringify(view.path)}); window.dispatchEvent(new PopStateEvent('popstate'))`);
        await page.locator('h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        found[view.path] = await axeViolations(page);
        overflow[view.path] = await sidewaysOverflow(page);
        if (colorScheme === 'dark') await saveScreenshot(page, `${view.name}-dark`);
      }

      // Assess
      expect(found).toEqual(Object.fromEntries(Object.keys(found).map((key) => [key, []])));
      expect(overflow).toEqual(Object.fromEntries(Object.keys(overflow).map((key) => [key, 0])));
      expect(problems).toEqual([]);
      await close();
    });
  }

  it('signs in and reaches the navigation from the keyboard alone', async () => {
    // Prepare
    const { page, problems, close } = await openConsolePage(browser);
    await page.goto(`${app.service.url}/sign-in`);
    await page.getByRole('button', { name: 'Sign in locally' }).waitFor();

    // Act: Tab until the button has focus, then Enter
    let reached = false;
    for (let presses = 0; presses < 20 && !reached; presses += 1) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate<boolean>("document.activeElement?.textContent?.trim() === 'Sign in locally'");
    }
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/actions');
    let onRunLink = false;
    for (let presses = 0; presses < 40 && !onRunLink; presses += 1) {
      await page.keyboard.press('Tab');
      onRunLink = await page.evaluate<boolean>("document.activeElement?.textContent?.trim() === 'Run an action'");
    }
    await page.keyboard.press('Enter');

    // Assess
    expect(reached).toBe(true);
    expect(onRunLink).toBe(true);
    await page.waitForURL((url) => url.pathname === '/run');
    await page.locator('h1').first().waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it('remembers the dark-mode choice across a page load, against the system\'s light scheme', async () => {
    // Prepare
    const { page, problems, close } = await openConsolePage(browser, { colorScheme: 'light' });
    await page.goto(`${app.service.url}/actions`);
    await signInLocally(page);
    const modeOf = (): Promise<string | undefined> => page.evaluate<string | undefined>('document.documentElement.dataset.colourMode');
    // The shell sets the mode once it has rendered: its mode button is the sign it has.
    await page.getByRole('button', { name: 'Switch to dark mode' }).waitFor();
    const before = await modeOf();

    // Act: choose dark, then load the page afresh (which signs out: the session is in memory only)
    await page.getByRole('button', { name: 'Switch to dark mode' }).click();
    await page.reload();
    await signInLocally(page);
    await page.getByRole('button', { name: 'Switch to light mode' }).waitFor();

    // Assess
    expect(before).toBe('light');
    expect(await modeOf()).toBe('dark');
    expect(problems).toEqual([]);
    await close();
  });
});
