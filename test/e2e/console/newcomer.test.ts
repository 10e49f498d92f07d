/**
 * Issue 14's "done when", as a newcomer does it: `npm start`'s program as its own process against
 * moto_server (a seeded demo account), the console opened at `/`, `Sign in locally`, then clicks
 * only: run an IAM quarantine from the form, watch it complete, go to the user's history, open the
 * entry, Undo, Confirm, watch the undo complete — and moto shows the user's policies exactly as
 * they were before. No request in this test is made outside the browser except the checks in moto.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient, ListAttachedUserPoliciesCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoAccount, type DemoAccount } from '#local/sandbox-seed.ts';
import { startLocalMain, type LocalMainProcess } from '#test/support/local-main-process.ts';
import { launchChromium, openConsolePage, saveScreenshot } from './browser.ts';

const externalId = 'e2e-newcomer-external-id';

let browser: Browser;
let dataDir: string;
let demo: DemoAccount;
let iam: IAMClient;
let service: LocalMainProcess;

async function policiesOf(userName: string): Promise<{ attached: string[]; inline: string[] }> {
  const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
  const inline = await iam.send(new ListUserPoliciesCommand({ UserName: userName }));
  return { attached: (attached.AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '').sort(), inline: [...(inline.PolicyNames ?? [])].sort() };
}

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  browser = await launchChromium();
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-console-newcomer-'));
  demo = await seedDemoAccount({ endpoint: moto, memberRoleName: 'ResponseActionsMember', externalId, suffix: `-${randomUUID().slice(0, 8)}` });
  iam = new IAMClient({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  // `npm start`'s program (local/main.ts) as its own process, as the README tells a newcomer to run it.
  service = await startLocalMain({ dataDir, moto, targetAccount: demo.accountId, externalId, startMs: 60_000 });
});
afterAll(async () => {
  await browser.close();
  iam.destroy();
  await service.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a newcomer with npm start and the console', () => {
  it('quarantines a user and undoes it with clicks only; moto shows the policies back as they were', async () => {
    // Prepare
    const userName = demo.userArn.split('/').at(-1) ?? '';
    const before = await policiesOf(userName);
    const { page, problems, close } = await openConsolePage(browser);

    // Act: open the console, sign in locally
    await page.goto(`${service.url}/`);
    await page.getByRole('button', { name: 'Sign in locally' }).click();
    await page.getByRole('heading', { name: 'Action history', level: 1 }).waitFor();

    // Act: the run form, from the navigation
    await page.getByRole('link', { name: 'Run an action' }).click();
    await page.getByRole('heading', { name: 'Run an action', level: 1 }).waitFor();
    await page.getByRole('button', { name: /Choose an action type/ }).click();
    await page.getByRole('option', { name: /^iam-quarantine/ }).click();
    await page.getByRole('textbox', { name: 'aws.resource.arn' }).fill(demo.userArn);
    await page.getByRole('button', { name: 'Execute' }).click();
    const plan = page.getByRole('dialog');
    await plan.getByText('AWSDenyAll').first().waitFor();
    await plan.getByRole('button', { name: 'Confirm' }).click();

    // Act: watch it complete (the page refreshes itself)
    await page.waitForURL((url) => url.pathname.startsWith('/actions/'));
    const quarantineId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    await page.getByRole('status', { name: 'Action status' }).getByText('Completed', { exact: true }).waitFor({ timeout: 60_000 });
    const during = await policiesOf(userName);

    // Act: the user's history, its entry, Undo
    await page.getByRole('link', { name: demo.userArn, exact: true }).first().click();
    await page.waitForURL((url) => url.pathname.startsWith('/resources/'));
    await saveScreenshot(page, 'newcomer-resource-history');
    await page.getByRole('link', { name: new RegExp(`open iam-quarantine action ${quarantineId}`) }).click();
    await page.getByRole('button', { name: 'Undo' }).click();
    const undoPlan = page.getByRole('dialog');
    await undoPlan.getByText('AWSDenyAll').first().waitFor();
    await undoPlan.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/actions/') && !url.pathname.endsWith(quarantineId));
    // The address changes before the router renders the new page (a transition): wait for the undo's own heading.
    await page.getByRole('heading', { name: 'iam-unquarantine', level: 1 }).waitFor();
    await page.getByRole('status', { name: 'Action status' }).getByText('Completed', { exact: true }).waitFor({ timeout: 60_000 });
    await saveScreenshot(page, 'newcomer-undone');
    const after = await policiesOf(userName);

    // Assess
    expect(during.attached).toEqual([...before.attached, 'arn:aws:iam::aws:policy/AWSDenyAll'].sort());
    expect(after).toEqual(before);
    expect(problems).toEqual([]);
    await close();
  });
});
