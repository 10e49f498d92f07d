import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK, JWTPayload } from 'jose';
import { formatResponderClaim, isScope, respondScope, responderClaim, scopes as knownScopes } from '#shared/auth/scopes.ts';
import type { ResponderBinding } from '#shared/auth/scopes.ts';
import { systemClock } from '#shared/clock.ts';
import type { Clock } from '#shared/clock.ts';
import type { Environment } from '#shared/config/config.ts';

/**
 * The local development issuer: what stands in for the OIDC provider when the service runs on
 * one machine. It keeps an ES256 key pair in `<DATA_DIR>/auth/issuer-keys.json` (directory
 * 0700, file 0600, written atomically), signs access tokens with it, and publishes the public
 * keys as a JWK set for the local verifier. Keys are named by their RFC 7638 thumbprint (`kid`);
 * `rotate()` makes a new current key and keeps retired public keys until every token they
 * signed has expired.
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

export interface IssueRequest {
  readonly sub: string;
  readonly scopes: readonly string[];
  /** Defaults to one hour; at most twelve. */
  readonly ttlSeconds?: number;
  /** Required with `response-actions.respond`, refused without it. */
  readonly responder?: ResponderBinding;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** Where the keys live: `<dataDir>/auth/issuer-keys.json`. */
  readonly keyFile: string;
  /** The `kid` new tokens are signed with. */
  currentKid(): string;
  /** Public keys only: the current one and retired ones still verifying live tokens. Same object until a rotation. */
  jwks(): JSONWebKeySet;
  /** A signed access token (ES256, `typ: at+jwt`) carrying these scopes. */
  issue(request: IssueRequest): Promise<string>;
  /**
   * Makes a new current key and keeps the previous one's public key for verification.
   * Other processes using the same key file see the new key when they next open it.
   * Returns the new `kid`.
   */
  rotate(): Promise<string>;
}

export interface DevIssuerOptions {
  readonly clock?: Clock;
  /** Where warnings about the key file go (stderr by default; never stdout). */
  readonly warn?: (message: string) => void;
}

/** Loads the issuer's keys from `<dataDir>/auth/`, creating them on first use. */
export async function openDevIssuer(dataDir: string, options: DevIssuerOptions = {}): Promise<DevIssuer> {
  const clock = options.clock ?? systemClock;
  const warn = options.warn ?? ((message: string) => {
    console.warn(`local issuer: ${message}`);
  });
  const authDir = join(resolve(dataDir), 'auth');
  const keyFile = join(authDir, 'issuer-keys.json');
  await ensurePrivateDirectory(authDir, warn);

  let state = await loadOrCreate(keyFile, clock, warn);
  let signing = await signingKeyOf(state);
  let published = publicKeySet(state, clock);
  let rotation: Promise<unknown> = Promise.resolve();

  async function rotateNow(): Promise<string> {
    // Build on what is on disk, in case another process rotated meanwhile.
    const latest = parseKeyFile((await readKeyFile(keyFile, warn)) ?? serialize(state), keyFile);
    const next = await newKeyFile(clock, latest);
    await writeKeyFile(keyFile, serialize(next), 'replace');
    state = next;
    signing = await signingKeyOf(next);
    published = publicKeySet(next, clock);
    return next.signing.kid;
  }

  return {
    issuer: devIssuerName,
    audience: devAudience,
    keyFile,
    currentKid: () => state.signing.kid,
    jwks: () => published,
    async issue(request) {
      const claims = checkedClaims(request);
      const ttl = request.ttlSeconds ?? defaultTokenTtlSeconds;
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > maxTokenTtlSeconds) {
        throw new RangeError(`token lifetime must be a whole number of seconds from 1 to ${maxTokenTtlSeconds}, not ${ttl}`);
      }
      const now = Math.floor(clock.now().getTime() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: state.signing.kid, typ: 'at+jwt' })
        .setIssuer(devIssuerName)
        .setAudience(devAudience)
        .setSubject(request.sub)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + ttl)
        .setJti(randomUUID())
        .sign(signing);
    },
    rotate() {
      const next = rotation.then(rotateNow);
      rotation = next.catch(() => undefined);
      return next;
    },
  };
}

// ---- Claims ------------------------------------------------------------------------------

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
  return {
    scope: scopes.join(' '),
    ...(request.responder === undefined ? {} : { [responderClaim]: formatResponderClaim(request.responder) }),
  };
}

// ---- Keys --------------------------------------------------------------------------------

interface SigningKeyEntry {
  readonly kid: string;
  readonly createdAt: string;
  readonly privateJwk: JWK;
}

interface RetiredKeyEntry {
  readonly kid: string;
  readonly createdAt: string;
  readonly retiredAt: string;
  readonly publicJwk: JWK;
}

interface KeyFile {
  readonly version: 1;
  readonly signing: SigningKeyEntry;
  readonly retired: readonly RetiredKeyEntry[];
}

// A retired key verifies until the last token it could have signed has expired (plus skew).
const retiredKeyKeepMs = (maxTokenTtlSeconds + 300) * 1000;

async function loadOrCreate(keyFile: string, clock: Clock, warn: (message: string) => void): Promise<KeyFile> {
  const existing = await readKeyFile(keyFile, warn);
  if (existing !== undefined) return parseKeyFile(existing, keyFile);
  const created = await newKeyFile(clock);
  if (await writeKeyFile(keyFile, serialize(created), 'create')) return created;
  // Another process created it first: use theirs, so both sign with the same key.
  const theirs = await readKeyFile(keyFile, warn);
  if (theirs === undefined) throw new Error(`${keyFile} vanished while it was being created; try again`);
  return parseKeyFile(theirs, keyFile);
}

async function newKeyFile(clock: Clock, previous?: KeyFile): Promise<KeyFile> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const now = clock.now();
  const signing: SigningKeyEntry = {
    kid: await calculateJwkThumbprint(publicPart(privateJwk), 'sha256'),
    createdAt: now.toISOString(),
    privateJwk,
  };
  if (previous === undefined) return { version: 1, signing, retired: [] };
  const justRetired: RetiredKeyEntry = {
    kid: previous.signing.kid,
    createdAt: previous.signing.createdAt,
    retiredAt: now.toISOString(),
    publicJwk: publicPart(previous.signing.privateJwk),
  };
  return { version: 1, signing, retired: [justRetired, ...stillVerifying(previous.retired, now)] };
}

function stillVerifying(retired: readonly RetiredKeyEntry[], now: Date): RetiredKeyEntry[] {
  return retired.filter((entry) => Date.parse(entry.retiredAt) + retiredKeyKeepMs > now.getTime());
}

function publicPart(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

function publicKeySet(state: KeyFile, clock: Clock): JSONWebKeySet {
  const verificationKey = (kid: string, jwk: JWK): JWK => Object.freeze({ ...publicPart(jwk), kid, alg: 'ES256', use: 'sig' });
  return Object.freeze({
    keys: Object.freeze([
      verificationKey(state.signing.kid, state.signing.privateJwk),
      ...stillVerifying(state.retired, clock.now()).map((entry) => verificationKey(entry.kid, entry.publicJwk)),
    ]) as JWK[],
  });
}

async function signingKeyOf(state: KeyFile): Promise<CryptoKey> {
  const key = await importJWK({ ...state.signing.privateJwk, alg: 'ES256' }, 'ES256');
  if (key instanceof Uint8Array) throw new TypeError('the issuer key must be an EC key, not a secret');
  return key;
}

function serialize(state: KeyFile): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

function parseKeyFile(text: string, keyFile: string): KeyFile {
  const corrupt = (what: string): Error =>
    new Error(
      `${keyFile} is not a usable issuer key file (${what}); move it away to make a new key (tokens it issued stop working)`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  if (!isRecord(parsed) || parsed['version'] !== 1) throw corrupt('unknown version');
  const signing = parsed['signing'];
  const retired = parsed['retired'];
  if (!isRecord(signing) || !isEcJwk(signing['privateJwk'], true) || typeof signing['kid'] !== 'string' || typeof signing['createdAt'] !== 'string') {
    throw corrupt('no ES256 signing key');
  }
  if (!Array.isArray(retired)) throw corrupt('no list of retired keys');
  const retiredEntries = retired.map((entry: unknown): RetiredKeyEntry => {
    if (
      !isRecord(entry) ||
      !isEcJwk(entry['publicJwk'], false) ||
      typeof entry['kid'] !== 'string' ||
      typeof entry['createdAt'] !== 'string' ||
      typeof entry['retiredAt'] !== 'string' ||
      Number.isNaN(Date.parse(entry['retiredAt']))
    ) {
      throw corrupt('a retired key is malformed');
    }
    return { kid: entry['kid'], createdAt: entry['createdAt'], retiredAt: entry['retiredAt'], publicJwk: publicPart(entry['publicJwk']) };
  });
  return {
    version: 1,
    signing: { kid: signing['kid'], createdAt: signing['createdAt'], privateJwk: signing['privateJwk'] },
    retired: retiredEntries,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEcJwk(value: unknown, withPrivatePart: boolean): value is JWK {
  return (
    isRecord(value) &&
    value['kty'] === 'EC' &&
    value['crv'] === 'P-256' &&
    typeof value['x'] === 'string' &&
    typeof value['y'] === 'string' &&
    (!withPrivatePart || typeof value['d'] === 'string')
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

/**
 * Writes the file whole or not at all: a private temporary file, synced, then linked into
 * place (`create`: fails if another process got there first, and says so by returning false)
 * or renamed over the old one (`replace`).
 */
async function writeKeyFile(keyFile: string, contents: string, mode: 'create' | 'replace'): Promise<boolean> {
  const temporary = `${keyFile}.${process.pid}.${randomUUID()}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(contents, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (mode === 'replace') {
      await rename(temporary, keyFile);
    } else {
      try {
        await link(temporary, keyFile);
      } catch (error) {
        if (errorCode(error) === 'EEXIST') return false;
        throw error;
      }
    }
  } finally {
    await removeIfPresent(temporary);
  }
  await syncDirectory(dirname(keyFile));
  return true;
}

async function syncDirectory(directory: string): Promise<void> {
  if (!posix) return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
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
