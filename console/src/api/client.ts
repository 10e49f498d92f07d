import type { Approval, Created } from './types.ts';

/** A problem+json answer (RFC 9457), or a failure to reach the service, as one error a page can show. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: readonly { readonly path: string; readonly message: string }[] = [],
  ) {
    super(detail === '' ? title : `${title}: ${detail}`);
  }
}

export type Query = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface PostOptions {
  readonly query?: Query;
  readonly idempotencyKey?: string;
}

/** The service's routes, called with the signed-in person's token. */
// The answers are typed by API.md's shapes (types.ts) rather than parsed: the console only shows them, as text.
/* eslint-disable @typescript-eslint/no-unnecessary-type-parameters */
export interface ApiClient {
  get<T>(path: string, query?: Query): Promise<T>;
  /** POST answering a body (200, 202); `location` is the Location header when there is one. */
  post<T>(path: string, body?: unknown, options?: PostOptions): Promise<{ readonly status: number; readonly body: T; readonly location: string | null }>;
  /** A create that may need an approval first (API.md: 202 with `{ approval }` instead of the record). */
  create<T>(path: string, body?: unknown, options?: PostOptions): Promise<Created<T>>;
}
/* eslint-enable @typescript-eslint/no-unnecessary-type-parameters */

/**
 * `onUnauthorized` runs on a 401 (expired or revoked token): the page asks the person to sign in
 * again. Requests carry no cookies; the token goes only to this site's own `/v1` routes.
 */
export function createApiClient(token: string, onUnauthorized: () => void): ApiClient {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async function call<T>(method: 'GET' | 'POST', path: string, query: Query | undefined, body: unknown, idempotencyKey?: string) {
    if (!path.startsWith('/v1/')) throw new Error(`not an API path: ${path}`);
    const url = new URL(path, window.location.origin);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, credentials: 'omit', cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (error) {
      throw new ApiProblem(0, 'The service did not answer', error instanceof Error ? error.message : String(error));
    }
    const text = await response.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiProblem(response.status, `Unexpected answer (${response.status})`, 'the body is not JSON');
      }
    }
    if (response.status === 401) onUnauthorized();
    if (!response.ok) throw problemFrom(response.status, parsed);
    return { status: response.status, body: parsed as T, location: response.headers.get('location') };
  }
  return {
    get: async <T>(path: string, query?: Query) => (await call<T>('GET', path, query, undefined)).body,
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
    post: <T>(path: string, body?: unknown, options?: PostOptions) => call<T>('POST', path, options?.query, body ?? {}, options?.idempotencyKey),
    create: async <T>(path: string, body?: unknown, options?: PostOptions): Promise<Created<T>> => {
      const answer = await call<T | { approval: Approval }>('POST', path, options?.query, body ?? {}, options?.idempotencyKey);
      const value: unknown = answer.body;
      if (typeof value === 'object' && value !== null && 'approval' in value) return { kind: 'approval', approval: (value as { approval: Approval }).approval };
      return { kind: 'created', value: value as T };
    },
  };
}

function problemFrom(status: number, body: unknown): ApiProblem {
  if (typeof body === 'object' && body !== null) {
    const problem = body as Record<string, unknown>;
    const errors = Array.isArray(problem['errors'])
      ? problem['errors'].filter((e): e is { path: string; message: string } => typeof e === 'object' && e !== null && typeof (e as Record<string, unknown>)['path'] === 'string' && typeof (e as Record<string, unknown>)['message'] === 'string')
      : [];
    return new ApiProblem(status, typeof problem['title'] === 'string' ? problem['title'] : `HTTP ${status}`, typeof problem['detail'] === 'string' ? problem['detail'] : '', errors);
  }
  return new ApiProblem(status, `HTTP ${status}`, '');
}
