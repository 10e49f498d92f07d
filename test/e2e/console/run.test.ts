/**
 * The run form in a real browser (Debian's chromium) against `npm start`'s service and moto: a
 * finding's deep link fills the form in, `Execute` shows the plan, `Confirm` creates the action and
 * lands on its page, and the user in moto is quarantined. A read-only sign-in sees `Execute`
 * disabled with the reason, and the service's 400 is shown next to the field it names.
 */
import { IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsolePage, saveScreenshot, signInLocally, startConsoleService, type ConsoleService } from './browser.ts';

let browser: Browser;
let app: ConsoleService;
let iam: IAMClient;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startConsoleService();
  iam = new IAMClient({ endpoint: app.moto, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});
afterAll(async () => {
  iam.destroy();
  await browser.close();
  await app.close();
});

/** The page address of the run form for `type`, with `inputs` in the query string as a finding would link. */
function runLink(type: string, inputs: Readonly<Record<string, string>>): string {
  return `${app.service.url}/run?${new URLSearchParams({ type, ...inputs }).toString()}`;
}

/** Opens `address` before signing in (the deep link survives sign-in) and signs in with `scopes`. */
async function openSignedIn(page: Page, address: string, scopes?: readonly string[]): Promise<void> {
  await page.goto(address);
  await signInLocally(page, { sub: 'analyst-1', ...(scopes === undefined ? {} : { scopes }) });
  await page.getByRole('heading', { name: 'Run an action', level: 1 }).waitFor();
}

describe('the run form at /run', () => {
  it('runs iam-quarantine from a deep link: the plan in the dialog, Confirm, the action page, the user quarantined in moto', async () => {
    // Prepare
    const userName = app.demo.userArn.split('/').at(-1) ?? '';
    const { page, problems, close } = await openConsolePage(browser);
    await openSignedIn(page, runLink('iam-quarantine', { 'aws.resource.arn': app.demo.userArn }));
    const arnField = page.getByRole('textbox', { name: 'aws.resource.arn' });
    await arnField.waitFor();
    const prefilled = await arnField.inputValue();
    await page.getByRole('textbox', { name: 'Reason' }).fill('GuardDuty finding in ticket SEC-1');
    await saveScreenshot(page, 'run-form');

    // Act
    await page.getByRole('button', { name: 'Execute' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('AWSDenyAll').first().waitFor();
    const planText = await dialog.innerText();
    await saveScreenshot(page, 'run-plan');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/actions/'));
    const actionId = decodeURIComponent(new URL(page.url()).pathname.slice('/actions/'.length));
    const record = await waitForTerminalAction(actionId);
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));

    // Assess
    expect(prefilled).toBe(app.demo.userArn);
    expect(planText).toContain('iam-quarantine');
    expect(planText).toContain(app.demo.userArn);
    expect(record.status).toBe('Completed');
    expect(record.type).toBe('iam-quarantine');
    expect(record.inputs).toEqual({ 'aws.resource.arn': app.demo.userArn });
    expect(record.reason).toBe('GuardDuty finding in ticket SEC-1');
    expect(record.createdBy).toBe('analyst-1');
    expect((attached.AttachedPolicies ?? []).map((policy) => policy.PolicyName)).toContain('AWSDenyAll');
    expect(problems).toEqual([]);
    await close();
  });

  it('shows Execute disabled with the reason to a read-only sign-in, and the types it may not run disabled', async () => {
    // Prepare
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await openSignedIn(page, runLink('iam-quarantine', { 'aws.resource.arn': app.demo.userArn }), ['containment-response-actions.read', 'data-gathering-response-actions.read']);
    const execute = page.getByRole('button', { name: 'Execute' });
    await page.getByRole('textbox', { name: 'aws.resource.arn' }).waitFor();
    const disabled = await execute.isDisabled();
    const reasonShown = await page.getByText('Needs the containment-response-actions.exec scope; you are signed in without it.').first().isVisible();
    await execute.click({ force: true });
    const dialogs = await page.getByRole('dialog').count();
    await page.getByRole('button', { name: /Action type/ }).click();
    const quarantineOption = page.getByRole('option', { name: /^iam-quarantine\b/ });
    const optionDisabled = await quarantineOption.getAttribute('aria-disabled');

    // Assess
    expect(disabled).toBe(true);
    expect(reasonShown).toBe(true);
    expect(dialogs).toBe(0);
    expect(optionDisabled).toBe('true');
    expect(problems).toEqual([]);
    await close();
  });

  it('lays out each kind of input from its schema, pre-filled from the address, and warns before a destructive type', async () => {
    // Prepare
    const { page, problems, close } = await openConsolePage(browser);

    // Act: a destructive type whose container is one of two inputs
    await openSignedIn(page, runLink('kill-container', { 'host.id': 'node-7', 'container.name': 'web', 'no.such.input': 'x' }));
    await page.getByRole('textbox', { name: 'container.name' }).waitFor();
    const containerName = await page.getByRole('textbox', { name: 'container.name' }).inputValue();
    const evidenceAlert = await page.getByText('Gather evidence first').isVisible();
    const alternatives = await page.getByText('Give container.id, or container.name.').count();
    const leftOut = await page.getByText('no.such.input').isVisible();
    await saveScreenshot(page, 'run-form-destructive');
    // A choice and a number (isolate-network), then checkboxes (get-logs), each from its own deep link
    await openSignedIn(page, runLink('isolate-network', { 'kubernetes.workload.type': 'statefulset', 'network.port': '443' }));
    await page.getByRole('spinbutton', { name: 'network.port' }).waitFor();
    const port = await page.getByRole('spinbutton', { name: 'network.port' }).inputValue();
    const workloadType = await page.getByRole('button', { name: /^kubernetes\.workload\.type/ }).innerText();
    await openSignedIn(page, runLink('get-logs', { allContainers: 'true', 'kubernetes.pod.name': 'web-0' }));
    await page.getByRole('checkbox', { name: 'allContainers' }).waitFor();
    const allContainers = await page.getByRole('checkbox', { name: 'allContainers' }).isChecked();
    const previous = await page.getByRole('checkbox', { name: 'previous' }).isChecked();
    const getLogsWarns = await page.getByText('Gather evidence first').count();

    // Assess
    expect(containerName).toBe('web');
    expect(evidenceAlert).toBe(true);
    expect(alternatives).toBe(2);
    expect(leftOut).toBe(true);
    expect(port).toBe('443');
    expect(workloadType).toContain('statefulset');
    expect(allContainers).toBe(true);
    expect(previous).toBe(false);
    expect(getLogsWarns).toBe(0);
    expect(problems).toEqual([]);
    await close();
  });

  it('shows the service’s 400 next to the field it names (an ARN of the wrong service)', async () => {
    // Prepare
    const { page, problems, close } = await openConsolePage(browser);
    await openSignedIn(page, runLink('iam-quarantine', { 'aws.resource.arn': app.demo.bucketArn }));
    await page.getByRole('textbox', { name: 'aws.resource.arn' }).waitFor();

    // Act
    await page.getByRole('button', { name: 'Execute' }).click();
    const field = page.getByRole('textbox', { name: 'aws.resource.arn' });
    await page.locator('input[aria-invalid="true"]').waitFor();
    const invalid = await field.getAttribute('aria-invalid');
    const describedBy = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter((id) => id !== '');
    const description = (await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).innerText()))).join(' ');
    const dialogs = await page.getByRole('dialog').count();

    // Assess: the message is the field's own (aria-describedby), and no dialog opened
    expect(invalid).toBe('true');
    expect(description).toMatch(/iam/i);
    expect(dialogs).toBe(0);
    // Chromium logs the refused dry run itself as a console error; that one is expected, and nothing else.
    expect(problems).toEqual([expect.stringMatching(/status of 400 .*\/v1\/actions\?dryRun=true/)]);
    await close();
  });
});

interface ActionAnswer {
  readonly status: string;
  readonly type: string;
  readonly inputs: Record<string, unknown>;
  readonly reason: string | null;
  readonly createdBy: string;
}

/** The action over HTTP once it is Completed or in Error (the local runner finishes in seconds). */
async function waitForTerminalAction(id: string): Promise<ActionAnswer> {
  const token = await localToken(['containment-response-actions.read']);
  for (;;) {
    const response = await fetch(`${app.service.url}/v1/actions/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } });
    const record = (await response.json()) as ActionAnswer;
    if (record.status === 'Completed' || record.status === 'Error') return record;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A bearer token of the local issuer (what `npm run token` prints). */
function localToken(scopes: readonly string[]): Promise<string> {
  return app.service.issuer.issue({ sub: 'e2e-reader', scopes: [...scopes], ttlSeconds: 600 });
}
