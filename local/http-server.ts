import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Context } from 'aws-lambda';
import { UnauthorizedError } from '#shared/auth/errors.ts';
import type { ApiEvent, ApiHandler } from '#shared/http/api-handler.ts';
import { HttpProblem, problemBody, statusTitle } from '#shared/http/problem.ts';
import { logger } from '#shared/log.ts';
import type { StreamRoute } from './evidence/evidence-route.ts';
import { HandlerSlots } from './handler-slots.ts';

export interface LocalRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: ApiHandler;
  /** Served without checking a token, as API Gateway serves a route without the authorizer. */
  readonly public?: boolean;
}

/** Checks a bearer token as API Gateway's JWT authorizer does; returns its claims or throws. */
export type Authenticate = (authorizationHeader: string | undefined) => Promise<Record<string, unknown>>;

/** Requests larger than this are refused before a handler sees them (API Gateway's own limit is 10 MB). */
const maxRequestBytes = 1024 * 1024;
/** API handlers running at once (local/handler-slots.ts); more requests wait their turn. */
export const maxConcurrentHandlers = 32;

/**
 * The local stand-in for API Gateway: matches the route, verifies the bearer token, builds an
 * API Gateway v2 event and calls the very handler that runs in Lambda. No route is implemented
 * twice. `streams` are served before the API routes, on their own terms (the local evidence
 * store's signed URLs: no token, bodies streamed).
 */
export function createLocalApiServer(
  routes: readonly LocalRoute[],
  authenticate: Authenticate,
  streams: readonly StreamRoute[] = [],
  /** Everything outside `/v1/` (the console, locally): served as CloudFront serves it in AWS. */
  site?: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Server {
  const compiled = routes.map((route) => ({ ...route, pattern: compilePath(route.path) }));
  const slots = new HandlerSlots(maxConcurrentHandlers);
  // Idle connections are kept longer than common clients and proxies keep theirs (ALB 60 s), so the
  // server never closes one a client is about to reuse (Node's 5 s default reset them); headersTimeout above it.
  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 }, (request, response) => {
    void serve(request, response).catch((error: unknown) => {
      logger.error('local adapter failed', { error });
      if (!response.headersSent) send(response, problem(500, 'an unexpected error occurred'));
      else response.destroy();
    });
  });
  // What Node's parser refuses before any route sees it (headers over 16 KB, broken HTTP) is
  // answered as problem+json too, instead of Node's bare status line.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const detail = status === 431 ? 'the request headers are larger than this server reads (16 KB)' : status === 408 ? 'the request took too long to arrive' : 'the request is not valid HTTP/1.1';
    const body = JSON.stringify(problemBody(new HttpProblem(status, statusTitle(status), detail)));
    // The answer to a HEAD has no body (a client would read one as the next response). rawPacket is the chunk
    // the parser failed on: when it does not start with the request line, the method is unknown, so no body.
    const start = /^([A-Z]+) /.exec((error as { rawPacket?: Buffer }).rawPacket?.toString('latin1', 0, 16) ?? '')?.[1];
    const content = start === undefined || start === 'HEAD' ? '' : body;
    socket.end(`HTTP/1.1 ${status} ${statusTitle(status)}\r\ncontent-type: application/problem+json\r\nx-content-type-options: nosniff\r\ncontent-length: ${start === undefined ? 0 : Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${content}`);
  });
  return server;

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.url ?? '/';
    // `//x/v1/...` would be read as host x and path /v1/..., and land on another side of the split
    // between the API and the console than the path it names.
    if (!target.startsWith('/') || target.startsWith('//')) {
      request.resume();
      send(response, problem(400, 'the request target must be a path starting with a single /'));
      return;
    }
    const url = new URL(`http://localhost${target}`);
    const stream = streams.find((candidate) => url.pathname.startsWith(candidate.prefix));
    if (stream !== undefined) {
      await stream.serve(request, response);
      return;
    }
    if (site !== undefined && url.pathname !== '/v1' && !url.pathname.startsWith('/v1/')) {
      await site(request, response);
      return;
    }
    const method = request.method ?? 'GET';
    const matches = compiled
      .map((route) => ({ route, params: route.pattern.exec(url.pathname)?.groups }))
      .filter((match) => match.params !== undefined || match.route.pattern.test(url.pathname));
    const match = matches.find((candidate) => candidate.route.method === method);
    if (match === undefined) {
      send(
        response,
        matches.length > 0
          ? problem(405, `${method} is not allowed on ${url.pathname}`, { allow: matches.map((m) => m.route.method).join(', ') })
          : problem(404, `no route ${method} ${url.pathname}`),
      );
      return;
    }
    // The token first, as API Gateway's authorizer runs before anything reaches the function: without
    // a valid one the answer is 401 whatever the path's escapes or the body (unread, and drained).
    let claims: Record<string, unknown> | undefined;
    try {
      claims = match.route.public === true ? undefined : await authenticate(request.headers.authorization);
    } catch (error) {
      // Only a refused token is the caller's fault; anything else is ours and a 500.
      if (!(error instanceof UnauthorizedError)) throw error;
      request.resume();
      send(response, problem(401, error.message, { 'www-authenticate': 'Bearer error="invalid_token"' }));
      return;
    }
    // API Gateway hands handlers decoded path parameters; a malformed escape is the caller's 400, never a 500.
    const pathParameters = decodePathParameters(match.params ?? {});
    if (typeof pathParameters === 'string') {
      const invalid = new HttpProblem(400, 'Invalid request', `the path parameter ${pathParameters} is not valid percent-encoded UTF-8`, {
        errors: [{ path: pathParameters, message: 'is not valid percent-encoded UTF-8' }],
      });
      sendProblem(response, invalid);
      request.resume();
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof HttpProblem) {
        sendProblem(response, error);
        request.resume();
        return;
      }
      throw error;
    }
    const event = toEvent(request, url, `${match.route.method} ${match.route.path}`, pathParameters, body, claims);
    const result = await slots.run(() => match.route.handler(event, lambdaContext(event.requestContext.requestId)));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    send(response, { status: result.statusCode ?? 200, headers, body: result.body ?? '' });
  }
}

export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${host}:${address.port}`;
}

/** The path parameters decoded, or the name of the first one that is not valid percent-encoded UTF-8. */
function decodePathParameters(raw: Readonly<Record<string, string>>): Record<string, string> | string {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      decoded[name] = decodeURIComponent(value);
    } catch {
      return name;
    }
  }
  return decoded;
}

function compilePath(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (/^\{(\w+)\}$/.test(segment) ? `(?<${segment.slice(1, -1)}>[^/]+)` : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

/** The request's body; a 413 {@link HttpProblem} once it passes `maxBytes` (declared or read). */
export async function readBody(request: IncomingMessage, maxBytes = maxRequestBytes): Promise<Buffer> {
  const tooLarge = (): HttpProblem => new HttpProblem(413, 'Content Too Large', `the body must be at most ${maxBytes} bytes`);
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  routeKey: string,
  pathParameters: Record<string, string>,
  body: Buffer,
  claims: Record<string, unknown> | undefined,
): ApiEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // API Gateway joins repeated query parameters with commas.
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name] ?? ''},${value}` : value;
  const now = new Date();
  const requestId = randomUUID();
  const decodedParams = pathParameters;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(decodedParams).length > 0 ? { pathParameters: decodedParams } : {}),
    ...(body.length > 0 ? { body: body.toString('utf8') } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers['host'] ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      // A public route's event has no authorizer at all, as API Gateway sends it.
      ...(claims === undefined ? {} : { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: claims as Record<string, string>, scopes: [] } } }),
    } as ApiEvent['requestContext'],
  };
}

function lambdaContext(requestId: string): Context {
  // The deprecated callback members of Context are left out: our handlers return promises.
  const context: Omit<Context, 'done' | 'fail' | 'succeed'> = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
  };
  return context as Context;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function problem(status: number, detail: string, headers: Record<string, string> = {}): Reply {
  const body = problemBody(new HttpProblem(status, statusTitle(status), detail));
  return { status, headers: { 'content-type': 'application/problem+json', ...headers }, body: JSON.stringify(body) };
}

/** `problem` as problem+json, with its own headers and `headers` (the routes outside the API use it too). */
export function sendProblem(response: ServerResponse, problem: HttpProblem, headers: Record<string, string> = {}): void {
  send(response, { status: problem.status, headers: { ...problem.headers, ...headers }, body: JSON.stringify(problemBody(problem)) });
}

function send(response: ServerResponse, reply: Reply): void {
  // As CloudFront's response headers policy adds to /v1/* in AWS: no answer is ever sniffed into something a browser runs.
  response.writeHead(reply.status, { 'content-type': 'application/problem+json', 'x-content-type-options': 'nosniff', ...reply.headers });
  response.end(reply.body);
}
