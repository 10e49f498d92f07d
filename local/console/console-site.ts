import { createReadStream } from 'node:fs';
import { lstat, readFile, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '#shared/log.ts';
import { consoleSecurityHeaders } from '#shared/http/console-headers.ts';
import { consolePagePattern } from '#shared/http/console-pages.ts';
import type { DevIssuer } from '../dev-issuer.ts';
import type { ConsoleAuthSettings } from './console-auth-config.ts';
import { localSignIn } from './local-sign-in.ts';

/** The built console (`npm run console:build`). */
export const defaultConsoleDir = fileURLToPath(new URL('../../console/dist/', import.meta.url));

/** How the console signs in, as `/console-config.json` tells it; signing in locally needs the issuer that signs. */
export type ConsoleAuth = { readonly kind: 'local'; readonly issuer: DevIssuer } | Exclude<ConsoleAuthSettings, { readonly kind: 'local' }>;

export interface ConsoleSiteOptions {
  /** Where index.html and assets/ are; default {@link defaultConsoleDir}. */
  readonly dir?: string;
  readonly auth: ConsoleAuth;
}

export interface ConsoleSite {
  /** Serves every request whose path is not the API's (`/v1/...`): the files, the config, local sign-in. */
  readonly serve: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}


const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The console as CloudFront serves it in AWS: the built files with the same security headers,
 * index.html for every page address (`/actions/{id}`, `/resources/{key}`, ...), `/console-config.json`
 * saying how to sign in, and locally `POST /local/sign-in` (the development issuer's token for the
 * `Sign in locally` button).
 */
export function createConsoleSite(options: ConsoleSiteOptions): ConsoleSite {
  const dir = options.dir ?? defaultConsoleDir;
  const headers = consoleSecurityHeaders(options.auth.kind === 'oidc' ? [new URL(options.auth.authority).origin] : []);
  // The settings are the file's shape already (console/src/config.ts reads it); only the issuer stays here.
  const configBody = JSON.stringify({ auth: options.auth.kind === 'local' ? { kind: 'local' } : options.auth });
  const signIn = options.auth.kind === 'local' ? localSignIn(options.auth.issuer) : null;

  return {
    serve: async (request, response) => {
      // Appended, not resolved: a target starting with `//` stays a path instead of naming a host.
      const url = new URL(`http://localhost${request.url ?? '/'}`);
      const method = request.method ?? 'GET';
      if (url.pathname === '/local/sign-in') {
        if (signIn === null) {
          reply(response, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'local sign-in is off: this service uses an OIDC provider');
          return;
        }
        await signIn(request, response);
        return;
      }
      if (method !== 'GET' && method !== 'HEAD') {
        request.resume();
        reply(response, 405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, `${method} is not allowed on ${url.pathname}`);
        return;
      }
      if (url.pathname === '/console-config.json') {
        reply(response, 200, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' }, method === 'HEAD' ? '' : configBody);
        return;
      }
      const file = await resolveFile(dir, url.pathname);
      if (file === 'bad-path') {
        reply(response, 400, { ...headers, 'content-type': 'text/plain; charset=utf-8' }, 'not a valid path');
        return;
      }
      if (file !== null) {
        // Decided on the file found: only the hashed bundle files never change under their name.
        const immutable = file.relative.startsWith(`assets${sep}`);
        response.writeHead(200, {
          ...headers,
          'content-type': contentTypes[extname(file.path)] ?? 'application/octet-stream',
          'content-length': String(file.size),
          'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        });
        if (method === 'HEAD') response.end();
        else createReadStream(file.path).pipe(response);
        return;
      }
      // Only the console's own page addresses get the app; anything else (a missing asset, a store
      // client probing the port) is a 404, so no other path ever appears to answer.
      if (!consolePagePattern.test(url.pathname)) {
        reply(response, 404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }, `no file ${url.pathname}`);
        return;
      }
      // Read per page load, not once at start: `npm run console:build` while this runs replaces the
      // hashed assets index.html names, and a page is loaded once per visit (the app routes itself).
      let index: Buffer;
      try {
        index = await readFile(join(dir, 'index.html'));
      } catch (error) {
        logger.warn('the console is not built', { dir, error });
        reply(
          response,
          503,
          { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
          'The console is not built in this checkout: run `npm run console:build` (npm start does it for you), then reload.\n',
        );
        return;
      }
      response.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-length': String(index.length) });
      response.end(method === 'HEAD' ? undefined : index);
    },
  };
}

/** A regular file under `dir` for this URL path; null when there is none; never a link or a path out of `dir`. */
async function resolveFile(dir: string, pathname: string): Promise<{ path: string; relative: string; size: number } | null | 'bad-path'> {
  // An encoded slash or backslash would name another file than the path's own segments say: never
  // a file (a page address may hold one: a resource key is one encoded segment).
  if (/%(2f|5c)/i.test(pathname)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 'bad-path';
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return 'bad-path';
  if (decoded === '/' || decoded.endsWith('/')) return null;
  const relative = normalize(decoded).replace(/^[/\\]+/, '');
  if (relative.split(sep).includes('..')) return 'bad-path';
  const path = join(dir, relative);
  if (!path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`)) return 'bad-path';
  try {
    // lstat sees only the last name; a linked folder on the way (dist/assets -> /) would lead out of dir.
    // Any link on the way makes the real path differ from the one asked for.
    const [real, realDir] = await Promise.all([realpath(path), realpath(dir)]);
    if (real !== join(realDir, relative)) return null;
    const stats = await lstat(real);
    return stats.isFile() ? { path: real, relative, size: stats.size } : null;
  } catch {
    return null;
  }
}

function reply(response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  response.writeHead(status, headers);
  response.end(body);
}
