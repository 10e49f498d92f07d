/**
 * The console's approvals in a real browser (Debian's chromium) against `npm start`'s service and
 * moto_server: a GuardDuty finding about the demo user, posted to POST /v1/events with an events
 * token, meets a rule in `approval` mode; a second person opens it from `/approvals`, sees the plan
 * (attach AWSDenyAll), approves it, and the action runs with them as its approver. Rejecting runs
 * nothing; a reader, and the person who asked, see `Approve` disabled with the reason.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '#shared/approvals/types.ts';
import { eventsScope } from '#shared/auth/scopes.ts';
import type { EventAnswer } from '#shared/automation/types.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { launchChromium, openConsolePage, saveScreenshot, signInLocally, startConsoleService, type ConsoleService } from './browser.ts';
import { personScopes } from '#functions/auth/person-groups.ts';

const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';
const ruleId = 'quarantine-user-on-approval';
const rules = `
rules:
  - id: ${ruleId}
    description: Quarantine an IAM user whose credentials GuardDuty saw misused, once a second person approves
    mode: approval
    match: { source: guardduty, types: ['CredentialAccess:IAMUser/*'] }
    run: { action: iam-quarantine }
`;

let browser: Browser;
let app: ConsoleService;
let iam: IAMClient;

beforeAll(async () => {
  browser = await launchChromium();
  // A person's request on the demo role needs a second person too (the requester's own view).
  app = await startConsoleService({ rules, env: { APPROVAL_REQUIRED: 'arn:aws:iam::*:role/demo-app-role-*' } });
  iam = new IAMClient({ endpoint: app.moto, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});
afterAll(async () => {
  iam.destroy();
  await browser.close();
  await app.close();
});

const userName = (): string => app.demo.userArn.slice(app.demo.userArn.lastIndexOf('/') + 1);

interface Answer<Body> {
  readonly status: number;
  readonly body: Body;
}

async function send<Body>(bearer: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<Body>> {
  const response = await fetch(`${app.service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

async function asPerson<Body>(sub: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<Body>> {
  return send<Body>(await app.service.issuer.issue({ sub, scopes: personScopes }), method, path, body);
}

/**
 * The written GuardDuty fixture (CredentialAccess:IAMUser/AnomalousBehavior on an access key),
 * about the demo user in the demo account, under a finding id of its own, posted as GuardDuty's
 * EventBridge delivery; returns the approval the rule made.
 */
async function postFinding(): Promise<string> {
  const fixture = new URL('../../fixtures/findings/written/guardduty-credential-access-iam-user.json', import.meta.url);
  const event = JSON.parse(await readFile(fixture, 'utf8')) as Record<string, unknown> & { detail: Record<string, unknown> & { resource: { accessKeyDetails: Record<string, unknown> } } };
  const findingId = randomUUID().replaceAll('-', '');
  const { accountId, region } = { accountId: app.demo.accountId, region: 'us-east-1' };
  const posted = {
    ...event,
    id: randomUUID(),
    account: accountId,
    region,
    detail: {
      ...event.detail,
      accountId,
      region,
      id: findingId,
      arn: `arn:aws:guardduty:${region}:${accountId}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/${findingId}`,
      resource: { ...event.detail.resource, accessKeyDetails: { ...event.detail.resource.accessKeyDetails, userName: userName() } },
    },
  };
  const bearer = await app.service.issuer.issue({ sub: 'guardduty-forwarder', scopes: [eventsScope], events: [{ source: 'guardduty' }] });
  const answer = await send<EventAnswer>(bearer, 'POST', '/v1/events', posted);
  const decisions = answer.body.findings.flatMap((finding) => finding.decisions);
  const approvalId = decisions[0]?.approvalId;
  if (answer.status !== 202 || decisions.length !== 1 || decisions[0]?.outcome !== 'awaiting-approval' || typeof approvalId !== 'string') {
    throw new Error(`the finding did not wait for an approval: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return approvalId;
}

/** Reads the action until it has ended (Completed or Error). */
async function actionEnded(id: string): Promise<ActionRecord> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body: record } = await asPerson<ActionRecord>('reader', 'GET', `/v1/actions/${id}`);
    if (record.status === 'Completed' || record.status === 'Error') return record;
    if (Date.now() > deadline) throw new Error(`action ${id} stayed ${record.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function attachedPolicies(): Promise<string[]> {
  const { AttachedPolicies } = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName() }));
  return (AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? '').sort();
}

describe('approvals in the console', () => {
  it('approve: the approval is listed, its plan attaches AWSDenyAll, and approving runs the quarantine with the signed-in person as approver', async () => {
    // Prepare
    const approvalId = await postFinding();
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await page.goto(`${app.service.url}/approvals`);
    await signInLocally(page, { sub: 'approver-1' });
    await page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: `Approval ${approvalId}: iam-quarantine` }) });
    await row.waitFor();
    const rowText = await row.innerText();
    await saveScreenshot(page, 'approvals');
    await row.getByRole('link', { name: `Approval ${approvalId}: iam-quarantine` }).click();
    await page.waitForURL(`**/approvals/${approvalId}`);
    await page.getByRole('heading', { name: 'Approval: iam-quarantine', level: 1 }).waitFor();
    const planned = page.getByRole('table', { name: 'Planned changes' });
    await planned.getByText('iam:AttachUserPolicy').waitFor();
    const plannedText = await planned.innerText();
    const pendingText = await page.getByRole('main').innerText();
    await saveScreenshot(page, 'approval');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Reason for the decision' }).fill('the key was used from a Tor exit node');
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    // The created action's link (the navigation's "Action history" goes to /actions itself)
    const created = page.getByRole('link', { name: /^Action / }).and(page.locator('[href^="/actions/"]')).first();
    await created.waitFor();
    const actionId = ((await created.textContent()) ?? '').replace(/^Action /, '');
    const href = await created.getAttribute('href');
    await page.getByText('approved', { exact: true }).first().waitFor();
    const record = await actionEnded(actionId);
    const approval = await asPerson<Approval>('reader', 'GET', `/v1/approvals/${approvalId}`);

    // Assess
    expect(rowText).toContain(app.demo.userArn);
    expect(rowText).toContain(`automation:${ruleId}`);
    expect(rowText).toContain('CredentialAccess:IAMUser/AnomalousBehavior');
    expect(rowText).toContain('pending');
    expect(plannedText).toContain('AWSDenyAll');
    expect(pendingText).toContain(`automation:${ruleId}`);
    expect(pendingText).toContain(ruleId);
    expect(href).toBe(`/actions/${actionId}`);
    expect(record.status, JSON.stringify(record)).toBe('Completed');
    expect(record.type).toBe('iam-quarantine');
    expect(record.inputs).toEqual({ 'aws.resource.arn': app.demo.userArn });
    expect(record.trigger).toMatchObject({ source: 'guardduty', ruleId, approvedBy: 'approver-1' });
    expect(approval.body).toMatchObject({ status: 'approved', decidedBy: 'approver-1', decisionReason: 'the key was used from a Tor exit node', actionIds: [actionId] });
    expect(await attachedPolicies()).toContain(denyAll);
    await expect(page.getByRole('button', { name: 'Approve', exact: true }).isDisabled()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await close();
  });

  it('reject: the approval closes with the reason given and nothing runs', async () => {
    // Prepare
    const approvalId = await postFinding();
    const { page, problems, close } = await openConsolePage(browser);

    // Act: the approval's own address, opened before signing in
    await page.goto(`${app.service.url}/approvals/${approvalId}`);
    await signInLocally(page, { sub: 'approver-2' });
    await page.getByRole('heading', { name: 'Approval: iam-quarantine', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Reject', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Reason for the decision' }).fill('a known CI job, not misuse');
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('heading', { name: 'Decision', level: 2 }).waitFor();
    const decisionText = await page.getByRole('main').innerText();
    const approval = await asPerson<Approval>('reader', 'GET', `/v1/approvals/${approvalId}`);

    // Assess
    expect(decisionText).toContain('rejected');
    expect(decisionText).toContain('a known CI job, not misuse');
    expect(approval.body).toMatchObject({ status: 'rejected', decidedBy: 'approver-2', decisionReason: 'a known CI job, not misuse', actionIds: [], playbookRunId: null });
    await expect(page.getByRole('button', { name: 'Approve', exact: true }).isDisabled()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Reject', exact: true }).isDisabled()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await close();
  });

  it('a reader sees Approve and Reject disabled with the scope they lack, and the approval stays pending', async () => {
    // Prepare
    const approvalId = await postFinding();
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await page.goto(`${app.service.url}/approvals/${approvalId}`);
    await signInLocally(page, { sub: 'reader-1', scopes: ['containment-response-actions.read', 'data-gathering-response-actions.read'] });
    await page.getByRole('heading', { name: 'Approval: iam-quarantine', level: 1 }).waitFor();
    // Visible on the page, not only in the buttons' tooltip
    await page.getByText('Needs the containment-response-actions.exec scope; you are signed in without it.').filter({ visible: true }).waitFor();
    const approve = await page.getByRole('button', { name: 'Approve', exact: true }).isDisabled();
    const reject = await page.getByRole('button', { name: 'Reject', exact: true }).isDisabled();
    await page.getByRole('button', { name: 'Approve', exact: true }).click({ force: true });
    const dialogs = await page.getByRole('dialog').count();
    const approval = await asPerson<Approval>('reader', 'GET', `/v1/approvals/${approvalId}`);

    // Assess
    expect(approve).toBe(true);
    expect(reject).toBe(true);
    expect(dialogs).toBe(0);
    expect(approval.body.status).toBe('pending');
    expect(problems).toEqual([]);
    await close();
  });

  it('the person who asked sees Approve disabled: a second person must decide', async () => {
    // Prepare: a person's quarantine of the demo role, which APPROVAL_REQUIRED gates
    const asked = await asPerson<{ approval: Approval }>('operator-7', 'POST', '/v1/actions', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': app.demo.roleArn }, reason: 'suspicious AssumeRole' });
    const approvalId = asked.body.approval.id;
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await page.goto(`${app.service.url}/approvals/${approvalId}`);
    await signInLocally(page, { sub: 'operator-7' });
    await page.getByRole('heading', { name: 'Approval: iam-quarantine', level: 1 }).waitFor();
    await page.getByText('You asked for this: a second person must decide.').filter({ visible: true }).waitFor();
    const approve = await page.getByRole('button', { name: 'Approve', exact: true }).isDisabled();
    const triggerText = await page.getByRole('main').innerText();

    // Assess
    expect(asked.status).toBe(202);
    expect(approve).toBe(true);
    expect(triggerText).toContain('Asked for by operator-7');
    expect(problems).toEqual([]);
    await close();
  });
});
