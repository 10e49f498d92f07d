import type { IncomingMessage, ServerResponse } from 'node:http';
import { personScopes } from '#functions/auth/person-groups.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import { HttpProblem, invalidRequest } from '#shared/http/problem.ts';
import { logger } from '#shared/log.ts';
import type { DevIssuer } from '../dev-issuer.ts';
import { readBody, sendProblem } from '../http-server.ts';
import { ipv4SocketTable, loopbackPeerUid } from './loopback-peer.ts';

/** One hour, as `npm run token`. */
const tokenTtlSeconds = 3600;
const maxBodyBytes = 4096;

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * `POST /local/sign-in` with `{ "scopes": [...], "sub"? }`: a token of the local development issuer
 * for the console's `Sign in locally` button. The service listens on loopback only, and this route
 * answers only a request the console itself makes: the Host is exactly the address it listens on,
 * 127.0.0.1 and its port (a page on another site whose name was pointed at 127.0.0.1 cannot use it,
 * nor one served at `localhost` by another user's server on ::1), the Origin is that same address
 * (another site's page cannot post here), the connection is the service's own user's (another user
 * of this machine, who cannot read the key `npm run token` reads, gets 403), and the body is JSON
 * (no plain HTML form can send it). It adds nothing this user could not do with `npm run token`.
 */
export function localSignIn(issuer: DevIssuer): Handler {
  return async (request, response) => {
    let signIn: { sub: string; scopes: string[] };
    try {
      refuseForeignRequest(request);
      await refuseOtherUsers(request);
      signIn = parseRequest((await readBody(request, maxBodyBytes)).toString('utf8'));
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      request.resume();
      sendProblem(response, error, { 'cache-control': 'no-store' });
      return;
    }
    const token = await issuer.issue({ sub: signIn.sub, scopes: signIn.scopes, ttlSeconds: tokenTtlSeconds });
    logger.info('local sign-in', { sub: signIn.sub, scopes: signIn.scopes });
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' });
    response.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: tokenTtlSeconds, scope: signIn.scopes.join(' ') }));
  };
}

/** Throws the problem (405, 403, 415) unless this is a JSON POST the console served here made. */
function refuseForeignRequest(request: IncomingMessage): void {
  if (request.method !== 'POST') throw new HttpProblem(405, 'Method Not Allowed', 'use POST', { headers: { allow: 'POST' } });
  // Exactly the address the service listens on: `localhost` or `[::1]` may reach another user's
  // server on ::1 at this port first, whose page would then share the name's origin with this one.
  const host = request.headers.host ?? '';
  const own = `127.0.0.1:${String(request.socket.localPort)}`;
  if (host !== own) throw new HttpProblem(403, 'Forbidden', `local sign-in answers only requests addressed to http://${own}, the address this service listens on: open the console there`);
  if (request.headers.origin !== `http://${host}`) {
    throw new HttpProblem(403, 'Forbidden', 'local sign-in answers only the console served by this service (the Origin must be this service)');
  }
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin') throw new HttpProblem(403, 'Forbidden', 'local sign-in answers only same-origin requests');
  if ((request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() !== 'application/json') {
    throw new HttpProblem(415, 'Unsupported Media Type', 'content-type must be application/json: the body is JSON', { errors: [{ path: 'content-type', message: 'must be application/json' }] });
  }
}

/**
 * Throws 403 unless the connection was made by the user running the service. Loopback is open to
 * every user of this machine, but only this one can read the issuer's key (`npm run token`), so a
 * sign-in must not give another user more. Where the connecting user cannot be told, it is refused.
 */
async function refuseOtherUsers(request: IncomingMessage): Promise<void> {
  const peer = await loopbackPeerUid(request.socket);
  const self = process.getuid?.();
  if (peer === undefined || self === undefined) {
    throw new HttpProblem(403, 'Forbidden', `local sign-in could not tell which user made this connection (it reads ${ipv4SocketTable}, on Linux); use npm run token, or an OIDC provider (AUTH_ISSUER)`);
  }
  if (peer !== self) throw new HttpProblem(403, 'Forbidden', 'local sign-in answers only the user running this service; another user of this machine signs in with an OIDC provider (AUTH_ISSUER)');
}

/** The body's sign-in; a 400 naming every field that is wrong. */
function parseRequest(text: string): { sub: string; scopes: string[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidRequest([{ path: 'body', message: 'is not valid JSON' }]);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest([{ path: 'body', message: 'must be a JSON object' }]);
  const fields = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const name of Object.keys(fields)) {
    if (name !== 'scopes' && name !== 'sub') errors.push({ path: name, message: 'is not a field of a local sign-in' });
  }
  const scopes = fields['scopes'];
  const allowed: readonly string[] = personScopes;
  if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > allowed.length) {
    errors.push({ path: 'scopes', message: `must be a list of 1 to ${allowed.length} of: ${allowed.join(', ')}` });
  } else {
    scopes.forEach((scope, index) => {
      if (typeof scope !== 'string' || !allowed.includes(scope)) errors.push({ path: `scopes[${index}]`, message: `must be one of: ${allowed.join(', ')}` });
    });
  }
  const raw = fields['sub'] ?? 'local-user';
  // Checked as recorded (trimmed) and as read (NFKC, any case): ` automation:r1` or `ＡUTOMATION：r1` must not pass for a rule.
  const sub = typeof raw === 'string' ? raw.trim() : '';
  const read = sub.normalize('NFKC').toLowerCase();
  if (sub === '' || sub.length > 128 || /[\p{Cc}\p{Cf}]/u.test(sub) || read.startsWith('automation:') || read.includes('/')) {
    errors.push({ path: 'sub', message: 'must be 1 to 128 characters without control characters, slashes or the automation: prefix' });
  }
  if (errors.length > 0) throw invalidRequest(errors);
  return { sub, scopes: [...new Set(scopes as string[])] };
}
