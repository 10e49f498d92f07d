/**
 * Why a cloud action step failed, as named errors. Each error's `name` is what Step Functions
 * sees (a Lambda's `errorType` is the thrown error's name), so the state machine's Retry and
 * Catch match on it; its `code` is what the record's `error.code` says (the name without its
 * `Error` suffix).
 */

/** The record's error codes that cloud action steps and their runtimes produce. */
export const cloudActionErrorCodes = [
  'TargetAccountNotAllowed',
  'ProtectedTarget',
  'InvalidTarget',
  'MemberRoleUnavailable',
  'TargetNotFound',
  'AccessDenied',
  'Throttling',
  'QuotaExceeded',
  'AwsRequestFailed',
  'ChangeNotVisible',
  'ActionNotRunning',
  'UnsupportedActionType',
  'UndoSourceMissing',
  'InvalidStepEvent',
  'StillPending',
  'DeadlineExceeded',
  'InterruptedByRestart',
  'ExecutionFailed',
  'DbClusterMember',
  'DbInstanceNotModifiable',
  'AutoScalingLifecycle',
  'EvidenceStore',
] as const;
export type CloudActionErrorCode = (typeof cloudActionErrorCodes)[number];

/** A step failure with a stable code and a message a person can act on. */
export abstract class CloudActionError extends Error {
  abstract readonly code: CloudActionErrorCode;
}

/** The target's account is not in TARGET_ACCOUNTS; nothing was called. */
export class TargetAccountNotAllowedError extends CloudActionError {
  override readonly name = 'TargetAccountNotAllowedError';
  readonly code = 'TargetAccountNotAllowed';
}

/** The target is the member role, a root principal or one of PROTECTED_TARGETS; nothing was called. */
export class ProtectedTargetError extends CloudActionError {
  override readonly name = 'ProtectedTargetError';
  readonly code = 'ProtectedTarget';
}

/** The record's inputs do not name a target this step can act on (a defect: the catalogue validates them). */
export class InvalidTargetError extends CloudActionError {
  override readonly name = 'InvalidTargetError';
  readonly code = 'InvalidTarget';
}

/** The member role in the target account could not be assumed. */
export class MemberRoleUnavailableError extends CloudActionError {
  override readonly name = 'MemberRoleUnavailableError';
  readonly code = 'MemberRoleUnavailable';
}

/** The resource the action acts on does not exist (any more). */
export class TargetNotFoundError extends CloudActionError {
  override readonly name = 'TargetNotFoundError';
  readonly code = 'TargetNotFound';
}

/** The member role may not do what the step needs; names the permission where AWS says it. */
export class AccessDeniedError extends CloudActionError {
  override readonly name = 'AccessDeniedError';
  readonly code = 'AccessDenied';
  readonly permission: string | null;

  constructor(message: string, permission: string | null, options?: ErrorOptions) {
    super(message, options);
    this.permission = permission;
  }
}

/** AWS throttled a call; the state machine retries the step with backoff. */
export class ThrottlingError extends CloudActionError {
  override readonly name = 'ThrottlingError';
  readonly code = 'Throttling';
}

/** An AWS quota stands in the way (e.g. a principal already has the most managed policies it may have). */
export class QuotaExceededError extends CloudActionError {
  override readonly name = 'QuotaExceededError';
  readonly code = 'QuotaExceeded';
}

/** Any other refusal or failure of an AWS call, with AWS's own words. */
export class AwsRequestFailedError extends CloudActionError {
  override readonly name = 'AwsRequestFailedError';
  readonly code = 'AwsRequestFailed';
}

/** The change was made but reading it back does not show it yet (IAM is eventually consistent); retried. */
export class ChangeNotVisibleError extends CloudActionError {
  override readonly name = 'ChangeNotVisibleError';
  readonly code = 'ChangeNotVisible';
}

/** The record is no longer Running (it ended elsewhere, e.g. at its deadline): the step does nothing. */
export class ActionNotRunningError extends CloudActionError {
  override readonly name = 'ActionNotRunningError';
  readonly code = 'ActionNotRunning';
}

/** The step function of this family does not implement the record's type (a deployment defect). */
export class UnsupportedActionTypeError extends CloudActionError {
  override readonly name = 'UnsupportedActionTypeError';
  readonly code = 'UnsupportedActionType';
}

/** An undo whose original action, or its recorded prior state, cannot be read. */
export class UndoSourceMissingError extends CloudActionError {
  override readonly name = 'UndoSourceMissingError';
  readonly code = 'UndoSourceMissing';
}

/** A step was invoked with a payload the state machine never sends (a defect). */
export class InvalidStepEventError extends CloudActionError {
  override readonly name = 'InvalidStepEventError';
  readonly code = 'InvalidStepEvent';
}

/**
 * The DB instance belongs to a DB cluster (Aurora): the cluster's endpoints reach every member,
 * so making one member private is no containment; act on the cluster instead.
 */
export class DbClusterMemberError extends CloudActionError {
  override readonly name = 'DbClusterMemberError';
  readonly code = 'DbClusterMember';
}

/**
 * The DB instance is in a state in which RDS refuses ModifyDBInstance (stopped, modifying,
 * backing-up, ...); nothing was changed. The record's error code is `DbInstanceNotModifiable`.
 */
export class DbInstanceNotModifiableError extends CloudActionError {
  override readonly name = 'DbInstanceNotModifiableError';
  readonly code = 'DbInstanceNotModifiable';
}

/**
 * The instance is in an Auto Scaling lifecycle state in which isolating it would hand it to the
 * group's health checks (launching, in a warm pool); nothing was changed. Error code `AutoScalingLifecycle`.
 */
export class AutoScalingLifecycleError extends CloudActionError {
  override readonly name = 'AutoScalingLifecycleError';
  readonly code = 'AutoScalingLifecycle';
}

/** The record's error code for a Step Functions error name: ours lose their `Error` suffix, others stay as they are. */
export function errorCodeOf(errorName: string): string {
  const base = errorName.endsWith('Error') ? errorName.slice(0, -'Error'.length) : errorName;
  return (cloudActionErrorCodes as readonly string[]).includes(base) ? base : errorName;
}

/**
 * Every named error by its name, to map a failure that crossed a Lambda boundary (its `errorType`)
 * back to its class; keyed by an instance's `name`, which bundling's minifier leaves alone.
 */
const errorClassesByName: ReadonlyMap<string, new (message: string) => CloudActionError> = new Map<string, new (message: string) => CloudActionError>(
  [
    TargetAccountNotAllowedError,
    ProtectedTargetError,
    InvalidTargetError,
    MemberRoleUnavailableError,
    TargetNotFoundError,
    ThrottlingError,
    QuotaExceededError,
    AwsRequestFailedError,
    ChangeNotVisibleError,
    ActionNotRunningError,
    UnsupportedActionTypeError,
    UndoSourceMissingError,
    InvalidStepEventError,
    DbClusterMemberError,
    DbInstanceNotModifiableError,
    AutoScalingLifecycleError,
  ].map((named) => [new named('').name, named]),
);

/**
 * The named error a Lambda function's failure stood for, from its `errorType` and `errorMessage`
 * (Lambda carries nothing else); undefined when the type is none of these.
 */
export function cloudActionErrorOf(errorType: string, errorMessage: string): CloudActionError | undefined {
  if (errorType === 'AccessDeniedError') {
    return new AccessDeniedError(errorMessage, /the member role needs ([\w-]+:[\w*]+)/.exec(errorMessage)?.[1] ?? null);
  }
  const named = errorClassesByName.get(errorType);
  return named === undefined ? undefined : new named(errorMessage);
}

/** What the failed call was, for messages: `iam:AttachUserPolicy on IAM user alice`. */
export interface AwsCallDescription {
  readonly accountId: string;
  readonly operation?: string;
}

// Error names AWS services use for throttling (the SDK's own list, plus the IAM and EC2 spellings).
const throttlingNames = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);
const accessDeniedNames = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthorizationError',
  'AuthFailure',
]);
const notFoundNames = new Set(['NoSuchEntity', 'NoSuchEntityException', 'ResourceNotFoundException', 'NotFoundException']);
const quotaNames = new Set(['LimitExceeded', 'LimitExceededException', 'ServiceQuotaExceededException']);

interface SdkErrorShape {
  readonly name: string;
  readonly message: string;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

function isSdkError(error: unknown): error is SdkErrorShape & Error {
  return error instanceof Error && '$metadata' in error;
}

/**
 * AWS's own words for a failed call, without signing material: a SignatureDoesNotMatch (and its
 * kin) spells out the canonical request AWS expected, whose headers carry x-amz-security-token,
 * the caller's session token, and these words reach the record (readable with a read scope) and
 * the logs. The diagnostics are cut, and a token named anywhere else is masked.
 */
export function awsWords(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const diagnostics = message.search(/\s*The (Canonical String|String-to-Sign) for this request/i);
  const words = diagnostics === -1 ? message : `${message.slice(0, diagnostics)} (signing details left out)`;
  return words.replace(/(x-amz-security-token\s*[:=]\s*)[^\s&'"]+/gi, '$1[redacted]');
}

/**
 * The named error for a failed AWS call: throttling becomes ThrottlingError (retried by the
 * state machine), access denied names the missing permission, and other service errors keep
 * AWS's words. Errors that are not AWS service errors (defects, ours) pass through unchanged.
 */
export function fromAwsError(error: unknown, call: AwsCallDescription): unknown {
  if (error instanceof CloudActionError || !isSdkError(error)) return error;
  const where = `${call.operation === undefined ? 'a call' : call.operation} in account ${call.accountId}`;
  if (throttlingNames.has(error.name) || error.$retryable?.throttling === true || error.$metadata?.httpStatusCode === 429) {
    return new ThrottlingError(`AWS throttled ${where} (${error.name}: ${awsWords(error)})`, { cause: error });
  }
  if (accessDeniedNames.has(error.name)) {
    const permission = /perform: ([\w-]+:[\w*]+)/.exec(error.message)?.[1] ?? null;
    const missing = permission === null ? '' : `; the member role needs ${permission}`;
    return new AccessDeniedError(`access denied to ${where}${missing} (${awsWords(error)})`, permission, { cause: error });
  }
  if (notFoundNames.has(error.name)) {
    return new TargetNotFoundError(`not found: ${where} (${awsWords(error)})`, { cause: error });
  }
  if (quotaNames.has(error.name)) {
    return new QuotaExceededError(`an AWS quota stopped ${where} (${awsWords(error)})`, { cause: error });
  }
  const status = error.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) {
    // The SDK already retried it (standard mode, jittered backoff): say that AWS failed, and how often.
    const attempts = error.$metadata?.attempts;
    const tries = attempts === undefined || attempts < 2 ? '' : ` after ${String(attempts)} attempts`;
    return new AwsRequestFailedError(`AWS failed ${where} with HTTP ${String(status)}${tries} (${error.name}: ${awsWords(error)})`, { cause: error });
  }
  return new AwsRequestFailedError(`AWS refused ${where} (${error.name}: ${awsWords(error)})`, { cause: error });
}
