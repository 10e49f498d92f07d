/**
 * The local HTTP server's evidence URLs: GET downloads an object, PUT uploads one, each only with
 * a URL the local evidence store signed (signed-urls.ts). Refusals are problem+json with S3's
 * error code beside the status (`code`), so a client that knows the bucket's answers knows these:
 * 403 for a URL that is expired, altered, moved to another key or sent with other headers than
 * granted; 400 for bytes that are not the ones granted; 412 for a name that exists.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '#shared/clock.ts';
import { EvidenceExistsError, EvidenceIntegrityError, InvalidEvidenceInputError } from '#shared/evidence/errors.ts';
import { HttpProblem, problemBody, statusTitle } from '#shared/http/problem.ts';
import { appendToTrail } from '#shared/trail/appender.ts';
import type { FileEvidenceStore } from './file-evidence-store.ts';
import { evidenceUrlPrefix, isUrlRefusal, uploadHeaders, type EvidenceUrlSigner } from './signed-urls.ts';

/** A path prefix the local HTTP server hands whole to `serve` (the body unread, any size). */
export interface StreamRoute {
  readonly prefix: string;
  serve(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

export function evidenceRoute(store: FileEvidenceStore, urls: EvidenceUrlSigner, clock: Clock): StreamRoute {
  return {
    prefix: evidenceUrlPrefix,
    serve: async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const terms = urls.verify(request.method ?? 'GET', url, clock.now());
      if (isUrlRefusal(terms)) return refuse(request, response, 403, terms.code, terms.detail);
      if (terms.upload === undefined) {
        const found = await store.open(terms.key);
        if (found === null) return refuse(request, response, 404, 'NoSuchKey', `there is no evidence ${terms.key}`);
        const { object, file } = found;
        const content = (await open(file, constants.O_RDONLY | constants.O_NOFOLLOW)).createReadStream();
        response.writeHead(200, {
          'content-type': object.contentType,
          'content-length': String(object.size),
          // Evidence is downloaded, never rendered by a browser (it may be hostile HTML or script).
          'content-disposition': `attachment; filename="${object.name}"`,
          'x-content-type-options': 'nosniff',
          // Should a browser render it anyway, it runs nothing and has no origin (the console shares this one).
          'content-security-policy': "default-src 'none'; sandbox",
          'cache-control': 'no-store',
        });
        await pipeline(content, response);
        // Served whole: the URL's bearer has the bytes (who it was issued to is the url-issued entry).
        await appendToTrail(store.trail, [
          {
            kind: 'evidence.downloaded',
            subject: { type: 'evidence', id: object.key },
            actor: 'signed-url',
            digest: /^[0-9a-f]{64}$/.test(object.sha256) ? object.sha256 : null,
            refs: { actionId: terms.key.split('/')[1] ?? null },
          },
        ]);
        return;
      }
      const required = uploadHeaders(terms.upload);
      // An x-amz-* header the grant does not name would ask for something it did not allow (x-amz-copy-source, an ACL).
      const unsigned = Object.keys(request.headers).find((name) => name.startsWith('x-amz-') && !(name in required));
      if (unsigned !== undefined) {
        return refuse(request, response, 403, 'AccessDenied', `The header ${unsigned.slice(0, 60)} is not signed by this presigned URL`);
      }
      for (const [name, value] of Object.entries(required)) {
        if (request.headers[name] !== value) {
          return refuse(request, response, 403, 'SignatureDoesNotMatch', `the ${name} header is not the one this upload was granted with`);
        }
      }
      try {
        await store.receive(terms.key, terms.upload, request);
      } catch (error) {
        if (error instanceof EvidenceExistsError) return refuse(request, response, 412, 'PreconditionFailed', error.message);
        if (error instanceof EvidenceIntegrityError) return refuse(request, response, 400, 'BadDigest', error.message);
        if (error instanceof InvalidEvidenceInputError) return refuse(request, response, 400, 'InvalidArgument', error.message);
        // The uploader hung up midway: nothing was kept (the write took its claim back), and nobody is left to answer.
        if (request.destroyed) return;
        throw error;
      }
      response.writeHead(200, { 'content-length': '0' });
      response.end();
    },
  };
}

function refuse(request: IncomingMessage, response: ServerResponse, status: number, code: string, detail: string): Promise<void> {
  const body = JSON.stringify({ ...problemBody(new HttpProblem(status, statusTitle(status), detail)), code });
  response.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
  // An upload refused before its body was read: drain it, so the client reads the answer instead of a reset.
  if (!request.readableEnded) request.resume();
  return Promise.resolve();
}
