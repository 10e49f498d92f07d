/**
 * The console's action views in a real browser (Debian's chromium) against `npm start`'s service
 * and moto_server: the fleet-wide history filtered through the page (the URL holds the filter),
 * an action's page with its status as text and its prior and applied state, an undo confirmed
 * from the service's plan that puts the IAM user back as it was, a reader who sees `Undo`
 * disabled with the reason, a re-execution confirmed from its plan, the history paged by the
 * service's cursors, and one resource's history.
 */
import { IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsolePage, saveScreenshot, signInLocally, startConsoleService, type ConsoleService } from './browser.ts';

interface ActionRecord {
  readonly id: string;
  readonly type: string;
  readonly status: string;
  readonly undoOf: string | null;
  readonly reexecuteOf: string | null;
}

const containment = ['containment-response-actions.exec', 'containment-response-actions.read'];
const readers = ['containment-response-actions.read', 'data-gathering-response-actions.read'];
// The status poll is every 5 s; a cloud action on moto ends within a few polls.
const statusTimeout = 30_000;

let browser: Browser;
let app: ConsoleService;
let token: string;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startConsoleService();
  token = await app.service.issuer.issue({ sub: 'someone', scopes: containment });
});
afterAll(async () => {
  await browser.close();
  await app.close();
});

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${app.service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Quarantines `arn` through the HTTP API and waits (polling the API) until the action has ended. */
async function quarantined(arn: string): Promise<ActionRecord> {
  const created = await api<ActionRecord>('POST', '/v1/actions', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': arn }, reason: 'console test' });
  for (let attempt = 0; attempt < 120; attempt += 1) {
    const record = await api<ActionRecord>('GET', `/v1/actions/${created.id}`);
    if (record.status === 'Completed' || record.status === 'Error') return record;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`iam-quarantine ${created.id} did not end`);
}

async function attachedPolicies(userName: string): Promise<string[]> {
  const iam = new IAMClient({ endpoint: app.moto, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const answer = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
  return (answer.AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '').sort();
}

/** The text of the action page's status (API.md: shown as a word). */
async function waitForStatus(page: Page, status: string): Promise<void> {
  await page.getByRole('status', { name: 'Action status' }).getByText(status, { exact: true }).waitFor({ timeout: statusTimeout });
}

describe('the action views', () => {
  it('filters the fleet history by type in the URL, shows the action, and undoes it from its plan', async () => {
    // Prepare
    const userName = app.demo.userArn.slice(app.demo.userArn.lastIndexOf('/') + 1);
    const before = await attachedPolicies(userName);
    const action = await quarantined(app.demo.userArn);
    expect(action.status).toBe('Completed');
    expect(await attachedPolicies(userName)).toContain('arn:aws:iam::aws:policy/AWSDenyAll');
    const { page, problems, close } = await openConsolePage(browser);

    // Act: the history, filtered by type through the page
    await page.goto(`${app.service.url}/actions`);
    await signInLocally(page, { sub: 'analyst-1' });
    const open = page.getByRole('link', { name: `Open iam-quarantine action ${action.id}` });
    await open.waitFor();
    await saveScreenshot(page, 'action-history');
    await page.getByRole('button', { name: /^Type/ }).click();
    await page.getByRole('option', { name: /^iam-quarantine\b/ }).first().click();
    await page.waitForURL((url) => url.searchParams.get('type') === 'iam-quarantine');
    await open.waitFor();

    // Assess
    expect(new URL(page.url()).searchParams.get('type')).toBe('iam-quarantine');

    // Act: the action's page
    await open.click();
    await page.waitForURL(`**/actions/${action.id}`);
    await waitForStatus(page, 'Completed');
    await page.getByLabel('Applied changes').waitFor();
    await saveScreenshot(page, 'action');

    // Assess
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('iam-quarantine');
    expect(await page.getByLabel('Prior state').textContent()).toContain(userName);
    expect(await page.getByLabel('Applied changes').textContent()).toContain('AWSDenyAll');

    // Act: Undo, confirmed from the plan
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const change = dialog.getByRole('table', { name: 'Planned changes' }).getByRole('row').filter({ hasText: 'AWSDenyAll' });
    await change.waitFor();
    await saveScreenshot(page, 'undo-confirm');
    const planned = (await change.textContent()) ?? '';
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/actions/') && url.pathname !== `/actions/${action.id}`);
    // The address changes before the router renders the new page (a transition): wait for the undo's own heading.
    await page.getByRole('heading', { name: 'iam-unquarantine', level: 1 }).waitFor();
    await waitForStatus(page, 'Completed');

    // Assess
    expect(planned).toMatch(/Detach/i);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('iam-unquarantine');
    const undoId = decodeURIComponent(new URL(page.url()).pathname.slice('/actions/'.length));
    const undo = await api<ActionRecord>('GET', `/v1/actions/${undoId}`);
    expect(undo).toMatchObject({ type: 'iam-unquarantine', status: 'Completed', undoOf: action.id });
    expect(await attachedPolicies(userName)).toEqual(before);
    expect(problems).toEqual([]);
    await close();
  }, 60_000);

  it('shows a reader Undo disabled, with the scope it needs', async () => {
    // Prepare
    const action = await quarantined(app.demo.roleArn);
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await page.goto(`${app.service.url}/actions/${action.id}`);
    await signInLocally(page, { sub: 'reader-1', scopes: readers });
    await waitForStatus(page, 'Completed');
    const undo = page.getByRole('button', { name: 'Undo', exact: true });
    // The reason shows on hover and on keyboard focus (Cloudscape's tooltip, drawn in a layer of its own).
    await undo.hover();
    const tooltip = page.getByRole('tooltip').filter({ hasText: 'Needs the' });
    await tooltip.waitFor({ state: 'attached' });
    const describedBy = (await undo.getAttribute('aria-describedby')) ?? '';
    const description = describedBy === '' ? '' : ((await page.locator(`[id="${describedBy}"]`).textContent()) ?? '');

    // Assess
    expect(await undo.getAttribute('aria-disabled')).toBe('true');
    expect(await tooltip.textContent()).toContain('Needs the containment-response-actions.exec scope');
    expect(description).toContain('Needs the containment-response-actions.exec scope');
    expect(await page.getByRole('button', { name: 'Re-execute', exact: true }).getAttribute('aria-disabled')).toBe('true');
    expect(problems).toEqual([]);
    await close();
  }, 60_000);

  it("lists a resource's actions at its URL-encoded key, with a run link pre-filled for it", async () => {
    // Prepare
    const action = await quarantined(app.demo.userArn);
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await page.goto(`${app.service.url}/resources/${encodeURIComponent(app.demo.userArn)}`);
    await signInLocally(page);
    await page.getByRole('link', { name: `Open iam-quarantine action ${action.id}` }).waitFor();
    await saveScreenshot(page, 'resource-history');
    const run = page.getByRole('link', { name: 'Run an action on this resource' });

    // Assess
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Resource history');
    expect(await page.getByText(app.demo.userArn, { exact: true }).first().isVisible()).toBe(true);
    expect(await run.getAttribute('href')).toBe(`/run?${new URLSearchParams({ 'aws.resource.arn': app.demo.userArn }).toString()}`);
    const otherResources = await page.getByRole('link', { name: /^History of / }).allTextContents();
    expect(otherResources.length).toBeGreaterThan(0);
    expect(new Set(otherResources)).toEqual(new Set([app.demo.userArn]));
    expect(problems).toEqual([]);
    await close();
  }, 60_000);

  it('re-executes an ended action from its plan: a new action of the same type that names the original', async () => {
    // Prepare
    const action = await quarantined(app.demo.roleArn);
    const { page, problems, close } = await openConsolePage(browser);
    await page.goto(`${app.service.url}/actions/${action.id}`);
    await signInLocally(page, { sub: 'analyst-2', scopes: containment });
    await waitForStatus(page, 'Completed');

    // Act
    await page.getByRole('button', { name: 'Re-execute', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('table', { name: 'Planned changes' }).waitFor();
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/actions/') && url.pathname !== `/actions/${action.id}`);
    const againId = decodeURIComponent(new URL(page.url()).pathname.slice('/actions/'.length));
    // The address changes before the router renders the new page: wait for its own description.
    await page.getByText(`Action ${againId}`, { exact: false }).first().waitFor();
    await waitForStatus(page, 'Completed');
    const original = page.getByRole('link', { name: action.id, exact: true });

    // Assess
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('iam-quarantine');
    expect(await original.getAttribute('href')).toBe(`/actions/${action.id}`);
    expect(await api<ActionRecord>('GET', `/v1/actions/${againId}`)).toMatchObject({ type: 'iam-quarantine', reexecuteOf: action.id, undoOf: null });
    expect(problems).toEqual([]);
    await close();
  }, 60_000);

  it('pages the history by the service\'s cursors, and back to the first page', async () => {
    // Prepare: two actions, and the history asked one at a time (the page asks 25; the service's
    // own cursors do the rest, so the console's cursor stack is what is tested)
    await quarantined(app.demo.userArn);
    await quarantined(app.demo.roleArn);
    const { page, problems, close } = await openConsolePage(browser);
    const cursors: (string | null)[] = [];
    await page.route((url) => url.pathname === '/v1/actions', async (route) => {
      const url = new URL(route.request().url());
      cursors.push(url.searchParams.get('cursor'));
      url.searchParams.set('limit', '1');
      await route.continue({ url: url.toString() });
    });
    const firstRow = async (): Promise<string> => (await page.getByRole('link', { name: /: open .* action / }).first().getAttribute('aria-label')) ?? '';

    // Act
    await page.goto(`${app.service.url}/actions`);
    await signInLocally(page);
    await page.getByRole('link', { name: /: open .* action / }).first().waitFor();
    const first = await firstRow();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByRole('link', { name: first }).waitFor({ state: 'detached' });
    const second = await firstRow();
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByRole('link', { name: first }).waitFor();

    // Assess
    expect(second).not.toBe(first);
    expect(cursors[0]).toBeNull();
    expect(cursors.filter((cursor) => cursor !== null)).toHaveLength(1);
    expect(problems).toEqual([]);
    await close();
  }, 60_000);
});
