/**
 * The playbook views in a real browser (Debian's chromium) against `npm start`'s service and moto:
 * the list links to a playbook's form, `Execute` shows each step's plan, `Confirm` starts the run,
 * the run's page follows it until both steps are Completed, and `Undo` starts the undo run, which
 * completes too and releases the instance.
 */
import { randomUUID } from 'node:crypto';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsolePage, saveScreenshot, signInLocally, startConsoleService, type ConsoleService } from './browser.ts';

let browser: Browser;
let app: ConsoleService;
let ec2: EC2Client;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startConsoleService();
  ec2 = new EC2Client({ endpoint: app.moto, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});
afterAll(async () => {
  ec2.destroy();
  await browser.close();
  await app.close();
});

async function securityGroupsOf(instanceArn: string): Promise<string[]> {
  const instanceId = instanceArn.split('/').at(-1) ?? '';
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const interfaces = described.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces ?? [];
  return interfaces.flatMap((networkInterface) => (networkInterface.Groups ?? []).map((group) => group.GroupId ?? '')).sort();
}

/** Waits over HTTP until run `id` has ended (the local runner ends a failing run in seconds). */
async function runEnded(token: string, id: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${app.service.url}/v1/playbook-runs/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } });
    const run = (await response.json()) as { status: string };
    if (run.status === 'Completed' || run.status === 'Error') return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The steps table's row of step `stepId` (its first cell is the step id). */
function stepRow(page: Page, stepId: string) {
  return page.getByRole('row').filter({ has: page.getByRole('cell', { name: stepId, exact: true }) });
}

/** A run page's id from its address. */
function runIdOf(page: Page): string {
  return decodeURIComponent(new URL(page.url()).pathname.slice('/playbook-runs/'.length));
}

// The run's page polls every 5 s and the local runner's steps take a few seconds each.
const runTimeout = { timeout: 90_000 };

describe('the playbook views', () => {
  it('runs ec2-instance-compromise from /playbooks: per-step plan, Confirm, both steps Completed, then Undo completes', async () => {
    // Prepare
    const groupsBefore = await securityGroupsOf(app.demo.instanceArn);
    const { page, problems, close } = await openConsolePage(browser);
    await page.goto(`${app.service.url}/playbooks`);
    await signInLocally(page, { sub: 'analyst-1' });
    await page.getByRole('link', { name: 'Run ec2-instance-compromise' }).waitFor();
    await saveScreenshot(page, 'playbooks');

    // Act: the form, the plan, the run
    await page.getByRole('link', { name: 'Run ec2-instance-compromise' }).click();
    await page.waitForURL('**/playbooks/ec2-instance-compromise');
    await page.getByRole('textbox', { name: 'aws.resource.arn' }).fill(app.demo.instanceArn);
    await page.getByRole('button', { name: 'Execute' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('2. isolate: isolate-ec2-instance (containment)').waitFor();
    const planText = await dialog.innerText();
    await saveScreenshot(page, 'playbook-plan');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/playbook-runs/'));
    const runId = runIdOf(page);
    await stepRow(page, 'snapshot').getByText('Completed', { exact: true }).waitFor(runTimeout);
    await stepRow(page, 'isolate').getByText('Completed', { exact: true }).waitFor(runTimeout);
    const undo = page.getByRole('button', { name: 'Undo' });
    await undo.waitFor(runTimeout);
    await saveScreenshot(page, 'playbook-run');
    const groupsWhileIsolated = await securityGroupsOf(app.demo.instanceArn);

    // Act: the undo
    await undo.click();
    const undoDialog = page.getByRole('dialog');
    const toUndo = await undoDialog.getByRole('list', { name: 'Steps to undo' }).innerText();
    await undoDialog.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/playbook-runs/') && runIdOf(page) !== runId);
    await stepRow(page, 'undo-isolate').getByText('Completed', { exact: true }).waitFor(runTimeout);
    const undoesLink = await page.getByRole('link', { name: runId }).count();

    // Assess
    expect(planText).toContain('1. snapshot: cloud-volume-snapshot (evidence)');
    expect(planText).toContain(app.demo.instanceArn);
    expect(toUndo).toContain('isolate: unisolate-ec2-instance undoes isolate-ec2-instance');
    expect(toUndo).not.toContain('snapshot');
    expect(groupsWhileIsolated).not.toEqual(groupsBefore);
    expect(await securityGroupsOf(app.demo.instanceArn)).toEqual(groupsBefore);
    expect(undoesLink).toBe(1);
    expect(problems).toEqual([]);
    await close();
  });

  it('lists the runs with their filters in the page address', async () => {
    // Prepare: a run that ends in Error without touching anything (moto has no CloudTrail LookupEvents)
    const sub = `lister-${randomUUID().slice(0, 8)}`;
    const token = await app.service.issuer.issue({ sub, scopes: ['containment-response-actions.exec', 'data-gathering-response-actions.exec'], ttlSeconds: 600 });
    const started = await fetch(`${app.service.url}/v1/playbooks/aws-credential-compromise/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { 'aws.resource.arn': app.demo.roleArn } }),
    });
    const runId = ((await started.json()) as { id: string }).id;
    await runEnded(token, runId);
    const { page, problems, close } = await openConsolePage(browser);
    await page.goto(`${app.service.url}/playbook-runs?${new URLSearchParams({ playbook: 'aws-credential-compromise', status: 'Error', createdBy: sub }).toString()}`);
    await signInLocally(page, { sub: 'analyst-1' });

    // Act
    const table = page.getByRole('table', { name: 'Playbook runs' });
    await table.getByRole('link', { name: runId }).waitFor();
    const rows = await table.getByRole('row').allInnerTexts();

    // Assess: that run alone (the header row aside)
    expect(started.status).toBe(202);
    expect(rows.slice(1)).toHaveLength(1);
    expect(rows[1]).toContain('aws-credential-compromise');
    expect(rows[1]).toContain('Error');
    expect(rows[1]).toContain(sub);
    expect(problems).toEqual([]);
    await close();
  });

  it('shows Execute disabled with the reason when a step’s category lacks the exec scope', async () => {
    // Prepare
    const { page, problems, close } = await openConsolePage(browser);
    await page.goto(`${app.service.url}/playbooks/ec2-instance-compromise?aws.resource.arn=${encodeURIComponent(app.demo.instanceArn)}`);

    // Act: containment only; the snapshot step is data-gathering
    await signInLocally(page, { scopes: ['containment-response-actions.exec', 'containment-response-actions.read', 'data-gathering-response-actions.read'] });
    await page.getByRole('textbox', { name: 'aws.resource.arn' }).waitFor();
    const prefilled = await page.getByRole('textbox', { name: 'aws.resource.arn' }).inputValue();
    const disabled = await page.getByRole('button', { name: 'Execute' }).isDisabled();
    const reasonShown = await page.getByText('Needs the data-gathering-response-actions.exec scope; you are signed in without it.').first().isVisible();

    // Assess
    expect(prefilled).toBe(app.demo.instanceArn);
    expect(disabled).toBe(true);
    expect(reasonShown).toBe(true);
    expect(problems).toEqual([]);
    await close();
  });
});
