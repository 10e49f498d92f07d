import type { Agent } from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Clock } from '#shared/clock.ts';
import { EvidenceExistsError, EvidenceIntegrityError, InvalidEvidenceInputError } from '#shared/evidence/errors.ts';
import {
  assertContentType,
  evidenceKey,
  evidencePrefix,
  normalizeSha256,
  parseEvidenceKey,
  presignedUrlSeconds,
} from '#shared/evidence/keys.ts';
import type { EvidenceObject, EvidenceStore, UploadGrant } from '#shared/ports.ts';
import { traced } from '#shared/observability/tracing.ts';

export interface EvidenceS3ClientOptions {
  /**
   * The evidence bucket's endpoint: always given locally (the embedded S3), never in AWS,
   * where the client resolves the regional S3 endpoint itself.
   */
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Locally: the agent that reaches the embedded S3's unix socket (presigned URLs still name `endpoint`). */
  readonly httpAgent?: Agent;
  /** Path-style URLs; by default when an endpoint is given (an emulator on 127.0.0.1 has no bucket subdomains). */
  readonly forcePathStyle?: boolean;
}

/**
 * The S3 client for the service's own evidence bucket; create it once and pass it in. It is
 * never the target-account client: it ignores `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3` and
 * `endpoint_url` in the shared config (`ignoreConfiguredEndpointUrls`), so with no endpoint it
 * goes to the regional S3 endpoint, and locally it goes to the explicit endpoint it is given.
 */
export function createEvidenceS3Client(options: EvidenceS3ClientOptions = {}): S3Client {
  return traced(new S3Client({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.httpAgent === undefined ? {} : { requestHandler: { httpAgent: options.httpAgent } }),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    ignoreConfiguredEndpointUrls: true,
  }));
}

export interface S3EvidenceStoreOptions {
  /** From `createEvidenceS3Client`, never the client that cloud actions use on target accounts. */
  readonly client: S3Client;
  readonly bucket: string;
  readonly clock: Clock;
  /** ListObjectsV2 page size (S3's default 1000); small in tests to exercise paging. */
  readonly pageSize?: number;
  /** HeadObject calls in flight at once while listing. */
  readonly headConcurrency?: number;
}

/** What `verify` found when it read an object back and hashed it. */
export interface EvidenceVerification {
  /** True when the stored bytes have the recorded size and SHA-256. */
  readonly intact: boolean;
  readonly size: number;
  readonly sha256: string;
}

/** The largest object a single PUT may carry (S3's limit). */
const maxSinglePutBytes = 5 * 1024 ** 3;

/**
 * Evidence in an S3 bucket at `actions/<actionId>/<name>`, written once.
 *
 * Each object carries its hex SHA-256 (`x-amz-meta-sha256`) and, when written by `put`, its
 * creation time (`x-amz-meta-created-at`); S3 checks the bytes against `x-amz-checksum-sha256`.
 * Server-side encryption is left to the bucket's default (S3 encrypts every new object, SSE-S3 at
 * least; a KMS key, if wanted, belongs on the bucket in the stateful stack): no request names a key,
 * so the choice lives in one place, and uploaders holding a presigned URL need no encryption
 * headers that would have to match its signature.
 */
export class S3EvidenceStore implements EvidenceStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #clock: Clock;
  readonly #pageSize: number | undefined;
  readonly #headConcurrency: number;

  constructor(options: S3EvidenceStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#clock = options.clock;
    this.#pageSize = options.pageSize;
    this.#headConcurrency = options.headConcurrency ?? 8;
  }

  /**
   * Writes `body` once under `actions/<actionId>/<name>`: `If-None-Match: *` makes S3 refuse a
   * second write of the name atomically (no read-then-write race), and `x-amz-checksum-sha256`
   * makes S3 refuse bytes that changed on the way.
   */
  async put(actionId: string, name: string, body: Uint8Array | string, contentType: string): Promise<EvidenceObject> {
    const key = evidenceKey(actionId, name);
    assertContentType(contentType);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const digest = createHash('sha256').update(bytes).digest();
    const sha256 = digest.toString('hex');
    const createdAt = this.#clock.now().toISOString();
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ContentLength: bytes.byteLength,
          ChecksumSHA256: digest.toString('base64'),
          IfNoneMatch: '*',
          Metadata: { sha256, 'created-at': createdAt },
        }),
      );
    } catch (error) {
      throw writeError(error, key);
    }
    return { name, key, size: bytes.byteLength, sha256, contentType, createdAt };
  }

  /** Every evidence object of the action, sorted by name (paginated listing, then HeadObject each). */
  async list(actionId: string): Promise<EvidenceObject[]> {
    const prefix = evidencePrefix(actionId);
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          Delimiter: '/',
          ...(this.#pageSize === undefined ? {} : { MaxKeys: this.#pageSize }),
          ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
        }),
      );
      for (const entry of page.Contents ?? []) {
        // Only `actions/<actionId>/<name>`: anything else under the prefix was not written by this store.
        if (entry.Key !== undefined && parseEvidenceKey(entry.Key)?.actionId === actionId) keys.push(entry.Key);
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    const described = await mapWithConcurrency(keys, this.#headConcurrency, (key) => this.#describe(key));
    return described
      .filter((object): object is EvidenceObject => object !== null)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A presigned GET, valid for at most 15 minutes, that downloads the object as an attachment. Never log it. */
  async downloadUrl(object: EvidenceObject, expiresInSeconds: number): Promise<string> {
    const parsed = parseEvidenceKey(object.key);
    if (parsed === null) {
      throw new InvalidEvidenceInputError('key', `"${object.key.slice(0, 80)}" is not an evidence key`);
    }
    return getSignedUrl(
      this.#client,
      new GetObjectCommand({
        Bucket: this.#bucket,
        Key: object.key,
        // Evidence is downloaded, never rendered by a browser (it may be hostile HTML or script).
        ResponseContentDisposition: `attachment; filename="${parsed.name}"`,
      }),
      { expiresIn: presignedUrlSeconds(expiresInSeconds), signingDate: this.#signingDate() },
    );
  }

  /**
   * A presigned PUT, valid for at most 15 minutes, for exactly one object: the signature covers
   * the content type, the content length, `x-amz-checksum-sha256` (so S3 refuses other bytes),
   * `x-amz-meta-sha256` and `If-None-Match: *` (so it cannot overwrite). The uploader sends
   * `headers` exactly. Refuses a name that already exists. Never log the URL.
   */
  async uploadUrl(
    actionId: string,
    name: string,
    expected: { readonly contentType: string; readonly size: number; readonly sha256: string },
    expiresInSeconds: number,
  ): Promise<UploadGrant> {
    const key = evidenceKey(actionId, name);
    assertContentType(expected.contentType);
    if (!Number.isSafeInteger(expected.size) || expected.size < 0 || expected.size > maxSinglePutBytes) {
      throw new InvalidEvidenceInputError('size', `expected a whole number of bytes from 0 to ${maxSinglePutBytes}`);
    }
    const sha256 = normalizeSha256(expected.sha256);
    const expiresIn = presignedUrlSeconds(expiresInSeconds);
    // Existence only: no checksum mode, which on a KMS-encrypted object would need kms:Decrypt.
    if ((await this.#head(key, false)) !== null) throw new EvidenceExistsError(key);

    const signingDate = this.#signingDate();
    const required: Record<string, string> = {
      'content-type': expected.contentType,
      'content-length': String(expected.size),
      'x-amz-checksum-sha256': Buffer.from(sha256, 'hex').toString('base64'),
      'x-amz-meta-sha256': sha256,
      'if-none-match': '*',
    };
    const url = await getSignedUrl(
      this.#client,
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        ContentType: expected.contentType,
        ContentLength: expected.size,
        ChecksumSHA256: required['x-amz-checksum-sha256'],
        Metadata: { sha256 },
        IfNoneMatch: '*',
      }),
      {
        expiresIn,
        signingDate,
        // Signed as headers, not hoisted into the query, so S3 checks the body against them.
        signableHeaders: new Set(['content-type']),
        unhoistableHeaders: new Set(['x-amz-checksum-sha256', 'x-amz-meta-sha256']),
      },
    );
    return {
      url,
      method: 'PUT',
      headers: signedHeaderValues(url, required),
      expiresAt: new Date(signingDate.getTime() + expiresIn * 1000).toISOString(),
    };
  }

  /**
   * Reads the object back and hashes it: `intact` is false when the stored bytes are not the
   * ones recorded (S3 checks bytes on the way in; this checks them at rest, e.g. locally).
   */
  async verify(object: EvidenceObject): Promise<EvidenceVerification> {
    const { size, sha256 } = await this.#digest(object.key);
    return { intact: sha256 === object.sha256 && size === object.size, size, sha256 };
  }

  /** Now, to the whole second: SigV4 dates have no fractions, so `expiresAt` is exactly when S3 stops accepting. */
  #signingDate(): Date {
    const now = this.#clock.now().getTime();
    return new Date(now - (now % 1000));
  }

  async #describe(key: string): Promise<EvidenceObject | null> {
    const parsed = parseEvidenceKey(key);
    const head = await this.#head(key, true);
    if (parsed === null || head === null) return null; // deleted between the listing and the head
    const recorded = head.Metadata?.sha256;
    const sha256 =
      recorded !== undefined && /^[0-9a-f]{64}$/.test(recorded)
        ? recorded
        : (fullObjectChecksum(head.ChecksumSHA256) ?? (await this.#digest(key)).sha256);
    const createdAt = head.Metadata?.['created-at'] ?? (head.LastModified ?? this.#clock.now()).toISOString();
    return {
      name: parsed.name,
      key,
      size: head.ContentLength ?? 0,
      sha256,
      contentType: head.ContentType ?? 'application/octet-stream',
      createdAt,
    };
  }

  async #head(key: string, withChecksum: boolean): Promise<HeadObjectCommandOutput | null> {
    try {
      const command = new HeadObjectCommand({ Bucket: this.#bucket, Key: key, ...(withChecksum ? { ChecksumMode: 'ENABLED' as const } : {}) });
      return await this.#client.send(command);
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return null;
      throw error;
    }
  }

  /** Reads an object and hashes it as it streams: its size and hex SHA-256. */
  async #digest(key: string): Promise<{ size: number; sha256: string }> {
    const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    const hash = createHash('sha256');
    let size = 0;
    const body = response.Body;
    if (body instanceof Readable) {
      for await (const chunk of body) {
        const bytes = chunk as Uint8Array;
        hash.update(bytes);
        size += bytes.byteLength;
      }
    } else if (body !== undefined) {
      const bytes = await body.transformToByteArray();
      hash.update(bytes);
      size = bytes.byteLength;
    }
    return { size, sha256: hash.digest('hex') };
  }
}

/** Maps S3's answers to a conditional, checksummed PUT onto the store's errors. */
function writeError(error: unknown, key: string): unknown {
  if (!(error instanceof S3ServiceException)) return error;
  const status = error.$metadata.httpStatusCode;
  // 412: the name exists. 409 ConditionalRequestConflict: another write of the name is in flight.
  if (status === 412 || (status === 409 && error.name === 'ConditionalRequestConflict')) {
    return new EvidenceExistsError(key, { cause: error });
  }
  if (error.name === 'BadDigest' || error.name === 'XAmzContentSHA256Mismatch') {
    return new EvidenceIntegrityError(key, { cause: error });
  }
  return error;
}

/** A full-object SHA-256 checksum as hex; null for a composite (multipart, `...-N`) or absent one. */
function fullObjectChecksum(checksum: string | undefined): string | null {
  if (checksum === undefined || checksum.includes('-')) return null;
  const bytes = Buffer.from(checksum, 'base64');
  return bytes.byteLength === 32 ? bytes.toString('hex') : null;
}

/**
 * The headers an uploader must send: exactly the ones the URL signs (host aside). Fails loudly
 * if the SDK ever signs a header we did not ask for, or leaves out one we rely on.
 */
function signedHeaderValues(url: string, required: Readonly<Record<string, string>>): Record<string, string> {
  const signedHeaders = new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '';
  const signed = signedHeaders.split(';').filter((name) => name !== 'host');
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = required[name];
    if (value === undefined) throw new Error(`the presigned upload URL signs ${name}, which the grant does not carry`);
    headers[name] = value;
  }
  const missing = Object.keys(required).filter((name) => !(name in headers));
  if (missing.length > 0) throw new Error(`the presigned upload URL does not sign ${missing.join(', ')}`);
  return headers;
}

async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
