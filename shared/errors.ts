/**
 * Named errors of the domain. Each says what happened in words a person can act on;
 * the HTTP layer maps them to statuses, and anything not listed here is a 500.
 */

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
