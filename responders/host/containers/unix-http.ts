/** HTTP/1.1 over a unix socket with node:http, the way Docker's own client talks to its daemon. */
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export interface UnixHttpRequest {
  readonly socketPath: string;
  readonly method: 'GET' | 'POST';
  /** Path and query, e.g. `/v1.47/containers/abc/json`. */
  readonly path: string;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /**
   * Receives the body of a 2xx response chunk by chunk instead of collecting it (log streams);
   * other responses are always collected, to read the error message.
   */
  readonly onChunk?: (chunk: Buffer) => void;
}

export interface UnixHttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A request that did not finish in time. */
export class UnixHttpTimeoutError extends Error {
  override readonly name = 'UnixHttpTimeoutError';
}

/** Sends one request; rejects with the socket's error (ENOENT, EACCES, ECONNREFUSED ...) when it cannot connect. */
export function unixHttp(options: UnixHttpRequest): Promise<UnixHttpResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        socketPath: options.socketPath,
        method: options.method,
        path: options.path,
        // Docker ignores Host over a unix socket but HTTP/1.1 requires one.
        headers: { host: 'localhost', accept: 'application/json' },
        signal: options.signal,
        timeout: options.timeoutMs,
      },
      (incoming) => {
        const status = incoming.statusCode ?? 0;
        const stream = status >= 200 && status < 300 ? options.onChunk : undefined;
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => {
          if (stream === undefined) chunks.push(chunk);
          else stream(chunk);
        });
        incoming.on('end', () => {
          resolve({ status, headers: incoming.headers, body: Buffer.concat(chunks) });
        });
        incoming.on('error', reject);
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy(new UnixHttpTimeoutError(`${options.method} ${options.path} on ${options.socketPath} took longer than ${options.timeoutMs} ms`));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
