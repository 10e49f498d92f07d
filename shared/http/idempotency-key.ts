import type { FieldError } from '#shared/catalogue/types.ts';

const idempotencyKeyPattern = /^[\x21-\x7e]{1,128}$/;

/** The Idempotency-Key header's problems (none when absent): the creates that take one report them with the body's. */
export function idempotencyKeyErrors(key: string | undefined): FieldError[] {
  return key !== undefined && !idempotencyKeyPattern.test(key)
    ? [{ path: 'Idempotency-Key', message: 'must be 1-128 printable ASCII characters without spaces' }]
    : [];
}
