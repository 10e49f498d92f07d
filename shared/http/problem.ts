import type { FieldError } from '#shared/catalogue/types.ts';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  RetryLaterError,
} from '#shared/errors.ts';

/**
 * An HTTP problem (RFC 9457) raised on purpose: its status, title and detail are safe to show.
 * Anything else thrown from a handler becomes a plain 500 with nothing leaked.
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;
  readonly title: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    title: string,
    detail: string,
    options: { errors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.title = title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

const titles: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** Problem type URIs: stable identifiers a client can switch on. */
export const problemType = (status: number): string =>
  status === 400 ? 'urn:response-actions:problem:invalid-request' : `urn:response-actions:problem:${status}`;

export const invalidRequest = (errors: readonly FieldError[], detail?: string): HttpProblem =>
  new HttpProblem(
    400,
    'Invalid request',
    detail ?? errors.map((error) => `${error.path}: ${error.message}`).join('; '),
    { errors },
  );

export const notFound = (detail: string): HttpProblem => new HttpProblem(404, titles[404] ?? 'Not Found', detail);
export const conflict = (detail: string): HttpProblem => new HttpProblem(409, titles[409] ?? 'Conflict', detail);
export const forbidden = (detail: string): HttpProblem => new HttpProblem(403, titles[403] ?? 'Forbidden', detail);
export const unauthorized = (detail: string): HttpProblem =>
  new HttpProblem(401, titles[401] ?? 'Unauthorized', detail, { headers: { 'www-authenticate': 'Bearer' } });

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

interface DomainRule {
  readonly error: ErrorClass<Error>;
  readonly problem: (error: Error) => HttpProblem;
}

const rule = <E extends Error>(error: ErrorClass<E>, problem: (error: E) => HttpProblem): DomainRule => ({
  error,
  problem: (thrown) => problem(thrown as E),
});

const retryAfter = (seconds: number | undefined): Record<string, string> =>
  seconds === undefined ? {} : { 'retry-after': String(seconds) };

/**
 * The one table from the domain's errors (shared/errors.ts) to problem+json: the first rule whose
 * class the error is an instance of decides, so a subclass (NothingToUndoError) answers as its parent.
 */
const domainRules: readonly DomainRule[] = [
  rule(InvalidInputError, (error) => invalidRequest(error.errors, error.message)),
  rule(ForbiddenError, (error) => new HttpProblem(403, statusTitle(403), error.message, { cause: error })),
  rule(NotFoundError, (error) => new HttpProblem(404, statusTitle(404), error.message, { cause: error })),
  rule(
    ConflictError,
    (error) =>
      new HttpProblem(409, statusTitle(409), error.message, {
        ...(error.errors === undefined ? {} : { errors: error.errors }),
        headers: retryAfter(error.retryAfterSeconds),
        cause: error,
      }),
  ),
  rule(
    RetryLaterError,
    (error) =>
      new HttpProblem(429, statusTitle(429), error.message, { headers: retryAfter(error.retryAfterSeconds), cause: error }),
  ),
];

/** The problem an error thrown below a route stands for; undefined for anything unplanned (a 500). */
export function problemFor(error: unknown): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (!(error instanceof Error)) return undefined;
  return domainRules.find((each) => error instanceof each.error)?.problem(error);
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  correlationId?: string;
  errors?: readonly FieldError[];
}

export function problemBody(problem: HttpProblem, correlationId?: string): ProblemBody {
  return {
    type: problemType(problem.status),
    title: problem.title,
    status: problem.status,
    detail: problem.message,
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(problem.errors === undefined ? {} : { errors: problem.errors }),
  };
}

export function statusTitle(status: number): string {
  return titles[status] ?? 'Error';
}
