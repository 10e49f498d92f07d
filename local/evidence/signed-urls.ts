/**
 * The local evidence store's URLs: `<api>/local-evidence/actions/<actionId>/<name>?...`, HMAC-SHA256
 * signed with a secret kept under DATA_DIR (`evidence-signing-key`, 0600), so nobody else can make
 * one and they survive a restart. The signature binds the method, the key, the expiry and, for an
 * upload, the content type, size and SHA-256 the service granted: a URL moved to another key,
 * another method or another expiry no longer verifies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseEvidenceKey } from '#shared/evidence/keys.ts';

/** Where the local HTTP server serves evidence URLs. */
export const evidenceUrlPrefix = '/local-evidence/';

/** What one URL allows. */
export interface EvidenceUrlTerms {
  readonly method: 'GET' | 'PUT';
  /** `actions/<actionId>/<name>` */
  readonly key: string;
  /** Seconds since the epoch after which the URL is refused. */
  readonly expires: number;
  /** Uploads only: what the object must be. */
  readonly upload?: { readonly contentType: string; readonly size: number; readonly sha256: string };
}

/** Why a URL is refused: S3's error code for the same refusal, and a sentence. */
export interface UrlRefusal {
  readonly code: 'AccessDenied' | 'SignatureDoesNotMatch';
  readonly detail: string;
}

const parameterNames = new Set(['expires', 'content-type', 'size', 'sha256', 'signature']);

export class EvidenceUrlSigner {
  readonly #secret: Buffer;
  readonly #origin: () => string;

  /** `origin`: the local HTTP server's `http://127.0.0.1:<port>`, asked for when a URL is made. */
  constructor(secret: Buffer, origin: () => string) {
    this.#secret = secret;
    this.#origin = origin;
  }

  sign(terms: EvidenceUrlTerms): string {
    const url = new URL(`${evidenceUrlPrefix}${terms.key}`, this.#origin());
    url.searchParams.set('expires', String(terms.expires));
    if (terms.upload !== undefined) {
      url.searchParams.set('content-type', terms.upload.contentType);
      url.searchParams.set('size', String(terms.upload.size));
      url.searchParams.set('sha256', terms.upload.sha256);
    }
    url.searchParams.set('signature', this.#signature(terms));
    return url.toString();
  }

  /** The terms of a request's URL when its signature holds and it has not expired; otherwise why not. */
  verify(method: string, url: URL, now: Date): EvidenceUrlTerms | UrlRefusal {
    const denied = (detail: string): UrlRefusal => ({ code: 'AccessDenied', detail });
    const key = url.pathname.slice(evidenceUrlPrefix.length);
    if (!url.pathname.startsWith(evidenceUrlPrefix) || parseEvidenceKey(key) === null) {
      return denied('the local evidence store holds only actions/<actionId>/<name> keys');
    }
    if (method !== 'GET' && method !== 'PUT') return denied(`${method} is not what an evidence URL is for`);
    const query = url.searchParams;
    const unknown = [...query.keys()].find((name) => !parameterNames.has(name) || query.getAll(name).length > 1);
    if (unknown !== undefined) return denied(`the query parameter ${unknown.slice(0, 40)} is not part of a signed evidence URL`);
    const expires = Number(query.get('expires'));
    const signature = query.get('signature');
    if (!Number.isSafeInteger(expires) || signature === null) return denied('the URL is not a signed evidence URL');
    const size = query.get('size');
    const contentType = query.get('content-type');
    const sha256 = query.get('sha256');
    const terms: EvidenceUrlTerms =
      method === 'PUT'
        ? { method, key, expires, upload: { contentType: contentType ?? '', size: Number(size), sha256: sha256 ?? '' } }
        : { method, key, expires };
    const expected = Buffer.from(this.#signature(terms));
    const presented = Buffer.from(signature);
    const complete = method === 'PUT' ? size !== null && contentType !== null && sha256 !== null : size === null && contentType === null && sha256 === null;
    if (!complete || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      return { code: 'SignatureDoesNotMatch', detail: 'the signature does not match this method, key and terms' };
    }
    // S3's own words, so a client that recognises them for the bucket recognises them here.
    if (now.getTime() > expires * 1000) return denied('Request has expired');
    return terms;
  }

  #signature(terms: EvidenceUrlTerms): string {
    const upload = terms.upload;
    // A JSON array is unambiguous: no field can run into the next.
    const signed = JSON.stringify(['response-actions local evidence v1', terms.method, terms.key, terms.expires, upload?.contentType ?? null, upload?.size ?? null, upload?.sha256 ?? null]);
    return createHmac('sha256', this.#secret).update(signed).digest('base64url');
  }
}

/**
 * The headers an upload must carry, exactly: the same set the S3 store's presigned PUT signs, so
 * an uploader sends `grant.headers` whichever store granted it.
 */
export function uploadHeaders(upload: NonNullable<EvidenceUrlTerms['upload']>): Record<string, string> {
  return {
    'content-type': upload.contentType,
    'content-length': String(upload.size),
    'x-amz-checksum-sha256': Buffer.from(upload.sha256, 'hex').toString('base64'),
    'x-amz-meta-sha256': upload.sha256,
    'if-none-match': '*',
  };
}

export function isUrlRefusal(value: EvidenceUrlTerms | UrlRefusal): value is UrlRefusal {
  return 'code' in value;
}
