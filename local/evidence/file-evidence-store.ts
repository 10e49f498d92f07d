/**
 * The local runtime's evidence store: files under `<DATA_DIR>/evidence/` (layout in
 * evidence-files.ts) behind the same port as the S3 store, with upload and download URLs signed
 * by the local HTTP server's secret (signed-urls.ts) and served by it (evidence-route.ts).
 * Objects are written once (the metadata file is created, never replaced, and claims the name)
 * and only when their bytes have the SHA-256 and size promised for them.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import type { Clock } from '#shared/clock.ts';
import { EvidenceExistsError, EvidenceIntegrityError, InvalidEvidenceInputError } from '#shared/evidence/errors.ts';
import {
  assertContentType,
  evidenceKey,
  evidencePrefix,
  isSafeEvidenceSegment,
  normalizeSha256,
  parseEvidenceKey,
  presignedUrlSeconds,
} from '#shared/evidence/keys.ts';
import { createFileAtomically, type FileContents } from '#shared/fs/atomic-write.ts';
import type { EvidenceObject, EvidenceStore, UploadGrant } from '#shared/ports.ts';
import { appendToTrail, type TrailAppender } from '#shared/trail/appender.ts';
import { assertOwnDirectory } from '../data-dir.ts';
import { digestFile, evidenceObjectOf, isMissing, listDirectory, metaDirOf, newRecord, objectPaths, readRecord } from './evidence-files.ts';
import { recoverEvidence, type RecoveredEvidence } from './recovery.ts';
import { uploadHeaders, type EvidenceUrlSigner } from './signed-urls.ts';

/** The largest object one upload may carry: S3's single-PUT limit, so local and AWS accept the same. */
export const maxEvidenceObjectBytes = 5 * 1024 ** 3;

export interface FileEvidenceStoreOptions {
  /** `<DATA_DIR>/evidence` */
  readonly root: string;
  readonly clock: Clock;
  readonly urls: EvidenceUrlSigner;
  /** Where each object stored and each download served is appended (the DATA_DIR trail); none when absent. */
  readonly trail?: TrailAppender | null;
}

/** What `verify` found when it read an object back and hashed it. */
export interface EvidenceVerification {
  readonly intact: boolean;
  readonly size: number;
  readonly sha256: string;
}

/** What an upload promised: its bytes must match. */
export interface ExpectedObject {
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
}

export class FileEvidenceStore implements EvidenceStore {
  readonly #root: string;
  readonly #clock: Clock;
  readonly #urls: EvidenceUrlSigner;
  /** What the start found on disk: objects, and the damaged or half-written ones. */
  readonly recovered: RecoveredEvidence;
  readonly trail: TrailAppender | null;

  private constructor(options: FileEvidenceStoreOptions, recovered: RecoveredEvidence) {
    this.trail = options.trail ?? null;
    this.#root = options.root;
    this.#clock = options.clock;
    this.#urls = options.urls;
    this.recovered = recovered;
  }

  /**
   * Makes the root private (0700), clears what interrupted writes left, and checks every object's
   * bytes. A root or action directory that is a link or another user's is refused (UnsafeDataDirError).
   */
  static async open(options: FileEvidenceStoreOptions): Promise<FileEvidenceStore> {
    await mkdir(options.root, { recursive: true, mode: 0o700 });
    await assertOwnDirectory(options.root, 'DATA_DIR/evidence');
    await chmod(options.root, 0o700);
    return new FileEvidenceStore(options, await recoverEvidence(options.root));
  }

  async put(actionId: string, name: string, body: Uint8Array | string, contentType: string): Promise<EvidenceObject> {
    const key = evidenceKey(actionId, name);
    assertContentType(contentType);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return this.#write(key, { contentType, size: bytes.byteLength, sha256 }, bytes, 'service');
  }

  /**
   * Stores an upload's bytes as they arrive (never buffered whole): refused with
   * EvidenceIntegrityError, and nothing kept, unless they have the expected size and SHA-256.
   */
  async receive(key: string, expected: ExpectedObject, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<EvidenceObject> {
    if (parseEvidenceKey(key) === null) throw new InvalidEvidenceInputError('key', `"${key.slice(0, 80)}" is not an evidence key`);
    assertContentType(expected.contentType);
    // The uploader is whoever holds the URL the service signed for a responder (it is in the trail as issued).
    return this.#write(key, { ...expected, sha256: normalizeSha256(expected.sha256) }, checked(body, key, expected), 'signed-url');
  }

  /** Every complete evidence object of the action, sorted by name. */
  async list(actionId: string): Promise<EvidenceObject[]> {
    evidencePrefix(actionId);
    const names = (await listDirectory(metaDirOf(this.#root, actionId)))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -'.json'.length))
      .filter((name) => isSafeEvidenceSegment(name))
      .sort();
    const objects: EvidenceObject[] = [];
    for (const name of names) {
      const object = await this.#describe(actionId, name);
      if (object !== null) objects.push(object);
    }
    return objects;
  }

  /** The object and its content file, or null when there is no complete object of that key. */
  async open(key: string): Promise<{ object: EvidenceObject; file: string } | null> {
    const parsed = parseEvidenceKey(key);
    if (parsed === null) return null;
    const object = await this.#describe(parsed.actionId, parsed.name);
    return object === null ? null : { object, file: objectPaths(this.#root, parsed.actionId, parsed.name).content };
  }

  /** A signed GET, valid for at most 15 minutes, served by the local HTTP server. Never log it. */
  async downloadUrl(object: EvidenceObject, expiresInSeconds: number): Promise<string> {
    if (parseEvidenceKey(object.key) === null) {
      throw new InvalidEvidenceInputError('key', `"${object.key.slice(0, 80)}" is not an evidence key`);
    }
    const seconds = presignedUrlSeconds(expiresInSeconds);
    // Awaited so that every refusal is a rejection, as from the S3 store.
    return await Promise.resolve(this.#urls.sign({ method: 'GET', key: object.key, expires: this.#nowSeconds() + seconds }));
  }

  /**
   * A signed PUT, valid for at most 15 minutes, for exactly one object of the given type, size and
   * SHA-256; the uploader sends `headers` exactly. Refuses a name that already exists. Never log the URL.
   */
  async uploadUrl(actionId: string, name: string, expected: ExpectedObject, expiresInSeconds: number): Promise<UploadGrant> {
    const key = evidenceKey(actionId, name);
    assertContentType(expected.contentType);
    if (!Number.isSafeInteger(expected.size) || expected.size < 0 || expected.size > maxEvidenceObjectBytes) {
      throw new InvalidEvidenceInputError('size', `expected a whole number of bytes from 0 to ${maxEvidenceObjectBytes}`);
    }
    const upload = { contentType: expected.contentType, size: expected.size, sha256: normalizeSha256(expected.sha256) };
    const expires = this.#nowSeconds() + presignedUrlSeconds(expiresInSeconds);
    if (await exists(objectPaths(this.#root, actionId, name).metadata)) throw new EvidenceExistsError(key);
    return {
      url: this.#urls.sign({ method: 'PUT', key, expires, upload }),
      method: 'PUT',
      headers: uploadHeaders(upload),
      expiresAt: new Date(expires * 1000).toISOString(),
    };
  }

  /** Reads the object back and hashes it: `intact` is false when the bytes on disk are not the ones recorded. */
  async verify(object: EvidenceObject): Promise<EvidenceVerification> {
    const parsed = parseEvidenceKey(object.key);
    if (parsed === null) throw new InvalidEvidenceInputError('key', `"${object.key.slice(0, 80)}" is not an evidence key`);
    const { size, sha256 } = await digestFile(objectPaths(this.#root, parsed.actionId, parsed.name).content);
    return { intact: sha256 === object.sha256 && size === object.size, size, sha256 };
  }

  /** Claims the name with the metadata file, then writes the content; a failure takes the claim back. */
  async #write(key: string, expected: ExpectedObject, body: FileContents, actor: string): Promise<EvidenceObject> {
    const { actionId, name } = parseEvidenceKey(key) ?? { actionId: '', name: '' };
    const paths = objectPaths(this.#root, actionId, name);
    await mkdir(paths.metaDir, { recursive: true, mode: 0o700 });
    const record = newRecord(key, { ...expected, createdAt: this.#clock.now().toISOString() });
    if (!(await createFileAtomically(paths.metadata, JSON.stringify(record, null, 2)))) throw new EvidenceExistsError(key);
    let created: boolean;
    try {
      created = await createFileAtomically(paths.content, body);
    } catch (error) {
      await rm(paths.metadata, { force: true });
      throw error;
    }
    if (!created) {
      // A content file nobody recorded (not written by this store): it keeps the name, untouched.
      await rm(paths.metadata, { force: true });
      throw new EvidenceExistsError(key);
    }
    await appendToTrail(this.trail, [
      { kind: 'evidence.stored', subject: { type: 'evidence', id: key }, actor, digest: record.sha256, refs: { actionId }, detail: { size: record.size } },
    ]);
    return evidenceObjectOf(name, record);
  }

  async #describe(actionId: string, name: string): Promise<EvidenceObject | null> {
    const paths = objectPaths(this.#root, actionId, name);
    const key = `actions/${actionId}/${name}`;
    const content = await stat(paths.content).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw error;
    });
    if (content === null) return null; // still being written, or a write a crash interrupted
    const record = await readRecord(paths.metadata, key);
    if (record === 'missing') return null;
    if (record !== null) return evidenceObjectOf(name, record);
    // Unreadable metadata: listed with what the bytes themselves say.
    const { size, sha256 } = await digestFile(paths.content);
    return { name, key, size, sha256, contentType: 'application/octet-stream', createdAt: content.mtime.toISOString() };
  }

  /** Whole seconds, so `expiresAt` is exactly when the URL stops working. */
  #nowSeconds(): number {
    return Math.floor(this.#clock.now().getTime() / 1000);
  }
}

/** Passes the bytes on while hashing them; throws at the end (before anything is kept) unless they are the expected ones. */
async function* checked(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, key: string, expected: ExpectedObject): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const bytes of body) {
    size += bytes.byteLength;
    if (size > expected.size) throw new EvidenceIntegrityError(key);
    hash.update(bytes);
    yield bytes;
  }
  if (size !== expected.size || hash.digest('hex') !== expected.sha256.toLowerCase()) throw new EvidenceIntegrityError(key);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}
