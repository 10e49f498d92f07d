import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRewriteFunctionCode } from '#infra/constructs/console-site.ts';
import { serveConsoleSite, type ServedConsoleSite } from '#test/support/console-site-server.ts';
import { viewerRequestHandler } from './support/cloudfront-function.ts';

/**
 * One table of paths for both servers of the console: `app` is a page address (index.html, the
 * router takes over), `file` a file of the build, `none` anything else. CloudFront rewrites only
 * `app` to /index.html (the rest goes to the bucket as asked, and a missing key is refused there);
 * the local server answers `app` with index.html, `file` with the file and `none` with 404.
 */
const paths: readonly (readonly [string, 'app' | 'file' | 'none'])[] = [
  ['/', 'app'],
  ['/sign-in', 'app'],
  ['/auth/callback', 'app'],
  ['/actions', 'app'],
  ['/actions/01J9ZQ4T7N3V5X8Y2B6C0D1E2F', 'app'],
  ['/resources/arn%3Aaws%3Aec2%3Aeu-west-1%3A111111111111%3Ainstance%2Fi-1', 'app'],
  // A resource key with a dot (a bucket, a host name) is still a page, not a file.
  ['/resources/arn:aws:s3:::logs.example.com', 'app'],
  ['/resources/host/node-7.example.com', 'app'],
  ['/run', 'app'],
  ['/playbooks', 'app'],
  ['/playbooks/contain-host', 'app'],
  ['/playbook-runs', 'app'],
  ['/playbook-runs/run-1', 'app'],
  ['/approvals', 'app'],
  ['/approvals/approval-1', 'app'],
  ['/events', 'app'],
  ['/responders', 'app'],
  ['/index.html', 'file'],
  ['/assets/index-abc123.js', 'file'],
  ['/favicon.svg', 'file'],
  ['/assets/missing-abc123.js', 'none'],
  ['/actions/', 'none'],
  ['/actions/one/two', 'none'],
  ['/unknown', 'none'],
  ['/latest/meta-data/iam', 'none'],
  ['/some-bucket/some-key', 'none'],
  ['/v1', 'none'],
  ['/v1/actions', 'none'],
];

describe('console page addresses: CloudFront and the local server agree', () => {
  const rewrite = viewerRequestHandler(consoleRewriteFunctionCode);
  let root: string;
  let site: ServedConsoleSite;
  let base: string;

  beforeAll(async () => {
    // Prepare: a build with index.html, an asset and a top-level file, served by the local console site
    root = await mkdtemp(join(tmpdir(), 'response-actions-console-pages-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>console app</title>');
    await writeFile(join(root, 'assets', 'index-abc123.js'), 'file /assets/index-abc123.js');
    await writeFile(join(root, 'favicon.svg'), 'file /favicon.svg');
    site = await serveConsoleSite({ dir: root, auth: { kind: 'unconfigured', reason: 'not needed here' } });
    base = site.base;
  });

  afterAll(async () => {
    await site.close();
    await rm(root, { recursive: true, force: true });
  });

  it.each(paths)('%s is %s for both', async (path, kind) => {
    // Act
    const cloudFront = rewrite({ request: { uri: path } }).uri;
    const local = await fetch(`${base}${path}`);
    const body = await local.text();

    // Assess
    expect(cloudFront).toBe(kind === 'app' ? '/index.html' : path);
    expect(local.status).toBe(kind === 'none' ? 404 : 200);
    if (kind === 'app') expect(body).toContain('console app');
    if (kind === 'file') expect(body).toContain(path === '/index.html' ? 'console app' : `file ${path}`);
  });

  it('finds the routes in app.tsx', async () => {
    // Act
    const routes = await appRoutes();

    // Assess
    expect(routes).toContain('/actions/:id');
    expect(routes).toContain('/auth/callback');
    expect(routes.length).toBeGreaterThan(10);
  });

  it('serves index.html at each route of app.tsx, on both', async () => {
    // Prepare: shared/http/console-pages.ts names the page addresses again; a page added to app.tsx and not there fails here
    const addresses = (await appRoutes()).map(addressOf);

    // Act
    const answers = await Promise.all(addresses.map(async (address) => [address, (await fetch(`${base}${address}`)).status, rewrite({ request: { uri: address } }).uri] as const));

    // Assess
    expect(answers.filter(([, status, cloudFront]) => status !== 200 || cloudFront !== '/index.html')).toEqual([]);
  });
});

/** The `path` of every `<Route>` in app.tsx, `{callbackPath}` read from auth/oidc.ts; the catch-all `*` left out. */
async function appRoutes(): Promise<string[]> {
  const app = await readFile(new URL('../../console/src/app.tsx', import.meta.url), 'utf8');
  const oidc = await readFile(new URL('../../console/src/auth/oidc.ts', import.meta.url), 'utf8');
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
