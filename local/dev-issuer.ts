import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK, JWTPayload } from 'jose';
import {
  eventsClaim,
  eventsScope,
  formatEventsClaim,
  formatResponderClaim,
  isScope,
  respondScope,
  responderClaim,
  scopes as knownScopes,
  type EventsGrant,
} from '#shared/auth/scopes.ts';
import type { ResponderBinding } from '#shared/auth/scopes.ts';
import { systemClock } from '#shared/clock.ts';
import type { Clock } from '#shared/clock.ts';
import type { Environment } from '#shared/config/config.ts';
import { createFileAtomically } from '#shared/fs/atomic-write.ts';

/**
 * The local development issuer: what stands in for the OIDC provider when the service runs on
 * one machine. It keeps one ES256 key pair in `<DATA_DIR>/auth/issuer-keys.json` (directory
 * 0700, file 0600, written atomically), signs access tokens with it, and publishes the public key
 * as a JWK set for the local verifier. The key is named by its RFC 7638 thumbprint (`kid`). To
 * change it, move the file away: a new key is made on the next start (tokens of the old one stop
 * working).
 */

export const devIssuerName = 'http://127.0.0.1/local-issuer';
export const devAudience = 'response-actions';
export const defaultTokenTtlSeconds = 60 * 60;
export const maxTokenTtlSeconds = 12 * 60 * 60;

/** `DATA_DIR` when unset: `.local/` in the checkout (git-ignored). */
export const defaultDataDir = fileURLToPath(new URL('../.local/', import.meta.url));

/** The data directory `DATA_DIR` names (relative to the working directory), or the default. */
export function dataDirFrom(env: Environment): string {
  const raw = env['DATA_DIR'];
  return raw === undefined || raw.trim() === '' ? defaultDataDir : resolve(raw.trim());
}

/**
 * The command that signs tokens with the key of the service on `dataDir`: `npm run token` reads
 * DATA_DIR the same way, so any DATA_DIR but the default is named in it (a token signed with
 * another DATA_DIR's key is refused with 401).
 */
export function tokenCommand(dataDir: string): string {
  if (resolve(dataDir) === resolve(defaultDataDir)) return 'npm run --silent token';
  return `DATA_DIR=${shellQuoted(resolve(dataDir))} npm run --silent token`;
}

function shellQuoted(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

export interface IssueRequest {
  readonly sub: string;
  readonly scopes: readonly string[];
  /** Defaults to one hour; at most twelve. */
  readonly ttlSeconds?: number;
  /** Required with `response-actions.respond`, refused without it. */
  readonly responder?: ResponderBinding;
  /** With `response-actions.events` only: the sources (and Falco hosts) the token may post findings for (`ra_events`). */
  readonly events?: readonly EventsGrant[];
}

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** Where the key lives: `<dataDir>/auth/issuer-keys.json`. */
  readonly keyFile: string;
  /** The `kid` tokens are signed with. */
  currentKid(): string;
  /** The public key only, always the same object. */
  jwks(): JSONWebKeySet;
  /** A signed access token (ES256, `typ: at+jwt`) carrying these scopes. */
  issue(request: IssueRequest): Promise<string>;
}

export interface DevIssuerOptions {
  readonly clock?: Clock;
  /** Where warnings about the key file go (stderr by default; never stdout). */
  readonly warn?: (message: string) => void;
}

/** Loads the issuer's key from `<dataDir>/auth/`, creating it on first use. */
export async function openDevIssuer(dataDir: string, options: DevIssuerOptions = {}): Promise<DevIssuer> {
  const clock = options.clock ?? systemClock;
  const warn = options.warn ?? ((message: string) => {
    console.warn(`local issuer: ${message}`);
  });
  const authDir = join(resolve(dataDir), 'auth');
  const keyFile = join(authDir, 'issuer-keys.json');
  await ensurePrivateDirectory(authDir, warn);

  const { kid, privateJwk } = await loadOrCreate(keyFile, warn);
  const signing = await importJWK({ ...privateJwk, alg: 'ES256' }, 'ES256');
  if (signing instanceof Uint8Array) throw new TypeError('the issuer key must be an EC key, not a secret');
  const published: JSONWebKeySet = Object.freeze({
    keys: Object.freeze([Object.freeze({ ...publicPart(privateJwk), kid, alg: 'ES256', use: 'sig' })]) as JWK[],
  });

  return {
    issuer: devIssuerName,
    audience: devAudience,
    keyFile,
    currentKid: () => kid,
    jwks: () => published,
    issue: (request) => signToken(request, { kid, signing, clock }),
  };
}

// ---- Tokens ------------------------------------------------------------------------------

async function signToken(request: IssueRequest, key: { readonly kid: string; readonly signing: CryptoKey; readonly clock: Clock }): Promise<string> {
  const claims = checkedClaims(request);
  const ttl = request.ttlSeconds ?? defaultTokenTtlSeconds;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > maxTokenTtlSeconds) {
    throw new RangeError(`token lifetime must be a whole number of seconds from 1 to ${maxTokenTtlSeconds}, not ${ttl}`);
  }
  const now = Math.floor(key.clock.now().getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
    .setIssuer(devIssuerName)
    .setAudience(devAudience)
    .setSubject(request.sub)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ttl)
    .setJti(randomUUID())
    .sign(key.signing);
}

function checkedClaims(request: IssueRequest): JWTPayload {
  if (request.sub.trim() === '' || request.sub.length > 256 || /\p{Cc}/u.test(request.sub)) {
    throw new RangeError('sub must be 1 to 256 characters without control characters');
  }
  const unknown = request.scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0) {
    throw new RangeError(`unknown scope ${unknown.join(', ')}; valid scopes: ${knownScopes.join(', ')}`);
  }
  const scopes = [...new Set(request.scopes)];
  const responds = scopes.includes(respondScope);
  if (responds && request.responder === undefined) {
    throw new RangeError(`${respondScope} needs a responder binding (host/<host.id> or kubernetes/<cluster>)`);
  }
  if (!responds && request.responder !== undefined) {
    throw new RangeError(`a responder binding needs the ${respondScope} scope`);
  }
  if (request.events !== undefined && (!scopes.includes(eventsScope) || request.events.length === 0)) {
    throw new RangeError(`an events binding needs the ${eventsScope} scope and at least one source`);
  }
  return {
    scope: scopes.join(' '),
    ...(request.responder === undefined ? {} : { [responderClaim]: formatResponderClaim(request.responder) }),
    ...(request.events === undefined ? {} : { [eventsClaim]: formatEventsClaim(request.events) }),
  };
}

// ---- The key -----------------------------------------------------------------------------

interface SigningKey {
  readonly kid: string;
  readonly privateJwk: JWK;
}

async function loadOrCreate(keyFile: string, warn: (message: string) => void): Promise<SigningKey> {
  const existing = await readKeyFile(keyFile, warn);
  if (existing !== undefined) return parseKeyFile(existing, keyFile);
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const created: SigningKey = { kid: await calculateJwkThumbprint(publicPart(privateJwk), 'sha256'), privateJwk };
  if (await createFileAtomically(keyFile, `${JSON.stringify({ version: 1, signing: created }, null, 2)}\n`, { mode: 0o600 })) return created;
  // Another process created it first: use theirs, so both sign with the same key.
  const theirs = await readKeyFile(keyFile, warn);
  if (theirs === undefined) throw new Error(`${keyFile} vanished while it was being created; try again`);
  return parseKeyFile(theirs, keyFile);
}

function publicPart(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

function parseKeyFile(text: string, keyFile: string): SigningKey {
  const corrupt = (what: string): Error =>
    new Error(`${keyFile} is not a usable issuer key file (${what}); move it away to make a new key (tokens it issued stop working)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  if (!isRecord(parsed) || parsed['version'] !== 1) throw corrupt('unknown version');
  const signing = parsed['signing'];
  if (!isRecord(signing) || typeof signing['kid'] !== 'string' || !isPrivateEcJwk(signing['privateJwk'])) throw corrupt('no ES256 signing key');
  return { kid: signing['kid'], privateJwk: signing['privateJwk'] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrivateEcJwk(value: unknown): value is JWK {
  return (
    isRecord(value) &&
    value['kty'] === 'EC' &&
    value['crv'] === 'P-256' &&
    typeof value['x'] === 'string' &&
    typeof value['y'] === 'string' &&
    typeof value['d'] === 'string'
  );
}

// ---- The key file on disk ---------------------------------------------------------------------

const posix = process.platform !== 'win32';

async function ensurePrivateDirectory(directory: string, warn: (message: string) => void): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  if (!posix) return;
  const info = await stat(directory);
  refuseForeignOwner(directory, info.uid);
  if ((info.mode & 0o077) !== 0) {
    await chmod(directory, 0o700);
    warn(`${directory} was open to other users (mode ${octal(info.mode)}); set it to 0700`);
  }
}

/** The key file's text, or undefined when there is none. Never follows a symbolic link. */
async function readKeyFile(keyFile: string, warn: (message: string) => void): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(keyFile, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    if (errorCode(error) === 'ELOOP') throw new Error(`${keyFile} is a symbolic link; refusing to use it as the issuer key`, { cause: error });
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${keyFile} is not a regular file`);
    if (posix) {
      refuseForeignOwner(keyFile, info.uid);
      if ((info.mode & 0o077) !== 0) {
        await handle.chmod(0o600);
        warn(
          `${keyFile} was readable by other users (mode ${octal(info.mode)}); set it to 0600. ` +
            'If others could have read it, move it away so a new key is made.',
        );
      }
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

function refuseForeignOwner(path: string, uid: number): void {
  const me = process.getuid?.();
  if (me !== undefined && uid !== me) {
    throw new Error(`${path} belongs to another user (uid ${uid}); refusing to use issuer keys someone else could have planted`);
  }
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
