/**
 * The responder's side of the protocol's HTTP routes (shared/responders/protocol.ts). Calls that
 * must land (reports, uploads, registration) are retried on transient failures: the network, 429
 * and 5xx. The bearer token, presigned URLs and queue credentials never reach an error message or a log.
 */
import type { UploadGrant } from '#shared/ports.ts';
import type { QueueCredentials, RegisterRequest, RegisterResponse, Report, ResponderRecord, UploadRequest, WorkTarget } from '#shared/responders/protocol.ts';

/** The service answered with a status that retrying will not change (4xx other than 429), or kept failing. */
export class ResponderApiError extends Error {
  override readonly name = 'ResponderApiError';
  /** The HTTP status; 0 when the service could not be reached. */
  readonly status: number;
  /** The problem's `detail`, when the service sent one. */
  readonly detail: string | undefined;

  constructor(status: number, message: string, detail?: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.detail = detail;
  }

  /** Worth trying again later: unreachable, throttled, or a 5xx. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** The bearer token, or a function returning the current one (tokens expire; refresh it there). */
export type TokenSource = string | (() => string | Promise<string>);

export interface ResponderApiOptions {
  readonly apiUrl: string;
  readonly token: TokenSource;
  /** Attempts for calls that must land (default 6, backoff 0.5 s doubling to 8 s). */
  readonly attempts?: number;
  /** The first pause between attempts; tests shorten it. */
  readonly backoffMs?: number;
}

interface CallOptions {
  readonly body?: unknown;
  /** Retry transient failures (default true). */
  readonly retry?: boolean;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export class ResponderApi {
  readonly #base: string;
  readonly #token: TokenSource;
  readonly #attempts: number;
  readonly #backoffMs: number;

  constructor(options: ResponderApiOptions) {
    this.#base = options.apiUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#attempts = options.attempts ?? 6;
    this.#backoffMs = options.backoffMs ?? 500;
  }

  register(request: RegisterRequest, signal?: AbortSignal): Promise<RegisterResponse> {
    return this.#call<RegisterResponse>('POST', '/v1/responders', { body: request, ...(signal === undefined ? {} : { signal }) });
  }

  heartbeat(target: WorkTarget, signal?: AbortSignal): Promise<ResponderRecord> {
    return this.#call<ResponderRecord>('POST', `${responderPath(target)}/heartbeat`, { retry: false, ...(signal === undefined ? {} : { signal }) });
  }

  /** Short-lived credentials for the responder's own queue (never logged). */
  queueCredentials(target: WorkTarget, signal?: AbortSignal): Promise<QueueCredentials> {
    return this.#call<QueueCredentials>('POST', `${responderPath(target)}/queue-credentials`, signal === undefined ? {} : { signal });
  }

  /** Removes this responder's registration, its queue and its dead-letter queue (the host is retired). */
  async deregister(target: WorkTarget, signal?: AbortSignal): Promise<void> {
    await this.#call('POST', `${responderPath(target)}/deregister`, signal === undefined ? {} : { signal });
  }

  report(actionId: string, report: Report, options: { retry?: boolean } = {}): Promise<unknown> {
    return this.#call('POST', `/v1/actions/${encodeURIComponent(actionId)}/reports`, { body: report, retry: options.retry ?? true });
  }

  uploadGrant(actionId: string, request: UploadRequest): Promise<UploadGrant> {
    return this.#call<UploadGrant>('POST', `/v1/actions/${encodeURIComponent(actionId)}/evidence-uploads`, { body: request });
  }

  /** PUTs evidence to a presigned URL with exactly the headers the grant names. */
  async upload(grant: UploadGrant, body: Uint8Array): Promise<void> {
    await this.#withRetries(true, undefined, async () => {
      let response: Response;
      try {
        response = await fetch(grant.url, { method: grant.method, headers: grant.headers, body: Uint8Array.from(body), signal: AbortSignal.timeout(300_000) });
      } catch (error) {
        throw new ResponderApiError(0, 'the evidence store could not be reached', undefined, { cause: error });
      }
      await response.arrayBuffer();
      if (!response.ok) throw new ResponderApiError(response.status, `the evidence store refused the upload (${response.status})`);
    });
  }

  async #call<Result>(method: 'GET' | 'POST', path: string, options: CallOptions): Promise<Result> {
    return this.#withRetries(options.retry ?? true, options.signal, async () => {
      const token = typeof this.#token === 'string' ? this.#token : await this.#token();
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
      let response: Response;
      try {
        response = await fetch(`${this.#base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal: options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]),
        });
      } catch (error) {
        if (options.signal?.aborted === true) throw error;
        throw new ResponderApiError(0, `${method} ${path}: the service could not be reached`, undefined, { cause: error });
      }
      const text = await response.text();
      if (response.ok) return (text === '' ? null : JSON.parse(text)) as Result;
      const detail = problemDetail(text);
      throw new ResponderApiError(response.status, `${method} ${path} answered ${response.status}${detail === undefined ? '' : `: ${detail}`}`, detail);
    });
  }

  async #withRetries<Result>(retry: boolean, signal: AbortSignal | undefined, attempt: () => Promise<Result>): Promise<Result> {
    for (let tried = 1; ; tried += 1) {
      try {
        return await attempt();
      } catch (error) {
        const again = retry && error instanceof ResponderApiError && error.transient && tried < this.#attempts && signal?.aborted !== true;
        if (!again) throw error;
        await pause(Math.min(this.#backoffMs * 2 ** (tried - 1), 8_000), signal);
      }
    }
  }
}

function responderPath(target: WorkTarget): string {
  return `/v1/responders/${target.kind}/${encodeURIComponent(target.name)}`;
}

function problemDetail(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'detail' in parsed && typeof parsed.detail === 'string') return parsed.detail;
  } catch {
    // Not a problem document: the status says enough.
  }
  return undefined;
}

/** Waits, or stops waiting when the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
