/**
 * A containerd stand-in: gRPC over HTTP/2 (h2c) on a unix socket. It records every call (path,
 * the `containerd-namespace` header, the gRPC framing headers and the protobuf body as hex) and
 * answers with what the test's handler returns: a message, or a gRPC status (trailers-only, as
 * grpc-go sends errors). Tests assert the recorded calls exactly.
 */
import { chmod } from 'node:fs/promises';
import { createServer } from 'node:http2';
import type { Http2Server, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { join } from 'node:path';

export interface GrpcCallRecord {
  readonly path: string;
  readonly namespace: string | undefined;
  readonly contentType: string | undefined;
  readonly te: string | undefined;
  /** The message bytes (after the 5-byte frame header) as hex. */
  readonly body: string;
  /** The frame header was 5 bytes: not compressed, with the right length. */
  readonly framed: boolean;
}

/** `silent`: take the call and never answer (a hung daemon). */
export type GrpcAnswer = { readonly message: Buffer } | { readonly status: number; readonly details: string } | { readonly silent: true };
export type GrpcHandler = (call: GrpcCallRecord) => GrpcAnswer;

export interface ContainerdTestServer {
  readonly socketPath: string;
  readonly calls: GrpcCallRecord[];
  handle: GrpcHandler;
  close(): Promise<void>;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

export async function startContainerdTestServer(dir: string, handle: GrpcHandler): Promise<ContainerdTestServer> {
  const socketPath = join(dir, 'containerd.sock');
  const calls: GrpcCallRecord[] = [];
  const state: ContainerdTestServer = { socketPath, calls, handle, close: () => Promise.resolve() };
  const server: Http2Server = createServer();
  // A gRPC client keeps its connection open between calls: close() ends it.
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const frame = Buffer.concat(chunks);
      const framed = frame.length >= 5 && frame.readUInt8(0) === 0 && frame.readUInt32BE(1) === frame.length - 5;
      const call: GrpcCallRecord = {
        path: header(headers[':path']) ?? '',
        namespace: header(headers['containerd-namespace']),
        contentType: header(headers['content-type']),
        te: header(headers.te),
        body: frame.subarray(5).toString('hex'),
        framed,
      };
      calls.push(call);
      const answer = state.handle(call);
      if ('silent' in answer) return;
      if ('status' in answer) {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(answer.status), 'grpc-message': encodeURIComponent(answer.details) }, { endStream: true });
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => {
        stream.sendTrailers({ 'grpc-status': '0' });
      });
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(answer.message.length, 1);
      stream.end(Buffer.concat([prefix, answer.message]));
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  await chmod(socketPath, 0o660);
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      for (const session of sessions) session.destroy();
    });
  return state;
}
