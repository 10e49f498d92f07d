import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { callerFromClaims, canExecute, hasAnyActionScope, respondScope, type Caller } from '#shared/auth/scopes.ts';
import { logger } from '#shared/log.ts';
import { forbidden, HttpProblem, problemBody, problemFor, unauthorized } from './problem.ts';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResponse = APIGatewayProxyStructuredResultV2;
export type ApiHandler = (event: ApiEvent, context: Context) => Promise<ApiResponse>;

/** What a route sees: an authenticated caller and the request, already parsed. */
export interface ApiRequest {
  readonly caller: Caller;
  readonly body: Readonly<Record<string, unknown>> | undefined;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly correlationId: string;
}

export interface ApiResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteOptions {
  /** Whether the route takes a JSON body: required, optional (undo's reason), or none. */
  readonly body: 'json' | 'optional-json' | 'none';
  /**
   * The scope a caller needs before anything of the request is looked at (API.md: scope is
   * decided before inputs are validated), so a caller without it gets 403, never a 400 that
   * teaches it the input rules.
   */
  readonly requires?: ScopeRequirement;
  /** The largest body this route takes; {@link maxBodyBytes} unless said otherwise. */
  readonly maxBodyBytes?: number;
}

export interface ScopeRequirement {
  readonly allowed: (caller: Caller) => boolean;
  /** The 403's detail: which scope is missing. */
  readonly detail: string;
}

/** Creating, undoing and re-executing actions: an `.exec` scope of either category (the category's own is checked once the type is known). */
export const requiresExecScope: ScopeRequirement = {
  allowed: (caller) => canExecute(caller, 'containment') || canExecute(caller, 'data-gathering'),
  detail: 'this route needs containment-response-actions.exec or data-gathering-response-actions.exec',
};

/** Fleet-wide reads: any of the four category scopes (a responder's token reads no history). */
export const requiresAnyActionScope: ScopeRequirement = {
  allowed: hasAnyActionScope,
  detail: 'this route needs one of the response-actions category scopes (.exec or .read)',
};

/** The responder protocol's routes: a responder's token. */
export const requiresRespondScope: ScopeRequirement = {
  allowed: (caller) => caller.scopes.has(respondScope),
  detail: `this route is for responders: it needs the ${respondScope} scope`,
};

/** The deepest JSON a body may nest: what DynamoDB stores (32 levels), so a deeper body is refused, not a 500. */
export const maxJsonDepth = 32;

/** API Gateway refuses bodies over 10 MB; ours are small, so anything larger than this is refused early. */
export const maxBodyBytes = 64 * 1024;

/**
 * A responder's report may describe a whole namespace (bounded lists of pods and policies), so
 * its route takes more; the record that stores it must still fit DynamoDB's 400 KB item.
 */
export const maxReportBodyBytes = 192 * 1024;

/**
 * Wraps a route in the HTTP plumbing every route shares: caller from the JWT claims (the
 * authorizer verified the token; no claims means 401), JSON body parsing with problem+json
 * errors, and an error handler (registered last) that exposes HttpProblems and the domain's
 * errors (mapped by {@link problemFor}) and turns anything else into a plain 500 logged with its
 * correlation id.
 */
export function apiHandler(route: (request: ApiRequest) => Promise<ApiResult>, options: RouteOptions): ApiHandler {
  return middy<ApiEvent, ApiResponse>()
    .use(httpHeaderNormalizer())
    .use({ onError: problemOnError })
    .handler(async (event) => {
      const correlationId = correlationIdOf(event);
      // Typed as always present, but absent when a route was deployed without the authorizer.
      const context = event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
      const claims = context.authorizer?.jwt?.claims;
      if (claims === undefined) throw unauthorized('a bearer token is required');
      let caller: Caller;
      try {
        caller = callerFromClaims(claims);
      } catch (error) {
        throw unauthorized(error instanceof Error ? error.message : 'the token does not name a caller');
      }
      if (options.requires !== undefined && !options.requires.allowed(caller)) throw forbidden(options.requires.detail);
      const result = await route({
        caller,
        body:
          options.body === 'json' || (options.body === 'optional-json' && (event.body ?? '') !== '')
            ? parseJsonBody(event, options.maxBodyBytes ?? maxBodyBytes)
            : undefined,
        pathParameters: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        headers: event.headers,
        correlationId,
      });
      return {
        statusCode: result.status,
        headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId, ...result.headers },
        body: JSON.stringify(result.body),
      };
    });
}

function correlationIdOf(event: ApiEvent): string {
  return event.requestContext.requestId;
}

function parseJsonBody(event: ApiEvent, limit: number): Record<string, unknown> {
  const contentType = (event.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (event.body === undefined || event.body === '') {
    throw new HttpProblem(400, 'Invalid request', 'the request needs a JSON body', {
      errors: [{ path: 'body', message: 'is required' }],
    });
  }
  if (contentType !== 'application/json') {
    throw new HttpProblem(415, 'Unsupported Media Type', 'send the body as JSON with Content-Type: application/json');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > limit) {
    throw new HttpProblem(413, 'Content Too Large', `the body must be at most ${String(limit)} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(400, 'Invalid request', `the body is not valid JSON (${(error as Error).message})`, {
      errors: [{ path: 'body', message: 'is not valid JSON' }],
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpProblem(400, 'Invalid request', 'the body must be a JSON object', {
      errors: [{ path: 'body', message: 'must be a JSON object' }],
    });
  }
  if (nestsDeeperThan(parsed, maxJsonDepth)) {
    throw new HttpProblem(400, 'Invalid request', `the body nests objects and arrays deeper than ${maxJsonDepth} levels`, {
      errors: [{ path: 'body', message: `must not nest deeper than ${maxJsonDepth} levels` }],
    });
  }
  return parsed as Record<string, unknown>;
}

/** Whether objects and arrays nest deeper than `limit` (the body itself is level 1). Iterative: a deep body cannot overflow the stack. */
function nestsDeeperThan(value: object, limit: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

interface ErrorRequest {
  event: ApiEvent;
  error: unknown;
  response: ApiResponse | undefined;
}

function problemOnError(request: ErrorRequest): void {
  const correlationId = correlationIdOf(request.event);
  const problem =
    problemFor(request.error) ??
    new HttpProblem(500, 'Internal Server Error', `an unexpected error occurred; quote correlation id ${correlationId}`);
  if (problem.status >= 500) {
    logger.error('request failed', {
      correlationId,
      route: request.event.routeKey,
      error: request.error,
    });
  }
  request.response = {
    statusCode: problem.status,
    headers: {
      'content-type': 'application/problem+json',
      'x-correlation-id': correlationId,
      ...problem.headers,
    },
    body: JSON.stringify(problemBody(problem, correlationId)),
  };
}
