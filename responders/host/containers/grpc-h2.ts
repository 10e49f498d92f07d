/**
 * Unary gRPC calls over HTTP/2 (h2c, prior knowledge) on a unix socket with node:http2, which is
 * all containerd's API needs: POST /package.Service/Method, `content-type: application/grpc`,
 * the message framed as one compressed-flag byte, a big-endian uint32 length and the protobuf
 * bytes; the answer framed the same way and the status in `grpc-status` trailers (or in the
 * headers of a trailers-only answer).
 */
import { connect } from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http2';
import { connect as connectSocket } from 'node:net';
import { errnoOf } from '../errors.ts';

/** gRPC status codes host actions tell apart. */
export const grpcStatus = { ok: 0, notFound: 5, alreadyExists: 6, permissionDenied: 7, failedPrecondition: 9, unimplemented: 12, unavailable: 14 } as const;

/** A call that ended with a non-OK gRPC status. */
export class GrpcError extends Error {
  override readonly name = 'GrpcError';
  readonly code: number;
  readonly details: string;

  constructor(method: string, code: number, details: string) {
    super(`${method} failed with gRPC status ${code}${details === '' ? '' : `: ${details}`}`);
    this.code = code;
    this.details = details;
  }
}

/** The answer broke the gRPC framing rules. */
export class GrpcProtocolError extends Error {
  override readonly name = 'GrpcProtocolError';
}

export interface GrpcUnaryCall {
  readonly socketPath: string;
  /** `/containerd.services.tasks.v1.Tasks/Kill` */
  readonly path: string;
  /** Custom metadata, e.g. `containerd-namespace`. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly message: Uint8Array;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}

/** Frames one message as gRPC does on the wire. */
export function grpcFrame(message: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** The single message of a unary answer (empty for google.protobuf.Empty). */
export function grpcUnframe(body: Buffer): Buffer {
  if (body.length === 0) return body;
  if (body.length < 5) throw new GrpcProtocolError('gRPC answer shorter than its 5-byte frame header');
  if (body.readUInt8(0) !== 0) throw new GrpcProtocolError('gRPC answer is compressed, but none was negotiated');
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) throw new GrpcProtocolError(`gRPC answer frame says ${length} bytes but carries ${body.length - 5}`);
  return body.subarray(5);
}

function statusOf(headers: IncomingHttpHeaders): { code: number; details: string } | null {
  const code = headers['grpc-status'];
  if (typeof code !== 'string') return null;
  const message = headers['grpc-message'];
  let details = typeof message === 'string' ? message : '';
  try {
    details = decodeURIComponent(details);
  } catch {
    // Not percent-encoded after all: keep it as sent.
  }
  return { code: Number(code), details };
}

/** Sends one unary call; rejects with the socket's error when it cannot connect, or a GrpcError. */
export function grpcUnary(call: GrpcUnaryCall): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const session = connect('http://localhost', { createConnection: () => connectSocket(call.socketPath) });
    let settled = false;
    const finish = (error: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.signal.removeEventListener('abort', onAbort);
      session.destroy();
      if (error !== null) reject(error);
      else resolve(body ?? Buffer.alloc(0));
    };
    const timer = setTimeout(() => {
      finish(new GrpcProtocolError(`${call.path} on ${call.socketPath} took longer than ${call.timeoutMs} ms`));
    }, call.timeoutMs);
    const onAbort = () => {
      finish(call.signal.reason instanceof Error ? call.signal.reason : new Error('aborted'));
    };
    if (call.signal.aborted) {
      onAbort();
      return;
    }
    call.signal.addEventListener('abort', onAbort, { once: true });
    session.on('error', (error: Error) => {
      finish(error);
    });

    const stream = session.request({
      ':method': 'POST',
      ':path': call.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${call.timeoutMs}m`,
      ...call.metadata,
    });
    const chunks: Buffer[] = [];
    let httpStatus = 0;
    let status: { code: number; details: string } | null = null;
    stream.on('response', (headers) => {
      httpStatus = Number(headers[':status']);
      status = statusOf(headers);
    });
    stream.on('trailers', (trailers: IncomingHttpHeaders) => {
      status = statusOf(trailers) ?? status;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', (error: Error) => {
      // A stream cancelled because the connection failed carries the socket's error as its cause.
      finish(errnoOf(error) === 'ERR_HTTP2_STREAM_CANCEL' && error.cause instanceof Error ? error.cause : error);
    });
    stream.on('end', () => {
      if (httpStatus !== 200) {
        finish(new GrpcProtocolError(`${call.path} answered HTTP ${httpStatus}, not a gRPC answer`));
        return;
      }
      if (status === null) {
        finish(new GrpcProtocolError(`${call.path} ended without a grpc-status`));
        return;
      }
      if (status.code !== grpcStatus.ok) {
        finish(new GrpcError(call.path, status.code, status.details));
        return;
      }
      try {
        finish(null, grpcUnframe(Buffer.concat(chunks)));
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
    stream.end(grpcFrame(call.message));
  });
}
