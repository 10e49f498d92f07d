/**
 * The console's frame in a real browser (Debian's chromium) against `npm start`'s service: a page
 * address opened before signing in comes back after `Sign in locally`, the pages are served with
 * the security headers, and no console error or CSP violation shows up.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConsoleAuthConfig } from '#local/console/console-auth-config.ts';
import { loadAuthConfig } from '#shared/auth/auth-config.ts';
import { launchChromium, openConsolePage, saveScreenshot, signInLocally, startConsoleService, type ConsoleService } from './browser.ts';
import { consoleDist } from '#test/support/console-browser.ts';
import { serveConsoleSite } from '#test/support/console-site-server.ts';
import { rawRequest } from '#test/support/raw-http.ts';

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

describe('the console at /', () => {
  it('serves every page address with a strict Content-Security-Policy', async () => {
    // Act
    const response = await fetch(`${app.service.url}/resources/${encodeURIComponent(app.demo.userArn)}`);
    const html = await response.text();

    // Assess
    expect(response.status).toBe(200);
    expect(html).toContain('<div id="root">');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // The rest of what the README says of them: no eval, no plugins, connections to this site only.
    expect(policy).not.toContain('unsafe-eval');
    expect(policy).toContain("object-src 'none'");
    expect(policy.split(';').map((directive) => directive.trim())).toContain("connect-src 'self'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('returns to the page opened before signing in, with no console errors', async () => {
    // Prepare
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await page.goto(`${app.service.url}/approvals`);
    await page.waitForURL('**/sign-in?returnTo=*');
    await saveScreenshot(page, 'sign-in');
    await signInLocally(page, { sub: 'analyst-1' });

    // Assess
    expect(new URL(page.url()).pathname).toBe('/approvals');
    await page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'analyst-1' }).waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it('refuses a sign-in posted from another origin, and one for a responder scope', async () => {
    // Act
    const foreign = await fetch(`${app.service.url}/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://attacker.example' },
      body: JSON.stringify({ scopes: ['containment-response-actions.exec'] }),
    });
    const responder = await fetch(`${app.service.url}/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.service.url },
      body: JSON.stringify({ scopes: ['response-actions.respond'] }),
    });
    // Node's own client, which sends the Host it is given (fetch sends the URL's): a DNS-rebound page's request.
    const reboundAnswer = await rawRequest(`${app.service.url}/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://rebound.example:8787', host: 'rebound.example:8787' },
      body: JSON.stringify({ scopes: ['containment-response-actions.exec'] }),
    });
    const rebound = { status: reboundAnswer.status, detail: (JSON.parse(reboundAnswer.body) as { detail: string }).detail };

    // Assess
    expect(foreign.status).toBe(403);
    expect(responder.status).toBe(400);
    expect(((await responder.json()) as { errors: { path: string }[] }).errors.map((error) => error.path)).toEqual(['scopes[0]']);
    expect(rebound.status).toBe(403);
    expect(rebound.detail).toContain(`addressed to ${app.service.url}`);
  });

  it('says sign-in is not configured, and offers none, when the service takes a provider\'s tokens but has no console client', async () => {
    // Prepare: the console as npm start serves it with AUTH_ISSUER set and CONSOLE_OIDC_CLIENT_ID unset.
    const env = { AUTH_ISSUER: 'https://login.example.com/tenant', AUTH_AUDIENCE: 'api', AUTH_JWKS_URL: 'https://login.example.com/tenant/jwks', AUTH_ALGORITHMS: 'RS256' };
    const settings = loadConsoleAuthConfig(env, loadAuthConfig(env));
    if (settings.kind !== 'unconfigured') throw new Error(`expected no console client, got ${settings.kind}`);
    const site = await serveConsoleSite({ dir: consoleDist, auth: settings });
    const url = site.base;
    const { page, problems, close } = await openConsolePage(browser);

    // Act
    await page.goto(`${url}/actions`);
    const alert = page.getByText('Sign-in is not configured');
    await alert.waitFor();

    // Assess
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByText('set CONSOLE_OIDC_CLIENT_ID').waitFor();
    expect(await page.getByRole('button', { name: /sign in/i }).count()).toBe(0);
    expect(problems).toEqual([]);
    await close();
    await site.close();
  });
});
