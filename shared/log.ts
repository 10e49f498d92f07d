/**
 * Structured JSON logs, one line each. Secrets never reach a log: fields named like
 * credentials, tokens or URLs that carry signatures are replaced, and bearer tokens, JWTs
 * and presigned-URL signatures inside any string are masked.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';

const secretKeys = /^(authorization|cookie|set-cookie|token|tasktoken|accesstoken|idtoken|refreshtoken|secretaccesskey|sessiontoken|password|secret|privatekey|d|downloadurl|uploadurl|url|presignedurl)$/i;
const secretPatterns: readonly [RegExp, string][] = [
  [/Bearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer [redacted]'],
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  [/(X-Amz-(Signature|Credential|Security-Token)=)[^&\s"]+/gi, '$1[redacted]'],
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

/** A logger writing to `write` (stderr by default) at or above `level` (LOG_LEVEL, default info). */
export function createLogger(
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  level: Level = (process.env['LOG_LEVEL']?.toLowerCase() as Level | undefined) ?? 'info',
): Logger {
  const threshold = (order as Partial<Record<string, number>>)[level] ?? order.info;
  const log = (at: Level, message: string, fields: Record<string, unknown> = {}): void => {
    if (order[at] < threshold) return;
    write(JSON.stringify({ level: at, time: new Date().toISOString(), message: redact(message), ...(redact(fields) as object) }));
  };
  return {
    debug: (message, fields) => { log('debug', message, fields); },
    info: (message, fields) => { log('info', message, fields); },
    warn: (message, fields) => { log('warn', message, fields); },
    error: (message, fields) => { log('error', message, fields); },
  };
}

export const logger: Logger = createLogger();
