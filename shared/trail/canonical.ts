import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth and nothing optional about it, so that the same
 * value always gives the same bytes (what the trail hashes). `undefined` members are left out,
 * as JSON.stringify and the DynamoDB client (removeUndefinedValues) both do; a number that JSON
 * cannot carry (NaN, Infinity) is refused rather than written as null.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no ${String(value)}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
      if (value instanceof Set) return canonicalJson([...(value as Set<unknown>)].sort());
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, member]) => member !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no ${typeof value}`);
  }
}

/** Hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}
