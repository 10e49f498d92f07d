import type { IncomingMessage, ServerResponse } from 'node:http';
import { logger } from '#shared/log.ts';
import type { DevIssuer } from '../dev-issuer.ts';

/** The scopes a person may sign in with locally: API.md's four; never a responder's or a finding source's. */
export const localSignInScopes = [
  'containment-response-actions.exec',
  'containment-response-actions.read',
  'data-gathering-response-actions.exec',
  'data-gathering-response-actions.read',
] as const;

/** One hour, as `npm run token`. */
const tokenTtlSeconds = 3600;
const maxBodyBytes = 4096;

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * `POST /local/sign-in` with `{ "scopes": [...], "sub"? }`: a token of the local development issuer
 * for the console's `Sign in locally` button. The service listens on loopback only, and this route
 * answers only a request the console itself makes: the Host is this loopback address (a page on
 * another site whose name was pointed at 127.0.0.1 cannot use it), the Origin is that same address
 * (another site's page cannot post here), and the body is JSON (no plain HTML form can send it).
 * It adds nothing a local user could not already do with `npm run token`, which reads the same key.
 */
export function localSignIn(issuer: DevIssuer): Handler {
  return async (request, response) => {
    if (request.method !== 'POST') {
      request.resume();
      problem(response, 405, 'Method Not Allowed', 'use POST', [], { allow: 'POST' });
      return;
    }
    const host = request.headers.host ?? '';
    if (!isLoopbackHost(host)) {
      request.resume();
      problem(response, 403, 'Forbidden', 'local sign-in answers only requests addressed to this machine’s loopback address', []);
      return;
    }
    const origin = request.headers.origin;
    if (origin !== `http://${host}`) {
      request.resume();
      problem(response, 403, 'Forbidden', 'local sign-in answers only the console served by this service (the Origin must be this service)', []);
      return;
    }
    const fetchSite = request.headers['sec-fetch-site'];
    if (fetchSite !== undefined && fetchSite !== 'same-origin') {
      request.resume();
      problem(response, 403, 'Forbidden', 'local sign-in answers only same-origin requests', []);
      return;
    }
    if ((request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() !== 'application/json') {
      request.resume();
      problem(response, 415, 'Unsupported Media Type', 'the body must be application/json', [{ path: 'content-type', message: 'must be application/json' }]);
      return;
    }
    const text = await readBody(request);
    if (text === null) {
      problem(response, 413, 'Content Too Large', `the body must be at most ${maxBodyBytes} bytes`, []);
      return;
    }
    const parsed = parseRequest(text);
    if ('errors' in parsed) {
      problem(response, 400, 'Invalid request', parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; '), parsed.errors);
      return;
    }
    const token = await issuer.issue({ sub: parsed.sub, scopes: parsed.scopes, ttlSeconds: tokenTtlSeconds });
    logger.info('local sign-in', { sub: parsed.sub, scopes: parsed.scopes });
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' });
    response.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: tokenTtlSeconds, scope: parsed.scopes.join(' ') }));
  };
}

interface FieldError {
  readonly path: string;
  readonly message: string;
}

function parseRequest(text: string): { sub: string; scopes: string[] } | { errors: FieldError[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { errors: [{ path: 'body', message: 'is not valid JSON' }] };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { errors: [{ path: 'body', message: 'must be a JSON object' }] };
  const fields = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const name of Object.keys(fields)) {
    if (name !== 'scopes' && name !== 'sub') errors.push({ path: name, message: 'is not a field of a local sign-in' });
  }
  const scopes = fields['scopes'];
  const allowed: readonly string[] = localSignInScopes;
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
  if (errors.length > 0) return { errors };
  return { sub, scopes: [...new Set(scopes as string[])] };
}

function isLoopbackHost(host: string): boolean {
  const match = /^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/.exec(host);
  return match !== null;
}

async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBodyBytes) {
      request.resume();
      return null;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function problem(response: ServerResponse, status: number, title: string, detail: string, errors: readonly FieldError[], extra: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...extra });
  response.end(JSON.stringify({ type: 'about:blank', title, status, detail, ...(errors.length > 0 ? { errors } : {}) }));
}
