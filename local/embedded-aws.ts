import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { chmod, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Agent, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import path from 'node:path';
import { buildApp } from 'fauxqs';
import { systemClock, type Clock } from '#shared/clock.ts';
import { isSafeEvidenceSegment, parseEvidenceKey } from '#shared/evidence/keys.ts';
import { removeInterruptedWrites, writeFileAtomically } from '#shared/fs/atomic-write.ts';
import { localSecret, unixSocketAgent } from './data-dir.ts';

/*
 * SQS and S3 for the local runtime: fauxqs served in-process, with the evidence bucket made
 * durable and made to enforce what S3 enforces and fauxqs does not.
 *
 * fauxqs takes any credentials, so the service's instance (`socketPath` given) serves the SDK
 * only on a unix socket in a 0700 directory: no other user of the machine can connect. Its TCP
 * port on 127.0.0.1 exists for the presigned URLs handed to API callers and responders, and
 * answers nothing else (403). The presigning secret is random per DATA_DIR (file 0600), so nobody
 * else can sign a URL. Without `socketPath` (tests' throwaway stores), everything is on TCP.
 *
 * fauxqs keeps everything in memory and checks no signature, presign expiry, checksum or
 * `If-None-Match` (fauxqs 1.9.2). So the embedded server adds, for every request:
 * - presigned URLs (`X-Amz-Signature` in the query) are verified as S3 does: SigV4 signature
 *   over the signed headers with the embedded credentials, and expiry (403 when expired or
 *   altered); a request with neither a presigned signature nor an `Authorization` header is
 *   refused (403), as a private bucket would. Header-signed SDK requests are not verified
 *   (they come from this process's own clients; fauxqs takes any credentials);
 * and for writes to the evidence bucket:
 * - only `actions/<actionId>/<name>` keys (403 otherwise), and no DeleteBucket;
 * - `x-amz-checksum-sha256` (header, query or aws-chunked trailer) must match the body (400 BadDigest);
 * - `If-None-Match: *` refuses an existing key (412), and a write to a key that another write
 *   is still storing gets 409 ConditionalRequestConflict, so write-once holds under races;
 * - every stored or deleted object is mirrored to `<dataDir>/evidence/` before the writer gets
 *   its answer (write-through, so presigned uploads by responders are covered exactly like
 *   `put`), and everything mirrored is put back on start.
 *
 * Mirror layout: `<dataDir>/evidence/<actionId>/<name>` holds the exact bytes (a person can open
 * them), `<dataDir>/evidence/<actionId>/.meta/<name>.json` the object's metadata. Both are written
 * atomically (temporary file, fsync, rename; files 0600, directories 0700), metadata first: the
 * content file is the commit marker, so a crash between the two leaves a metadata file without
 * content, which the next start discards. Names never start with a dot, so `.meta` and the
 * `.tmp-*` files can never collide with evidence.
 *
 * Multipart uploads to the evidence bucket are mirrored on completion (parts are not checked
 * against checksums). Limits of fauxqs that remain: one request body is at most 11 MiB (larger
 * evidence goes by multipart), and objects sent as `application/x-www-form-urlencoded` or
 * `application/x-amz-json-1.0` are refused here, since fauxqs would parse them instead of storing
 * their bytes.
 *
 * Queues stay in memory: SQS is served on the same endpoint for the code that creates them.
 */

export interface EmbeddedAwsOptions {
  /** DATA_DIR: evidence is mirrored under `<dataDir>/evidence/`. */
  readonly dataDir: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Serve the SDK on this unix socket only; the TCP port then answers presigned requests alone. */
  readonly socketPath?: string;
  readonly region?: string;
  readonly evidenceBucket?: string;
  /** What presigned URL expiry is checked against. */
  readonly clock?: Clock;
}

export interface EmbeddedAws {
  /**
   * `http://127.0.0.1:<port>`: S3 (path-style) and SQS, to pass as an explicit endpoint (presigned
   * URLs name it). With a unix socket, SDK clients also need `httpAgent`.
   */
  readonly endpoint: string;
  /** With `socketPath`: the agent that connects to it, for `requestHandler: { httpAgent }`. */
  readonly httpAgent?: Agent;
  readonly region: string;
  readonly evidenceBucket: string;
  /** The credentials presigned URLs must be signed with (the secret is this DATA_DIR's own). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** What the start put back from the mirror, and what it could not put back as it was. */
  readonly restored: RestoredEvidence;
  /** Stops serving once writes in flight are mirrored. */
  close(): Promise<void>;
}

export interface RestoredEvidence {
  readonly objects: number;
  /** One sentence per mirrored object that is damaged (restored, flagged) or was discarded. */
  readonly problems: readonly string[];
}

export const defaultEvidenceBucket = 'response-actions-evidence';

interface PresignCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Starts fauxqs on 127.0.0.1, creates the evidence bucket and restores the mirrored evidence into it. */
export async function startEmbeddedAws(options: EmbeddedAwsOptions): Promise<EmbeddedAws> {
  const region = options.region ?? 'us-east-1';
  const evidenceBucket = options.evidenceBucket ?? defaultEvidenceBucket;
  const clock = options.clock ?? systemClock;
  const mirror = new EvidenceMirror(path.join(options.dataDir, 'evidence'));
  await mirror.prepare();
  // Kept under DATA_DIR so presigned URLs survive a restart; never a constant anyone could read in the source.
  const credentials: PresignCredentials = {
    accessKeyId: 'embedded-local',
    secretAccessKey: (await localSecret(options.dataDir, 'evidence-signing-key')).toString('hex'),
  };
  /** Requests that came in on the TCP port while the SDK is served on a unix socket: presigned only. */
  const presignedOnly = new WeakSet<IncomingMessage>();

  const app = buildApp({ logger: false, defaultRegion: region });
  const internal = new InternalRequests(app);
  const writesInFlight = new Set<string>();
  /** Evidence writes this server stores itself (checked, forwarded, mirrored): the key each one locks. */
  const evidenceWrites = new WeakMap<object, string | null>();
  /** Evidence writes being stored and mirrored, which `close` lets finish. */
  const pending = new Set<Promise<unknown>>();
  const release = (request: object): void => {
    const key = evidenceWrites.get(request);
    if (typeof key === 'string') writesInFlight.delete(key);
    evidenceWrites.delete(request);
  };

  app.addHook('onRequest', async (request, reply) => {
    if (internal.isInternal(request.headers)) return;
    const { pathname, query } = splitUrl(request.originalUrl);
    if (!presignedOnly.has(request.raw) && (pathname === '/health' || pathname.startsWith('/_fauxqs/'))) return;

    const { method, headers } = request;
    if (presignedOnly.has(request.raw) && !query.has('X-Amz-Signature')) {
      const message = 'This endpoint answers presigned URLs only';
      return sendFailure(reply, s3Failure(403, 'AccessDenied', message), method);
    }
    const failure = query.has('X-Amz-Signature')
      ? checkPresignedRequest({ method, pathname, query, headers, now: clock.now(), region, credentials })
      : headers.authorization === undefined
        ? s3Failure(403, 'AccessDenied', 'Anonymous requests are not allowed')
        : null;
    if (failure !== null) return sendFailure(reply, failure, method);

    const target = bucketAndKey(request.params);
    if (target?.bucket !== evidenceBucket || !isWrite(method)) return;
    if (target.key === '') {
      if (method === 'DELETE') {
        return sendFailure(reply, s3Failure(403, 'AccessDenied', 'The evidence bucket cannot be deleted'), method);
      }
      if (method === 'POST') evidenceWrites.set(request, null); // DeleteObjects
      return; // CreateBucket is idempotent
    }
    if (parseEvidenceKey(target.key) === null) {
      const message = 'The evidence bucket holds only actions/<actionId>/<name> keys';
      return sendFailure(reply, s3Failure(403, 'AccessDenied', message), method);
    }
    // Multipart steps before completion (create, part, abort) change no object: no lock, nothing to mirror.
    if (!changesObject(method, query)) return;
    if (writesInFlight.has(target.key)) {
      const message = 'Another write to this key is in progress';
      return sendFailure(reply, s3Failure(409, 'ConditionalRequestConflict', message), method);
    }
    writesInFlight.add(target.key);
    evidenceWrites.set(request, target.key);
  });

  /** Checks an evidence write, stores it through an internal request, mirrors it: the answer to send. */
  const storeEvidenceWrite = async (
    key: string | null,
    request: { method: string; originalUrl: string; headers: IncomingHttpHeaders; body: unknown },
  ): Promise<S3Failure | ForwardedAnswer> => {
    const { method, headers, body } = request;
    if (key !== null && method === 'PUT' && headers['x-amz-copy-source'] === undefined) {
      if (!Buffer.isBuffer(body)) {
        const message = `The embedded S3 cannot store objects of content type ${String(headers['content-type'])}`;
        return s3Failure(400, 'InvalidRequest', message);
      }
      const checksumFailure = checkSha256(headers, splitUrl(request.originalUrl).query, body);
      if (checksumFailure !== null) return checksumFailure;
      if (headers['if-none-match'] === '*' && (await internal.exists(evidenceBucket, key))) {
        return s3Failure(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      }
    }
    const stored = await internal.forward({ method, url: request.originalUrl, headers, body });
    if (stored.statusCode >= 300) return stored;
    const keys = key === null ? (Buffer.isBuffer(body) ? keysOfDeleteObjects(body) : []) : [key];
    try {
      await Promise.all(keys.map((each) => mirror.sync(each, internal, evidenceBucket)));
      return stored;
    } catch (error) {
      // Not on disk means not stored: take the object back out, so memory and disk agree.
      if (key !== null && method !== 'DELETE') await internal.remove(evidenceBucket, key);
      const reason = error instanceof Error ? error.message : String(error);
      return s3Failure(500, 'InternalError', `The evidence mirror could not be written: ${reason}`);
    }
  };

  // Evidence writes are answered here, not by fauxqs's handler. (Mirroring in onSend would race
  // fauxqs's async handlers, which call reply.send without returning the reply: fastify would
  // then send a second, empty answer while the mirror is being written.)
  app.addHook('preHandler', async (request, reply) => {
    const key = evidenceWrites.get(request);
    if (key === undefined) return;
    const handling = storeEvidenceWrite(key, request);
    pending.add(handling);
    let answer: S3Failure | ForwardedAnswer;
    try {
      answer = await handling;
    } finally {
      pending.delete(handling);
    }
    return 'code' in answer ? sendFailure(reply, answer, request.method) : sendForwarded(reply, answer);
  });

  app.addHook('onResponse', (request, _reply, done) => {
    release(request);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    release(request);
    done();
  });

  let restored: RestoredEvidence;
  let port: number;
  // With a unix socket, the TCP port is a second listener into the same app, marking what it receives.
  const presignFront = options.socketPath === undefined
    ? undefined
    : createServer((request, response) => {
        presignedOnly.add(request);
        app.routing(request, response);
      });
  try {
    // Restored before listening, so no client ever sees a half-restored bucket.
    await internal.createBucket(evidenceBucket);
    restored = await mirror.restore(internal, evidenceBucket);
    if (presignFront === undefined) {
      await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
    } else {
      await app.listen({ path: options.socketPath });
      presignFront.listen(options.port ?? 0, '127.0.0.1');
      await once(presignFront, 'listening');
    }
    const address = (presignFront ?? app.server).address();
    if (address === null || typeof address === 'string') throw new Error('the embedded AWS server has no TCP address');
    port = address.port;
  } catch (error) {
    presignFront?.close();
    await app.close();
    throw error;
  }
  const httpAgent = options.socketPath === undefined ? undefined : unixSocketAgent(options.socketPath);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    ...(httpAgent === undefined ? {} : { httpAgent }),
    region,
    evidenceBucket,
    credentials,
    restored,
    close: async () => {
      if (presignFront !== undefined) {
        const closed = once(presignFront, 'close');
        presignFront.close();
        presignFront.closeAllConnections();
        await closed;
      }
      httpAgent?.destroy();
      await app.close();
      await Promise.allSettled([...pending]);
    },
  };
}

type FauxqsApp = ReturnType<typeof buildApp>;

/** The object as the emulator holds it, read back through its own routes. */
interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly lastModified: string;
}

/** fauxqs's answer to a forwarded write. */
interface ForwardedAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>;
  readonly body: Buffer;
}

/** Headers that belong to one connection, not to the request or answer being passed on. */
const hopByHopHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'expect', 'date']);

/** Requests the embedded server makes to itself (restore, mirror reads); they skip every check. */
class InternalRequests {
  readonly #app: FauxqsApp;
  readonly #token = randomBytes(24).toString('hex');

  constructor(app: FauxqsApp) {
    this.#app = app;
  }

  isInternal(headers: IncomingHttpHeaders): boolean {
    const presented = headers['x-embedded-aws-internal'];
    if (typeof presented !== 'string' || presented.length !== this.#token.length) return false;
    return timingSafeEqual(Buffer.from(presented), Buffer.from(this.#token));
  }

  async createBucket(bucket: string): Promise<void> {
    await this.#expectOk(`/${bucket}`);
  }

  async exists(bucket: string, key: string): Promise<boolean> {
    const response = await this.#app.inject({ method: 'HEAD', url: `/${bucket}/${key}`, headers: this.#headers() });
    return response.statusCode === 200;
  }

  async get(bucket: string, key: string): Promise<StoredObject | null> {
    const response = await this.#app.inject({ method: 'GET', url: `/${bucket}/${key}`, headers: this.#headers() });
    if (response.statusCode === 404) return null;
    if (response.statusCode !== 200) throw new Error(`reading ${key} back answered ${response.statusCode}`);
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (name.startsWith('x-amz-meta-') && typeof value === 'string') {
        metadata[name.slice('x-amz-meta-'.length)] = value;
      }
    }
    const contentType = response.headers['content-type'];
    const lastModified = response.headers['last-modified'];
    return {
      body: response.rawPayload,
      contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
      metadata,
      lastModified: new Date(typeof lastModified === 'string' ? lastModified : Date.now()).toISOString(),
    };
  }

  async put(bucket: string, key: string, object: Omit<StoredObject, 'lastModified'>): Promise<void> {
    const headers: Record<string, string> = { ...this.#headers(), 'content-type': object.contentType };
    for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
    await this.#expectOk(`/${bucket}/${key}`, headers, object.body);
  }

  /** Replays a client's write as an internal request (so fauxqs stores it) and returns fauxqs's answer. */
  async forward(request: {
    method: string;
    url: string;
    headers: IncomingHttpHeaders;
    body: unknown;
  }): Promise<ForwardedAnswer> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && !hopByHopHeaders.has(name)) headers[name] = value;
    }
    Object.assign(headers, this.#headers());
    const response = await this.#app.inject({
      method: request.method === 'POST' ? 'POST' : request.method === 'DELETE' ? 'DELETE' : 'PUT',
      url: request.url,
      headers,
      ...(Buffer.isBuffer(request.body) ? { payload: request.body } : {}),
    });
    return { statusCode: response.statusCode, headers: response.headers, body: response.rawPayload };
  }

  async remove(bucket: string, key: string): Promise<void> {
    await this.#app.inject({ method: 'DELETE', url: `/${bucket}/${key}`, headers: this.#headers() });
  }

  #headers(): Record<string, string> {
    return { 'x-embedded-aws-internal': this.#token };
  }

  async #expectOk(url: string, headers = this.#headers(), payload?: Buffer): Promise<void> {
    const request = { method: 'PUT' as const, url, headers, ...(payload === undefined ? {} : { payload }) };
    const response = await this.#app.inject(request);
    if (response.statusCode !== 200) throw new Error(`PUT ${url} answered ${response.statusCode}: ${response.body}`);
  }
}

/** The metadata file beside each mirrored object. */
interface MirroredObject {
  readonly key: string;
  readonly size: number;
  /** Hex SHA-256 of the bytes as mirrored; checked again on restore. */
  readonly sha256: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly lastModified: string;
}

/** `<dataDir>/evidence/`: one file per evidence object plus its metadata. */
class EvidenceMirror {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async prepare(): Promise<void> {
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    await chmod(this.#root, 0o700);
  }

  /** Makes the mirror of `key` match the emulator: writes it, or removes it when the object is gone. */
  async sync(key: string, internal: InternalRequests, bucket: string): Promise<void> {
    const parsed = parseEvidenceKey(key);
    if (parsed === null) return;
    const { content, metadata } = this.#paths(parsed.actionId, parsed.name);
    const object = await internal.get(bucket, key);
    if (object === null) {
      await rm(content, { force: true });
      await rm(metadata, { force: true });
      return;
    }
    const record: MirroredObject = {
      key,
      size: object.body.byteLength,
      sha256: sha256Hex(object.body),
      contentType: object.contentType,
      // Keeps createdAt stable across restarts for objects written without one (presigned uploads).
      metadata: { 'created-at': object.lastModified, ...object.metadata },
      lastModified: object.lastModified,
    };
    await mkdir(path.dirname(metadata), { recursive: true, mode: 0o700 });
    await writeFileAtomically(metadata, JSON.stringify(record, null, 2));
    await writeFileAtomically(content, object.body);
  }

  /** Puts every mirrored object back; damaged ones keep their recorded SHA-256 so `verify` flags them. */
  async restore(internal: InternalRequests, bucket: string): Promise<RestoredEvidence> {
    let objects = 0;
    const problems: string[] = [];
    for (const actionId of await listDirectory(this.#root)) {
      if (actionId.startsWith('.tmp-')) await rm(path.join(this.#root, actionId), { force: true });
      if (!isSafeEvidenceSegment(actionId)) continue;
      const actionDir = path.join(this.#root, actionId);
      const names = new Set((await listDirectory(actionDir)).filter((name) => isSafeEvidenceSegment(name)));
      await removeInterruptedWrites(actionDir);
      await removeInterruptedWrites(path.join(actionDir, '.meta'));
      for (const metaFile of await listDirectory(path.join(actionDir, '.meta'))) {
        const name = metaFile.endsWith('.json') ? metaFile.slice(0, -'.json'.length) : '';
        if (!isSafeEvidenceSegment(name)) continue;
        const key = `actions/${actionId}/${name}`;
        const paths = this.#paths(actionId, name);
        if (!names.has(name)) {
          problems.push(`${key}: its write never completed (metadata without content); discarded`);
          await rm(paths.metadata, { force: true });
          continue;
        }
        names.delete(name);
        const record = parseMirroredObject(await readFile(paths.metadata, 'utf8'), key);
        const body = await readFile(paths.content);
        if (record === null) {
          problems.push(
            `${key}: its metadata file is unreadable; restored as application/octet-stream without a recorded SHA-256`,
          );
          await internal.put(bucket, key, { body, contentType: 'application/octet-stream', metadata: {} });
        } else {
          if (sha256Hex(body) !== record.sha256 || body.byteLength !== record.size) {
            problems.push(
              `${key}: its bytes on disk no longer match the SHA-256 recorded when it was written; ` +
                'restored as found, and verify() reports it',
            );
          }
          await internal.put(bucket, key, { body, contentType: record.contentType, metadata: record.metadata });
        }
        objects += 1;
      }
      for (const name of names) {
        problems.push(
          `actions/${actionId}/${name}: content without metadata (not written by the embedded S3); ` +
            'left on disk, not restored',
        );
      }
    }
    return { objects, problems };
  }

  #paths(actionId: string, name: string): { content: string; metadata: string } {
    const actionDir = path.join(this.#root, actionId);
    return { content: path.join(actionDir, name), metadata: path.join(actionDir, '.meta', `${name}.json`) };
  }
}

function parseMirroredObject(text: string, key: string): MirroredObject | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const metadata = record.metadata;
  if (
    record.key !== key ||
    typeof record.size !== 'number' ||
    typeof record.sha256 !== 'string' ||
    typeof record.contentType !== 'string' ||
    typeof record.lastModified !== 'string' ||
    typeof metadata !== 'object' ||
    metadata === null ||
    !Object.values(metadata).every((each) => typeof each === 'string')
  ) {
    return null;
  }
  return {
    key,
    size: record.size,
    sha256: record.sha256,
    contentType: record.contentType,
    metadata: metadata as Record<string, string>,
    lastModified: record.lastModified,
  };
}

async function listDirectory(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return [];
    throw error;
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A refusal in S3's words: status, error code, message. */
interface S3Failure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

function s3Failure(status: number, code: string, message: string): S3Failure {
  return { status, code, message };
}

function s3ErrorXml(code: string, message: string): string {
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = `<Error><Code>${escape(code)}</Code><Message>${escape(message)}</Message></Error>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

interface FailureReply {
  code(status: number): FailureReply;
  header(name: string, value: string): FailureReply;
  send(payload?: string | Buffer): FailureReply;
}

function sendFailure<R extends FailureReply>(reply: R, failure: S3Failure, method: string): R {
  reply.code(failure.status).header('content-type', 'application/xml');
  // A HEAD answer has no body; the SDK reads the status.
  reply.send(method === 'HEAD' ? undefined : s3ErrorXml(failure.code, failure.message));
  return reply;
}

function sendForwarded<R extends FailureReply>(reply: R, answer: ForwardedAnswer): R {
  reply.code(answer.statusCode);
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined || hopByHopHeaders.has(name)) continue;
    reply.header(name, Array.isArray(value) ? value.join(', ') : String(value));
  }
  reply.send(answer.body);
  return reply;
}

function isWrite(method: string): boolean {
  return method === 'PUT' || method === 'POST' || method === 'DELETE';
}

/** PutObject and CopyObject, CompleteMultipartUpload, DeleteObject: after these the object is new or gone. */
function changesObject(method: string, query: ReadonlyMap<string, string>): boolean {
  const multipart = query.has('uploadId');
  return (method === 'PUT' && !multipart) || (method === 'POST' && multipart) || (method === 'DELETE' && !multipart);
}

/** Path-style bucket and key from fauxqs's routes (`/:bucket` and `/:bucket/*`). */
function bucketAndKey(params: unknown): { bucket: string; key: string } | null {
  if (typeof params !== 'object' || params === null) return null;
  const { bucket, '*': key } = params as { bucket?: unknown; '*'?: unknown };
  if (typeof bucket !== 'string') return null;
  return { bucket, key: typeof key === 'string' ? key : '' };
}

/** The path as sent (what SigV4 signs for S3) and the query, decoded. */
function splitUrl(url: string): { pathname: string; query: Map<string, string> } {
  const mark = url.indexOf('?');
  const pathname = mark === -1 ? url : url.slice(0, mark);
  const query = new Map<string, string>();
  if (mark !== -1) {
    for (const pair of url.slice(mark + 1).split('&')) {
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      const value = equals === -1 ? '' : pair.slice(equals + 1);
      query.set(safeDecode(name), safeDecode(value));
    }
  }
  return { pathname, query };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** RFC 3986 encoding, as SigV4 canonicalizes query strings. */
function uriEncode(text: string): string {
  const escapeReserved = (character: string): string => `%${character.charCodeAt(0).toString(16).toUpperCase()}`;
  return encodeURIComponent(text).replace(/[!'()*]/g, escapeReserved);
}

/** x-amz-* headers a presigned request may carry unsigned: the checksums an SDK adds, which the store checks against the body. */
const unsignedAllowed = /^x-amz-(content-sha256|checksum-[a-z0-9]+|sdk-checksum-algorithm|decoded-content-length|trailer)$/;

/**
 * Verifies a presigned (query-signed) S3 request as S3 does: algorithm, access key, scope,
 * expiry (`X-Amz-Date` + `X-Amz-Expires`, at most 7 days) and the SigV4 signature over the
 * method, path, query and signed headers. Returns the refusal, or null when it holds.
 */
function checkPresignedRequest(request: {
  method: string;
  pathname: string;
  query: ReadonlyMap<string, string>;
  headers: IncomingHttpHeaders;
  now: Date;
  region: string;
  credentials: PresignCredentials;
}): S3Failure | null {
  const { query } = request;
  const algorithm = query.get('X-Amz-Algorithm');
  const credential = query.get('X-Amz-Credential');
  const amzDate = query.get('X-Amz-Date');
  const expires = Number(query.get('X-Amz-Expires'));
  const signedHeaders = query.get('X-Amz-SignedHeaders');
  const signature = query.get('X-Amz-Signature') ?? '';
  if (algorithm !== 'AWS4-HMAC-SHA256' || !credential || !amzDate || !signedHeaders) {
    const message = 'Query-string authentication needs X-Amz-Algorithm, -Credential, -Date and -SignedHeaders';
    return s3Failure(400, 'AuthorizationQueryParametersError', message);
  }
  if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
    return s3Failure(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be from 1 to 604800 seconds');
  }
  const dateMatch = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  const [accessKeyId, scopeDate, scopeRegion, service, terminator] = credential.split('/');
  if (dateMatch === null || scopeDate !== amzDate.slice(0, 8) || service !== 's3' || terminator !== 'aws4_request') {
    return s3Failure(400, 'AuthorizationQueryParametersError', 'X-Amz-Credential or X-Amz-Date is malformed');
  }
  if (accessKeyId !== request.credentials.accessKeyId) {
    return s3Failure(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records');
  }
  if (scopeRegion !== request.region) {
    const message = `The region ${String(scopeRegion)} is wrong; expecting ${request.region}`;
    return s3Failure(400, 'AuthorizationQueryParametersError', message);
  }
  const [, year, month, day, hour, minute, second] = dateMatch.map(Number);
  const signedAt = Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second);
  if (request.now.getTime() > signedAt + expires * 1000) return s3Failure(403, 'AccessDenied', 'Request has expired');
  if (signedAt > request.now.getTime() + 15 * 60 * 1000) {
    return s3Failure(403, 'AccessDenied', 'Request is not yet valid');
  }

  const headerNames = signedHeaders.split(';');
  // An x-amz-* header the URL was not signed for would change what the request does: with
  // x-amz-copy-source, an upload URL for one key would copy another action's evidence into it.
  // Only the checksum headers SDKs add to an upload may ride along unsigned (the body is checked).
  const unsigned = Object.keys(request.headers).find(
    (name) => name.startsWith('x-amz-') && !headerNames.includes(name) && !unsignedAllowed.test(name),
  );
  if (unsigned !== undefined) {
    return s3Failure(403, 'AccessDenied', `The header ${unsigned} is not signed by this presigned URL`);
  }
  const canonicalQuery = [...query.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, aValue], [b, bValue]) => (a < b ? -1 : a > b ? 1 : aValue < bValue ? -1 : aValue > bValue ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = headerNames
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [
    request.method,
    request.pathname,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    query.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${scopeDate}/${scopeRegion}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonicalRequest))].join('\n');
  let signingKey = hmac(`AWS4${request.credentials.secretAccessKey}`, scopeDate);
  for (const part of [scopeRegion, 's3', 'aws4_request']) signingKey = hmac(signingKey, part);
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  if (signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
    const message = 'The request signature we calculated does not match the signature you provided';
    return s3Failure(403, 'SignatureDoesNotMatch', message);
  }
  return null;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * `x-amz-checksum-sha256` against the body, from the header, the (hoisted) query parameter or
 * an aws-chunked trailer. No SHA-256 given: nothing to check.
 */
function checkSha256(headers: IncomingHttpHeaders, query: ReadonlyMap<string, string>, body: Buffer): S3Failure | null {
  const chunked = headers['content-encoding']?.includes('aws-chunked') === true;
  const { payload, trailers } = chunked
    ? decodeAwsChunked(body)
    : { payload: body, trailers: new Map<string, string>() };
  const header = headers['x-amz-checksum-sha256'];
  const claimed =
    (typeof header === 'string' ? header : undefined) ??
    query.get('x-amz-checksum-sha256') ??
    trailers.get('x-amz-checksum-sha256');
  if (claimed === undefined) return null;
  if (createHash('sha256').update(payload).digest('base64') === claimed) return null;
  return s3Failure(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
}

/** Payload and trailers of an aws-chunked body: `<hex size>[;chunk-signature=..]\r\n<data>\r\n`... `0\r\n<trailers>` */
function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Map<string, string> } {
  const chunks: Buffer[] = [];
  const trailers = new Map<string, string>();
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd === -1) break;
    const size = parseInt(body.subarray(offset, lineEnd).toString('ascii').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) {
      for (const line of body.subarray(lineEnd + 2).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      break;
    }
    chunks.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return { payload: Buffer.concat(chunks), trailers };
}

/** The keys a DeleteObjects request names (its XML body). */
function keysOfDeleteObjects(body: Buffer): string[] {
  return [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1] ?? '');
}
