import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleSite } from '#local/console/console-site.ts';

// shared/http/console-pages.ts names the console's page addresses again (index.html only for those,
// a 404 for any other path, locally and by CloudFront); this reads the routes from
// console/src/app.tsx itself, so a page added there and not there fails.
let server: Server;
let base: string;
let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'console-pages-'));
  await writeFile(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  const site = createConsoleSite({ dir: dist, auth: { kind: 'unconfigured', reason: 'not needed here' } });
  server = createServer((request, response) => void site.serve(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  await rm(dist, { recursive: true, force: true });
});

/** The `path` of every `<Route>` in app.tsx, `{callbackPath}` read from auth/oidc.ts; the catch-all `*` left out. */
async function appRoutes(): Promise<string[]> {
  const app = await readFile(new URL('../../../console/src/app.tsx', import.meta.url), 'utf8');
  const oidc = await readFile(new URL('../../../console/src/auth/oidc.ts', import.meta.url), 'utf8');
  const callbackPath = /export const callbackPath = '([^']+)'/.exec(oidc)?.[1];
  const paths = [...app.matchAll(/<Route\s+path=(?:"([^"]+)"|\{(\w+)\})/g)].map(([, literal, name]) =>
    literal ?? (name === 'callbackPath' ? callbackPath : `unknown constant ${name ?? ''}`),
  );
  return paths.filter((path): path is string => path !== undefined && path !== '*');
}

/** An address the route matches: `:id` as one segment, a trailing `*` as a resource key with slashes. */
function addressOf(route: string): string {
  return route.replace(/:\w+/g, 'a1b2').replace(/\*$/, 'arn%3Aaws%3Aiam%3A%3A1%3Auser%2Fx/y');
}

describe('the console site serves every page of the app', () => {
  it('finds the routes in app.tsx', async () => {
    // Act
    const routes = await appRoutes();

    // Assess
    expect(routes).toContain('/actions/:id');
    expect(routes).toContain('/auth/callback');
    expect(routes.length).toBeGreaterThan(10);
  });

  it('answers index.html at each route of app.tsx', async () => {
    // Prepare
    const addresses = (await appRoutes()).map(addressOf);

    // Act
    const answers = await Promise.all(addresses.map(async (address) => [address, (await fetch(`${base}${address}`)).status] as const));

    // Assess
    expect(answers.filter(([, status]) => status !== 200)).toEqual([]);
  });
});
