import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One request with node's own HTTP client, sent as given: a Host header and a request target
 * (`path`, e.g. `//x/v1/...`) that `fetch` would replace or normalise. For tests of what a hostile
 * client can put on the wire.
 */
export function rawRequest(url: string, options: { readonly method?: string; readonly path?: string; readonly headers?: OutgoingHttpHeaders; readonly body?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, ...(options.path === undefined ? {} : { path: options.path }) }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
      });
    });
    sent.on('error', reject);
    sent.end(options.body);
  });
}
