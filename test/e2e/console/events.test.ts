/**
 * The console's automation decisions and responders in a real browser (Debian's chromium) against
 * `npm start`'s service: a GuardDuty finding posted to POST /v1/events meets a dry-run rule and an
 * approval rule; `/events` lists both decisions with their outcome as text, the filters live in the
 * address (a link to `/events?outcome=...` opens filtered), and `/responders` lists this machine's
 * in-process host responder.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsScope } from '#shared/auth/scopes.ts';
import type { EventAnswer } from '#shared/automation/types.ts';
import { launchChromium, openConsolePage, saveScreenshot, signInLocally, startConsoleService, type ConsoleService } from './browser.ts';
import { personScopes } from '#functions/auth/person-groups.ts';

const host = `e2e-console-host-${randomUUID().slice(0, 8)}`;
const rules = `
rules:
  - id: plan-user-quarantine
    description: Plan quarantining an IAM user whose credentials GuardDuty saw misused
    mode: dry-run
    match: { source: guardduty, types: ['CredentialAccess:IAMUser/*'] }
    run: { action: iam-quarantine }
  - id: quarantine-user-on-approval
    description: Quarantine an IAM user whose credentials GuardDuty saw misused, once a second person approves
    mode: approval
    match: { source: guardduty, types: ['CredentialAccess:IAMUser/*'] }
    run: { action: iam-quarantine }
`;

let browser: Browser;
let app: ConsoleService;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startConsoleService({ rules, hostResponder: { name: host } });
});
afterAll(async () => {
  await browser.close();
  await app.close();
});

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

/** The written GuardDuty fixture about the demo user, under a finding id of its own, posted with an events token. */
async function postFinding(): Promise<{ findingId: string; answer: Answer<EventAnswer> }> {
  const fixture = new URL('../../fixtures/findings/written/guardduty-credential-access-iam-user.json', import.meta.url);
  const event = JSON.parse(await readFile(fixture, 'utf8')) as Record<string, unknown> & { detail: Record<string, unknown> & { resource: { accessKeyDetails: Record<string, unknown> } } };
  const findingId = randomUUID().replaceAll('-', '');
  const accountId = app.demo.accountId;
  const userName = app.demo.userArn.slice(app.demo.userArn.lastIndexOf('/') + 1);
  const posted = {
    ...event,
    id: randomUUID(),
    account: accountId,
    region: 'us-east-1',
    detail: {
      ...event.detail,
      accountId,
      region: 'us-east-1',
      id: findingId,
      arn: `arn:aws:guardduty:us-east-1:${accountId}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/${findingId}`,
      resource: { ...event.detail.resource, accessKeyDetails: { ...event.detail.resource.accessKeyDetails, userName } },
    },
  };
  const bearer = await app.service.issuer.issue({ sub: 'guardduty-forwarder', scopes: [eventsScope], events: [{ source: 'guardduty' }] });
  return { findingId, answer: await send<EventAnswer>(bearer, 'POST', '/v1/events', posted) };
}

/** The text of each body row of the decisions table. */
async function rowTexts(page: Page): Promise<string[]> {
  return page.getByRole('table', { name: 'Automation decisions' }).getByRole('row').filter({ has: page.getByRole('cell') }).allInnerTexts();
}

describe('automation decisions in the console', () => {
  it('lists the decisions of a posted finding with their outcome as text, and filters by outcome through the address', async () => {
    // Prepare
    const { findingId, answer } = await postFinding();
    const decisions = answer.body.findings.flatMap((finding) => finding.decisions);
    const approvalId = decisions.find((decision) => decision.outcome === 'awaiting-approval')?.approvalId ?? '';
    const { page, problems, close } = await openConsolePage(browser);

    // Act: the finding's decisions, opened by address before signing in
    await page.goto(`${app.service.url}/events?findingId=${findingId}`);
    await signInLocally(page, { sub: 'analyst-3' });
    await page.getByRole('heading', { name: 'Automation decisions', level: 1 }).waitFor();
    await page.getByRole('link', { name: `Approval ${approvalId}` }).waitFor();
    const both = await rowTexts(page);
    const approvalHref = await page.getByRole('link', { name: `Approval ${approvalId}` }).getAttribute('href');
    await saveScreenshot(page, 'events');
    // Act: choose an outcome on the page; the address follows
    await page.getByRole('button', { name: /^Outcome/ }).click();
    await page.getByRole('option', { name: 'planned', exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('outcome') === 'planned');
    // The old rows go (loading), then the filtered one comes
    await page.getByRole('link', { name: `Approval ${approvalId}` }).waitFor({ state: 'detached' });
    await page.getByRole('table', { name: 'Automation decisions' }).getByText('plan-user-quarantine').waitFor();
    const planned = await rowTexts(page);
    const plannedAddress = new URL(page.url());
    await close();
    // Act: an address with the other outcome, opened in a fresh browser
    const second = await openConsolePage(browser);
    await second.page.goto(`${app.service.url}/events?findingId=${findingId}&outcome=awaiting-approval`);
    await signInLocally(second.page, { sub: 'analyst-3' });
    await second.page.getByRole('link', { name: `Approval ${approvalId}` }).waitFor();
    const awaiting = await rowTexts(second.page);

    // Assess
    expect(answer.status).toBe(202);
    expect(decisions.map((decision) => decision.outcome).sort()).toEqual(['awaiting-approval', 'planned']);
    expect(both).toHaveLength(2);
    expect(both.join('\n')).toContain('planned');
    expect(both.join('\n')).toContain('awaiting-approval');
    for (const decision of decisions) expect(both.join('\n').replaceAll(/\s+/g, ' ')).toContain(decision.reason.replaceAll(/\s+/g, ' '));
    expect(approvalHref).toBe(`/approvals/${approvalId}`);
    expect(plannedAddress.searchParams.get('findingId')).toBe(findingId);
    expect(planned).toHaveLength(1);
    expect(planned[0]).toContain('plan-user-quarantine');
    expect(planned[0]).toContain('planned');
    expect(awaiting).toHaveLength(1);
    expect(awaiting[0]).toContain('quarantine-user-on-approval');
    expect(awaiting[0]).toContain('awaiting-approval');
    expect(problems).toEqual([]);
    expect(second.problems).toEqual([]);
    await second.close();
  });

  it('lists the registered responders: this machine\'s host responder, heartbeating', async () => {
    // Prepare: the in-process responder registers as it starts
    const bearer = await app.service.issuer.issue({ sub: 'reader', scopes: personScopes });
    const deadline = Date.now() + 30_000;
    while (!(await send<{ items: { name: string }[] }>(bearer, 'GET', '/v1/responders')).body.items.some((responder) => responder.name === host)) {
      if (Date.now() > deadline) throw new Error(`responder host/${host} never registered`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await page.goto(`${app.service.url}/responders`);
    await signInLocally(page, { sub: 'analyst-3', scopes: ['data-gathering-response-actions.read'] });
    await page.getByRole('heading', { name: 'Responders', level: 1 }).waitFor();
    const row = page.getByRole('row').filter({ hasText: host });
    await row.waitFor();
    const text = await row.innerText();
    await saveScreenshot(page, 'responders');

    // Assess
    expect(text).toContain('host');
    expect(text).toContain('local');
    expect(text).toContain('Heartbeating');
    expect(problems).toEqual([]);
    await close();
  });
});
