/**
 * Signing in to the console with a real OIDC provider: oidc-provider, run here on 127.0.0.1 with a
 * public client (PKCE required), its login and consent pages, and JWT access tokens for this API
 * (RFC 8707 resource indicator). `npm start`'s service takes AUTH_ISSUER and verifies the
 * provider's tokens against its jwks_uri; the console (in Debian's chromium) signs in with
 * authorization code + PKCE, keeps tokens in memory only, returns to the page opened first,
 * explains a refusal or a forged answer, and signs out at the provider too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';
import type { BrowserContext, Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { respondScope } from '#shared/auth/scopes.ts';
import { launchChromium, openConsolePage, saveScreenshot, startConsoleService, type ConsoleService } from './browser.ts';
import { personScopes } from '#functions/auth/person-groups.ts';

const clientId = 'response-actions-console';
const audience = 'https://api.response-actions.test';
const person = 'analyst-oidc';
const host = 'oidc-e2e-host';

/** An OIDC provider on a port of its own; configured once the console's address (its redirect URI) is known. */
interface TestProvider {
  readonly issuer: string;
  configure(consoleUrl: string): Promise<void>;
  close(): Promise<void>;
}

async function listenProvider(): Promise<TestProvider> {
  let handle: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server: Server = createServer((request, response) => {
    if (handle === undefined) {
      response.writeHead(503).end('the test provider is not configured yet');
      return;
    }
    handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    async configure(consoleUrl) {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            token_endpoint_auth_method: 'none',
            redirect_uris: [`${consoleUrl}/auth/callback`],
            post_logout_redirect_uris: [`${consoleUrl}/sign-in`],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-provider-key', alg: 'RS256', use: 'sig' }] },
        cookies: { keys: ['oidc-test-cookie-key'] },
        // Any login is an account whose sub is that login (the dev login form takes any password).
        findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
        pkce: { required: () => true },
        features: {
          devInteractions: { enabled: true },
          rpInitiatedLogout: { enabled: true },
          resourceIndicators: {
            enabled: true,
            getResourceServerInfo: (_ctx, indicator) => {
              if (indicator !== audience) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
              return { scope: personScopes.join(' '), audience, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
            },
          },
        },
      });
      handle = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

let browser: Browser;
let provider: TestProvider;
let app: ConsoleService;

beforeAll(async () => {
  browser = await launchChromium();
  provider = await listenProvider();
  app = await startConsoleService({
    // This machine's in-process responder signs its own tokens with the local issuer.
    hostResponder: { name: host, actions: [] },
    env: {
      AUTH_ISSUER: provider.issuer,
      AUTH_AUDIENCE: audience,
      AUTH_JWKS_URL: `${provider.issuer}/jwks`,
      AUTH_ALGORITHMS: 'RS256',
      CONSOLE_OIDC_CLIENT_ID: clientId,
      CONSOLE_OIDC_RESOURCE: audience,
    },
  });
  await provider.configure(app.service.url);
});
afterAll(async () => {
  await browser.close();
  await app.close();
  await provider.close();
});

/** The provider's pages import a web font: answered empty, so the test touches no other host. */
async function offline(context: BrowserContext): Promise<void> {
  await context.route('https://fonts.googleapis.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/css', body: '' }));
}

/** What the page sends: authorization requests, token requests (their form bodies) and the API's bearer headers. */
function watchRequests(page: Page): { authorize: URL[]; token: URLSearchParams[]; bearer: string[] } {
  const seen = { authorize: [] as URL[], token: [] as URLSearchParams[], bearer: [] as string[] };
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin === provider.issuer && url.pathname === '/auth') seen.authorize.push(url);
    if (url.origin === provider.issuer && url.pathname === '/token' && request.method() === 'POST') seen.token.push(new URLSearchParams(request.postData() ?? ''));
    const authorization = request.headers()['authorization'];
    if (url.origin === app.service.url && url.pathname.startsWith('/v1/') && authorization !== undefined) seen.bearer.push(authorization);
  });
  return seen;
}

/** At the provider's login page: signs in as `login`, then consents. */
async function logInAtProvider(page: Page, login: string, screenshot?: string): Promise<void> {
  await page.waitForURL((url) => url.origin === provider.issuer && url.pathname.startsWith('/interaction/'));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  if (screenshot !== undefined) await saveScreenshot(page, screenshot);
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

async function storedEntries(page: Page): Promise<[string, string][]> {
  const json = await page.evaluate('JSON.stringify([...Object.entries(localStorage), ...Object.entries(sessionStorage)])');
  return JSON.parse(String(json)) as [string, string][];
}

describe('the console with an OIDC provider', () => {
  it('tells the console to sign in at the provider, allows it in connect-src, and turns local sign-in off', async () => {
    // Act
    const config = await fetch(`${app.service.url}/console-config.json`);
    const actionsPage = await fetch(`${app.service.url}/actions`);
    const localSignIn = await fetch(`${app.service.url}/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.service.url },
      body: JSON.stringify({ scopes: personScopes }),
    });

    // Assess
    expect(await config.json()).toEqual({ auth: { kind: 'oidc', authority: provider.issuer, clientId, scope: personScopes.join(' '), resource: audience } });
    const policy = actionsPage.headers.get('content-security-policy') ?? '';
    const connectSrc = policy.split(';').find((directive) => directive.trim().startsWith('connect-src'));
    expect(connectSrc).toContain(provider.issuer);
    expect(localSignIn.status).toBe(404);
    expect(app.service.auth).toMatchObject({ kind: 'oidc', issuer: provider.issuer });
  });

  it('signs in with authorization code and PKCE, returns to the page opened first, and keeps tokens out of storage', async () => {
    // Prepare
    const { page, context, problems, close } = await openConsolePage(browser);
    await offline(context);
    const seen = watchRequests(page);

    // Act
    await page.goto(`${app.service.url}/actions`);
    await logInAtProvider(page, person, 'oidc-provider-login');
    const history = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/actions' && response.request().method() === 'GET');
    await page.waitForURL(`${app.service.url}/actions`);

    // Assess
    expect((await history).status()).toBe(200);
    await page.getByRole('heading', { name: 'Action history', level: 1 }).waitFor();
    await page.getByRole('button', { name: person }).waitFor();
    await saveScreenshot(page, 'oidc-signed-in');
    const [authorize] = seen.authorize;
    expect(seen.authorize).toHaveLength(1);
    expect(authorize?.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize?.searchParams.get('resource')).toBe(audience);
    expect(seen.token).toHaveLength(1);
    expect(seen.token[0]?.get('grant_type')).toBe('authorization_code');
    expect(seen.token[0]?.get('code_verifier')).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(seen.token[0]?.get('resource')).toBe(audience);
    const bearer = seen.bearer[0] ?? '';
    expect(bearer).toMatch(/^Bearer ey/);
    const token = bearer.slice('Bearer '.length);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: provider.issuer, aud: audience, sub: person, client_id: clientId });
    const stored = await storedEntries(page);
    expect(stored.filter(([key, value]) => value.includes(token) || key.startsWith('oidc.') || /access_token|id_token|refresh_token/.test(value))).toEqual([]);
    expect(problems).toEqual([]);

    // The provider's token works from outside the browser too; the local issuer's and a stranger's do not.
    const other = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const foreign = await new SignJWT({ scope: personScopes.join(' ') })
      .setProtectedHeader({ alg: 'ES256', kid: 'stranger' })
      .setIssuer('https://idp.stranger.example')
      .setAudience(audience)
      .setSubject(person)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(other.privateKey);
    const localPerson = await app.service.issuer.issue({ sub: person, scopes: personScopes });
    const localOtherHost = await app.service.issuer.issue({ sub: 'responder:host/elsewhere', scopes: [respondScope], responder: { kind: 'host', name: 'elsewhere' } });
    const status = async (bearerToken: string): Promise<number> => (await fetch(`${app.service.url}/v1/actions`, { headers: { authorization: `Bearer ${bearerToken}` } })).status;
    expect(await status(token)).toBe(200);
    expect(await status(foreign)).toBe(401);
    expect(await status(localPerson)).toBe(401);
    expect(await status(localOtherHost)).toBe(401);
    // This machine's own responder got in with its local-issuer token: it registered.
    await expect
      .poll(async () => {
        const answer = await fetch(`${app.service.url}/v1/responders`, { headers: { authorization: bearer } });
        return JSON.stringify(await answer.json());
      })
      .toContain(host);
    await close();
  });

  it("lets this machine's own responder token in for its responder routes only: a person's routes answer 403", async () => {
    // Prepare: the token the in-process responder signs for itself with the local issuer.
    const own = await app.service.issuer.issue({ sub: `responder:host/${host}`, scopes: [respondScope], responder: { kind: 'host', name: host } });
    const withExtraScope = await app.service.issuer.issue({
      sub: `responder:host/${host}`,
      scopes: [respondScope, ...personScopes],
      responder: { kind: 'host', name: host },
    });
    const call = async (method: string, path: string, token: string, body?: unknown): Promise<number> =>
      (
        await fetch(`${app.service.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
      ).status;

    // Act
    const list = await call('GET', '/v1/actions', own);
    const create = await call('POST', '/v1/actions', own, { type: 'iam-quarantine', inputs: { 'aws.resource.arn': app.demo.userArn } });
    const approvals = await call('GET', '/v1/approvals', own);
    const responders = await call('GET', '/v1/responders', own);
    const widened = await call('GET', '/v1/actions', withExtraScope);

    // Assess
    expect([list, create, approvals, responders]).toEqual([403, 403, 403, 403]);
    expect(widened).toBe(401);
  });

  it('signs out at the provider too, so the next sign-in asks for the login again', async () => {
    // Prepare
    const { page, context, problems, close } = await openConsolePage(browser);
    await offline(context);
    await page.goto(`${app.service.url}/actions`);
    await logInAtProvider(page, person);
    await page.getByRole('button', { name: person }).waitFor();

    // Act
    await page.getByRole('button', { name: person }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${app.service.url}/sign-in`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    // Assess
    await page.waitForURL((url) => url.origin === provider.issuer && url.pathname.startsWith('/interaction/'));
    await page.locator('input[name="login"]').waitFor();
    expect((await storedEntries(page)).filter(([key]) => key.startsWith('oidc.user'))).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  });

  it('explains a sign-in refused at the provider (access_denied) and signs nobody in', async () => {
    // Prepare
    const { page, context, problems, close } = await openConsolePage(browser);
    await offline(context);
    const seen = watchRequests(page);
    await page.goto(`${app.service.url}/actions`);
    await page.waitForURL((url) => url.origin === provider.issuer && url.pathname.startsWith('/interaction/'));

    // Act
    await page.getByRole('link', { name: '[ Cancel ]' }).click();

    // Assess
    await page.getByText('The sign-in was cancelled or refused at the identity provider (access_denied)').waitFor();
    expect(new URL(page.url()).search).toBe('');
    expect(seen.token).toEqual([]);
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it('refuses an answer that no sign-in in this tab started (state mismatch)', async () => {
    // Prepare
    const { page, problems, close } = await openConsolePage(browser);
    const seen = watchRequests(page);

    // Act
    await page.goto(`${app.service.url}/auth/callback?code=forged-code&state=forged-state&iss=${encodeURIComponent(provider.issuer)}`);

    // Assess
    await page.getByText('This sign-in answer does not belong to a sign-in started in this tab').waitFor();
    expect(seen.token).toEqual([]);
    expect(new URL(page.url()).search).toBe('');
    expect(problems).toEqual([]);
    await close();
  });
});
