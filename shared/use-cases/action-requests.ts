import { createHash } from 'node:crypto';
import { ConflictError, type IdempotencyConflictError } from '#shared/errors.ts';

/** A digest of what was asked, so the same Idempotency-Key with another body is recognised. */
export function requestHash(request: { readonly type: unknown; readonly inputs: unknown; readonly reason?: unknown }): string {
  return createHash('sha256')
    .update(canonicalJson({ type: request.type, inputs: request.inputs, reason: request.reason ?? null }))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const idPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Action and approval ids are UUIDs: anything else is not looked up at all. */
export function isActionId(id: string): boolean {
  return idPattern.test(id);
}

/** The 409 for a reused Idempotency-Key: names no action id (the earlier action's id is not the caller's to learn here). */
export function idempotencyConflict(cause: IdempotencyConflictError): ConflictError {
  return new ConflictError('this Idempotency-Key was already used with a different request; use a new key for a new request', { cause });
}
