/**
 * A page whose address changes under it shows nothing of the previous answer while the new one is
 * on its way: going from one approval's page straight to another's (the same page, another id)
 * never shows the first approval, its plan or its Approve button, under the second's address. The
 * second approval's answer is held back by the test (page.route) until the page has been looked
 * at, so the check does not depend on timing.
 */
import type { Browser, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsolePage, signInLocally, startConsoleService, type ConsoleService } from './browser.ts';

let browser: Browser;
let app: ConsoleService;

beforeAll(async () => {
  browser = await launchChromium();
  // Every request on the demo user waits for a second person: each quarantine asked makes an approval.
  app = await startConsoleService({ env: { APPROVAL_REQUIRED: 'arn:aws:iam::*:user/demo-user-*' } });
});
afterAll(async () => {
  await browser.close();
  await app.close();
});

async function askedQuarantine(token: string): Promise<string> {
  const answer = await fetch(`${app.service.url}/v1/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': app.demo.userArn }, reason: 'stale answers test' }),
  });
  const body = (await answer.json()) as { approval?: { id: string } };
  if (answer.status !== 202 || body.approval === undefined) throw new Error(`expected an approval, got ${answer.status} ${JSON.stringify(body)}`);
  return body.approval.id;
}

describe('answers kept with the address they answer', () => {
  it("never shows one approval under another's address while the other is loading", async () => {
    // Prepare: two approvals
    const token = await app.service.issuer.issue({ sub: 'requester-1', scopes: ['containment-response-actions.exec'] });
    const first = await askedQuarantine(token);
    const second = await askedQuarantine(token);
    const { page, problems, close } = await openConsolePage(browser);
    await page.goto(`${app.service.url}/approvals/${first}`);
    await signInLocally(page, { sub: 'approver-1' });
    await page.getByText(`Approval ${first}`).first().waitFor();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked: () => void = () => undefined;
    const secondAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    await page.route(`**/v1/approvals/${second}`, async (route: Route) => {
      asked();
      await held;
      await route.continue();
    });

    // Act: straight to the second approval, by in-app navigation (a full load would sign out)
    await page.evaluate(`window.history.pushState({}, '', '/approvals/${second}'); window.dispatchEvent(new PopStateEvent('popstate'))`);
    await secondAsked;
    const firstShownWhileHeld = await page.getByText(`Approval ${first}`).filter({ visible: true }).count();
    const approveShownWhileHeld = await page.getByRole('button', { name: 'Approve', exact: true }).filter({ visible: true }).count();
    release();
    await page.getByText(`Approval ${second}`).first().waitFor();

    // Assess
    expect(firstShownWhileHeld).toBe(0);
    expect(approveShownWhileHeld).toBe(0);
    expect(problems).toEqual([]);
    await close();
  });
});
