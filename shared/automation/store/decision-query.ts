import { isRfc3339 } from '#shared/catalogue/fields.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { decisionOutcomes, type DecisionOutcome, type DecisionQuery, type DecisionRecord } from '../types.ts';

const defaultDecisionLimit = 50;
const maxDecisionLimit = 200;
/** Longer than any source's finding id (an ASFF id is an ARN) or any rule id, short enough for a key. */
const maxFilterLength = 1024;

/** A decision query whose values were checked: times as ISO instants, the limit a whole number in range. */
export interface CheckedDecisionQuery {
  readonly findingId?: string;
  readonly ruleId?: string;
  readonly outcome?: DecisionOutcome;
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** Checks a listing's filters; every bad value is named (InvalidInputError), nothing is guessed. */
export function checkDecisionQuery(query: DecisionQuery): CheckedDecisionQuery {
  const errors: FieldError[] = [];
  const text = (name: 'findingId' | 'ruleId'): string | undefined => {
    const value: unknown = query[name];
    if (value === undefined) return undefined;
    // Bytes too: a DynamoDB key holds 2048 bytes, and 1024 three-byte characters would fail the query (a 500).
    if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value, 'utf8') > maxFilterLength) {
      errors.push({ path: name, message: `must be between 1 and ${maxFilterLength} characters (${maxFilterLength} bytes in UTF-8)` });
      return undefined;
    }
    return value;
  };
  const time = (name: 'from' | 'to'): string | undefined => {
    const value: unknown = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !isRfc3339(value)) {
      errors.push({ path: name, message: 'must be an RFC 3339 date-time, e.g. 2026-03-01T12:00:00Z' });
      return undefined;
    }
    return new Date(value).toISOString();
  };
  const findingId = text('findingId');
  const ruleId = text('ruleId');
  const outcome: unknown = query.outcome;
  if (outcome !== undefined && !(decisionOutcomes as readonly unknown[]).includes(outcome)) {
    errors.push({ path: 'outcome', message: `must be one of ${decisionOutcomes.join(', ')}` });
  }
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && from > to) errors.push({ path: 'from', message: 'must not be after to' });
  const limit: unknown = query.limit ?? defaultDecisionLimit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > maxDecisionLimit) {
    errors.push({ path: 'limit', message: `must be a whole number from 1 to ${maxDecisionLimit}` });
  }
  const cursor: unknown = query.cursor;
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor.length === 0)) errors.push({ path: 'cursor', message: 'must be a cursor this listing returned' });
  if (errors.length > 0) throw new InvalidInputError(errors);
  return {
    ...(findingId === undefined ? {} : { findingId }),
    ...(ruleId === undefined ? {} : { ruleId }),
    ...(outcome === undefined ? {} : { outcome: outcome as DecisionOutcome }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    limit: limit as number,
    ...(cursor === undefined ? {} : { cursor: cursor as string }),
  };
}

/** Whether a decision satisfies every filter: the index read narrows, this decides. */
export function decisionMatches(record: DecisionRecord, query: CheckedDecisionQuery): boolean {
  const at = new Date(record.receivedAt).toISOString();
  return (
    (query.findingId === undefined || record.findingId === query.findingId) &&
    (query.ruleId === undefined || record.ruleId === query.ruleId) &&
    (query.outcome === undefined || record.outcome === query.outcome) &&
    (query.from === undefined || at >= query.from) &&
    (query.to === undefined || at <= query.to)
  );
}
