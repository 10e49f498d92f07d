/**
 * Bounded building blocks of the finding schemas. Objects are zod's default (unknown fields are
 * dropped, not refused): AWS adds fields to findings over time, and only the fields read are
 * checked, each with a limit.
 */
import * as z from 'zod';
import { isAccountId, isRegion, partitions } from '#shared/catalogue/arn.ts';
import { isRfc3339 } from '#shared/catalogue/fields.ts';

/** A bounded string. */
export function text(maxLength: number) {
  return z.string().max(maxLength);
}

/** A non-empty identifier of printable ASCII without spaces (finding ids, ARNs, types' ids). */
export function identifier(maxLength: number) {
  return z
    .string()
    .min(1)
    .max(maxLength)
    .regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' });
}

/** A finding type or rule name: printable ASCII, spaces allowed (ASFF types have them). */
export function typeText(maxLength: number) {
  return z
    .string()
    .min(1)
    .max(maxLength)
    .regex(/^[\x20-\x7e]+$/, { error: 'must be printable ASCII' });
}

export const accountId = z.string().refine(isAccountId, { error: 'must be a 12-digit AWS account id' });
export const region = z.string().max(20).refine(isRegion, { error: 'must be an AWS region code such as us-east-1' });
export const partition = z.enum(partitions);
export const timestamp = z
  .string()
  .max(40)
  .refine(isRfc3339, { error: 'must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-20T10:00:00Z' });
/** A count as sources report it: a whole number, never negative. */
export const count = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
