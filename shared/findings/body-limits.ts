/**
 * Limits on a body's shape, checked before any schema sees it: findings come from sources an
 * attacker can provoke, so a deep, wide or huge body is refused in one bounded pass (no recursion,
 * so no stack to exhaust) and the schemas only ever walk something small.
 */
import type { FieldError } from '#shared/catalogue/types.ts';
import { formatPath } from './field-path.ts';

export interface BodyLimits {
  /** Nesting of objects and arrays; GuardDuty's deepest documented path is about 10 levels. */
  readonly maxDepth: number;
  readonly maxArrayLength: number;
  readonly maxKeysPerObject: number;
  readonly maxStringLength: number;
  /** Every value counted once: the whole body's size in nodes. */
  readonly maxNodes: number;
}

/** EventBridge caps an event at 256 KB, so these leave room for every real finding and little more. */
export const defaultBodyLimits: BodyLimits = {
  maxDepth: 32,
  maxArrayLength: 1000,
  maxKeysPerObject: 1000,
  maxStringLength: 65_536,
  maxNodes: 50_000,
};

/**
 * Keys that change an object's prototype when assigned (`__proto__`), refused wherever they are, so
 * no copy of the body made by a schema or a spread can give an object an attacker's prototype.
 */
const prototypeKeys = new Set(['__proto__']);

interface Pending {
  readonly value: unknown;
  readonly path: readonly PropertyKey[];
  readonly depth: number;
}

/** The first limit the body breaks, as a field error naming where; null when it keeps to them all. */
export function bodyLimitError(body: unknown, limits: BodyLimits = defaultBodyLimits): FieldError | null {
  const pending: Pending[] = [{ value: body, path: [], depth: 0 }];
  let nodes = 0;
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop() as Pending;
    nodes += 1;
    if (nodes > limits.maxNodes) return { path: formatPath(path), message: `makes the body larger than ${limits.maxNodes} values` };
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) return { path: formatPath(path), message: `must be at most ${limits.maxStringLength} characters long` };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limits.maxDepth) return { path: formatPath(path), message: `nests deeper than ${limits.maxDepth} levels` };
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayLength) return { path: formatPath(path), message: `must have at most ${limits.maxArrayLength} items` };
      value.forEach((item: unknown, index) => pending.push({ value: item, path: [...path, index], depth: depth + 1 }));
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > limits.maxKeysPerObject) return { path: formatPath(path), message: `must have at most ${limits.maxKeysPerObject} fields` };
    for (const key of keys) {
      if (prototypeKeys.has(key)) return { path: formatPath([...path, key]), message: 'is not a field any finding has; remove it' };
      pending.push({ value: (value as Record<string, unknown>)[key], path: [...path, key], depth: depth + 1 });
    }
  }
  return null;
}
