/**
 * Named errors of the domain. Each says what happened in words a person can act on.
 * The use cases refuse with the last group below, which the HTTP layer maps to statuses;
 * the stores' errors above reach a caller only as one of those, and anything else is a 500.
 */
import type { FieldError } from '#shared/catalogue/types.ts';

/** A configuration variable is missing or malformed; names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variable: string;

  constructor(variable: string, message: string, options?: ErrorOptions) {
    super(`${variable}: ${message}`, options);
    this.variable = variable;
  }
}

/** A status change that the status rules do not allow (e.g. a terminal record moved again). */
export class StatusConflictError extends Error {
  override readonly name = 'StatusConflictError';
  readonly actionId: string;
  readonly currentStatus: string | null;
  readonly requestedStatus: string;

  constructor(actionId: string, currentStatus: string | null, requestedStatus: string) {
    super(
      currentStatus === null
        ? `action ${actionId} does not exist`
        : `action ${actionId} is ${currentStatus} and cannot become ${requestedStatus}`,
    );
    this.actionId = actionId;
    this.currentStatus = currentStatus;
    this.requestedStatus = requestedStatus;
  }
}

/** The same idempotency key was used with a different request body. */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  readonly actionId: string;

  constructor(actionId: string) {
    super(
      `this Idempotency-Key was already used with a different request (action ${actionId}); use a new key for a new request`,
    );
    this.actionId = actionId;
  }
}

/** A request with this idempotency key is still being recorded; retrying shortly returns its action. */
export class IdempotencyInProgressError extends Error {
  override readonly name = 'IdempotencyInProgressError';

  constructor() {
    super('a request with this Idempotency-Key is still being processed; retry in a moment');
  }
}

/** A history cursor that was not issued for this query, or was altered. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';

  constructor(message = 'the cursor is not valid for this query; start again without a cursor') {
    super(message);
  }
}

/** A write to the history store that lost a race it cannot resolve itself. */
export class UndoConflictError extends Error {
  override readonly name = 'UndoConflictError';
}

/*
 * What a use case refuses. The domain says what is wrong and whose move it is; the one table in
 * shared/http/problem.ts (problemFor) says which status and headers each becomes.
 */

/** The thing asked for does not exist, or the caller may not learn that it does. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** The caller is known but lacks the scope or binding this needs. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
}

/** The request's own fields are wrong; each problem names its field. */
export class InvalidInputError extends Error {
  // Typed string so a narrower error (InvalidFindingError) can name itself and still answer 400.
  override readonly name: string = 'InvalidInputError';
  readonly errors: readonly FieldError[];

  constructor(errors: readonly FieldError[], options?: ErrorOptions & { detail?: string }) {
    super(options?.detail ?? errors.map((error) => `${error.path}: ${error.message}`).join('; '), options);
    this.errors = errors;
  }
}

export interface ConflictOptions extends ErrorOptions {
  /** The stored fields that make the request impossible, when there are some to name. */
  readonly errors?: readonly FieldError[];
  /** The conflict is another request still in flight: asking again after this many seconds may succeed. */
  readonly retryAfterSeconds?: number;
}

/** The request is well formed but the state of what it acts on does not allow it. */
export class ConflictError extends Error {
  override readonly name: string = 'ConflictError';
  readonly errors: readonly FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options?: ConflictOptions) {
    super(message, options);
    this.errors = options?.errors;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** An undo with no Completed, not yet undone action for it to reverse. */
export class NothingToUndoError extends ConflictError {
  override readonly name = 'NothingToUndoError';
}

/** Refused for now by a limit that lifts by itself (e.g. SQS's minute after a queue deletion). */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
