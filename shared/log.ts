/**
 * Structured JSON logs, one line each. Secrets never reach a log: fields named like
 * credentials, tokens or URLs that carry signatures are replaced, and bearer tokens, JWTs
 * and presigned-URL signatures inside any string are masked.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

// Whole names, and any name ending like a secret (responderToken, clientSecret, x-amz-security-token, privateKeyPem).
const secretKeys = /^(set-cookie|d|downloadurl|uploadurl|url|presignedurl)$|(authorization|cookie|token|secretaccesskey|password|secret|privatekey\w*|signingkey)$/i;
const secretPatterns: readonly [RegExp, string][] = [
  [/Bearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer [redacted]'],
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  [/(X-Amz-(Signature|Credential|Security-Token)=)[^&\s"]+/gi, '$1[redacted]'],
  // The local evidence store's URLs (local/evidence/signed-urls.ts) sign with a plain `signature` parameter.
  [/([?&]signature=)[^&\s"]+/gi, '$1[redacted]'],
];

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') {
    return secretPatterns.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), value);
  }
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redact(value.message, depth + 1),
      stack: redact(value.stack, depth + 1),
      ...(value.cause === undefined ? {} : { cause: redact(value.cause, depth + 1) }),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, secretKeys.test(key) ? '[redacted]' : redact(item, depth + 1)]),
    );
  }
  return value;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One log line as an object, redacted: `{ level, time, message, ...fields }`. The Lambda
 * functions' Powertools formatter (shared/observability/log-formatter.ts) builds its lines with it
 * too, so a line has one shape and one redaction wherever it is written.
 */
export function logEntry(level: Level, message: string, fields: Record<string, unknown> = {}, time: Date = new Date()): Record<string, unknown> {
  return { level, time: time.toISOString(), message: redact(message), ...(redact(fields) as object) };
}

/** A logger writing to `write` (stderr by default) at or above `level` (LOG_LEVEL, default info). */
export function createLogger(
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  level: Level = (process.env['LOG_LEVEL']?.toLowerCase() as Level | undefined) ?? 'info',
): Logger {
  const threshold = (order as Partial<Record<string, number>>)[level] ?? order.info;
  const log = (at: Level, message: string, fields: Record<string, unknown> = {}): void => {
    if (order[at] < threshold) return;
    write(JSON.stringify(logEntry(at, message, fields)));
  };
  return {
    debug: (message, fields) => { log('debug', message, fields); },
    info: (message, fields) => { log('info', message, fields); },
    warn: (message, fields) => { log('warn', message, fields); },
    error: (message, fields) => { log('error', message, fields); },
  };
}

let serviceLogger: Logger = createLogger();

/**
 * The service's logger. It writes with {@link createLogger} (the local runtime, tests) until a
 * Lambda entry point hands it Powertools' Logger ({@link useLogger}), so the shared code that
 * logs never imports Powertools and responders on hosts never load it.
 */
export const logger: Logger = {
  debug: (message, fields) => { serviceLogger.debug(message, fields); },
  info: (message, fields) => { serviceLogger.info(message, fields); },
  warn: (message, fields) => { serviceLogger.warn(message, fields); },
  error: (message, fields) => { serviceLogger.error(message, fields); },
};

/** Sends {@link logger}'s lines to `next` from now on (shared/observability/lambda.ts installs Powertools'). */
export function useLogger(next: Logger): void {
  serviceLogger = next;
}
