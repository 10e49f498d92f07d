import { InvalidEvidenceInputError, InvalidEvidenceNameError } from './errors.ts';

/** 1-200 characters of `[A-Za-z0-9._-]`, not starting with a dot (so never `.`, `..` or a hidden file). */
const safeSegment = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** The longest a presigned URL may live, in seconds (15 minutes). */
export const maxPresignedUrlSeconds = 900;

/**
 * Whether `value` may be an action id or evidence name: it becomes one path segment of an
 * object key and, locally, of a file path, so it never holds `/`, `..` or a leading dot.
 */
export function isSafeEvidenceSegment(value: string): boolean {
  return safeSegment.test(value) && !value.includes('..');
}

export function assertActionId(actionId: string): void {
  if (!isSafeEvidenceSegment(actionId)) throw new InvalidEvidenceNameError('actionId', actionId);
}

export function assertEvidenceName(name: string): void {
  if (!isSafeEvidenceSegment(name)) throw new InvalidEvidenceNameError('name', name);
}

/** `actions/<actionId>/`, the prefix under which one action's evidence lives. */
export function evidencePrefix(actionId: string): string {
  assertActionId(actionId);
  return `actions/${actionId}/`;
}

/** `actions/<actionId>/<name>`, after checking both parts. */
export function evidenceKey(actionId: string, name: string): string {
  assertEvidenceName(name);
  return `${evidencePrefix(actionId)}${name}`;
}

/** The action id and name of an evidence key, or null when `key` is not one. */
export function parseEvidenceKey(key: string): { actionId: string; name: string } | null {
  const parts = key.split('/');
  if (parts.length !== 3 || parts[0] !== 'actions') return null;
  const [, actionId = '', name = ''] = parts;
  return isSafeEvidenceSegment(actionId) && isSafeEvidenceSegment(name) ? { actionId, name } : null;
}

/** `type/subtype` with optional parameters, as HTTP allows; nothing that could split a header. */
const token = '[A-Za-z0-9!#$&^_.+-]';
const contentTypePattern = new RegExp(
  `^${token}{1,127}/${token}{1,127}(\\s*;\\s*${token}+=("[^"\\\\\\r\\n]*"|${token}+))*$`,
);

export function assertContentType(contentType: string): void {
  if (contentType.length > 255 || !contentTypePattern.test(contentType)) {
    const message = `"${contentType.slice(0, 80)}" is not a media type such as application/octet-stream`;
    throw new InvalidEvidenceInputError('contentType', message);
  }
}

/** A hex SHA-256, lower-cased; refuses anything else. */
export function normalizeSha256(sha256: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw new InvalidEvidenceInputError('sha256', 'expected 64 hexadecimal characters (the SHA-256 of the content)');
  }
  return sha256.toLowerCase();
}

/** The expiry to sign with: a whole number of seconds from 1 up to 15 minutes (longer asks are capped). */
export function presignedUrlSeconds(expiresInSeconds: number): number {
  if (!Number.isFinite(expiresInSeconds) || expiresInSeconds < 1) {
    throw new InvalidEvidenceInputError('expiresInSeconds', 'expected a number of seconds of at least 1');
  }
  return Math.min(maxPresignedUrlSeconds, Math.floor(expiresInSeconds));
}
