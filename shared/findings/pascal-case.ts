/**
 * GuardDuty's GetFindings answers with the same fields as its EventBridge events, spelled in
 * PascalCase (`Resource.AccessKeyDetails.UserName`). One schema reads both: a PascalCase finding's
 * keys get a lower-case first letter, and a refusal's path is mapped back to the keys as sent.
 */
import { InvalidFindingError } from './invalid-finding-error.ts';
import { formatPath } from './field-path.ts';

function camel(key: string): string {
  return key.length > 0 && key[0] !== key[0]?.toLowerCase() ? `${key[0]?.toLowerCase() ?? ''}${key.slice(1)}` : key;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when a GuardDuty finding uses GetFindings' spelling: `Id` or `Type` without `id` or `type`. */
export function isPascalCaseFinding(finding: unknown): boolean {
  if (!isRecord(finding)) return false;
  const has = (key: string) => Object.hasOwn(finding, key);
  return (has('Id') || has('Type')) && !has('id') && !has('type');
}

/**
 * A copy of `value` with every object key's first letter lower-cased. Two keys that become one
 * (`Count` and `count`) are refused rather than one silently winning. The body is already bounded
 * (body-limits.ts), so the recursion is too.
 */
export function camelCaseKeys(value: unknown, at: readonly PropertyKey[]): unknown {
  if (Array.isArray(value)) return value.map((item: unknown, index) => camelCaseKeys(item, [...at, index]));
  if (!isRecord(value)) return value;
  const copy: Record<string, unknown> = {};
  const spelled = new Map<string, string>();
  for (const [key, item] of Object.entries(value)) {
    const renamed = camel(key);
    const earlier = spelled.get(renamed);
    if (earlier !== undefined) {
      throw new InvalidFindingError([{ path: formatPath([...at, key]), message: `is given twice, as ${earlier} and ${key}; give it once` }]);
    }
    spelled.set(renamed, key);
    copy[renamed] = camelCaseKeys(item, [...at, key]);
  }
  return copy;
}

/** Maps a path in the camel-cased copy back to the keys of `original`, as the sender spelled them. */
export function originalPath(original: unknown, path: readonly PropertyKey[]): PropertyKey[] {
  const mapped: PropertyKey[] = [];
  let node = original;
  for (const segment of path) {
    if (typeof segment === 'string' && isRecord(node)) {
      const key = Object.hasOwn(node, segment) ? segment : (Object.keys(node).find((candidate) => camel(candidate) === segment) ?? segment);
      mapped.push(key);
      node = node[key];
    } else {
      mapped.push(segment);
      node = Array.isArray(node) && typeof segment === 'number' ? (node as unknown[])[segment] : undefined;
    }
  }
  return mapped;
}
