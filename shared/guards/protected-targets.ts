import type { ServiceConfig } from '#shared/config/config.ts';

/**
 * Whether `arn` matches one of the protected-target patterns (`*` matches any run of characters).
 *
 * IAM principals are compared twice: as written, and as their canonical form
 * `arn:<partition>:iam::<account>:<type>/<name>`, path stripped and case folded on both sides.
 * IAM names are unique per account whatever the path and regardless of case, and the IAM API
 * takes the name alone, so `role/x/BreakGlass` and `role/breakglass` name the very role that
 * `role/BreakGlass` protects; a pattern written with a path protects the name on any path. A
 * pattern whose name is a bare `*` (`role/admins/*`) protects what lies on that path, as written.
 */
export function isProtectedTarget(arn: string, patterns: readonly string[]): boolean {
  const canonical = canonicalIamArn(arn);
  return patterns.some((pattern) => {
    if (patternToRegExp(pattern, false).test(arn)) return true;
    if (canonical === null) return false;
    const canonicalPattern = canonicalIamArn(pattern);
    // A pattern whose name is only `*` (`role/admins/*`) protects a path, not a name: stripped of its
    // path it would be `role/*` and protect every role. It is matched as written above.
    if (canonicalPattern === null || canonicalPattern.endsWith('/*')) return false;
    return patternToRegExp(canonicalPattern, true).test(canonical);
  });
}

/** Whether cloud actions may touch `account` under the allow-list. */
export function isTargetAccountAllowed(account: string, targets: ServiceConfig['targetAccounts']): boolean {
  return targets.all || targets.ids.has(account);
}

/**
 * `arn:<partition>:iam::<account>:<type>/<name>` for an IAM ARN (or ARN pattern) whose resource
 * is `<type>/<path>/<name>`: the path dropped, everything lower-cased. Null for anything that
 * names no IAM entity by path and name (root, other services); those are matched as written.
 * A pattern whose service part is a wildcard (`arn:*:*:...`) could name IAM too, so it is
 * canonicalized as well.
 */
export function canonicalIamArn(arn: string): string | null {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, partition = '', service = '', , account = ''] = parts;
  const resource = parts.slice(5).join(':');
  // The region is dropped: IAM is global, and the IAM API ignores one an ARN might carry.
  if (!couldBe(service, 'iam')) return null;
  const slash = resource.indexOf('/');
  if (slash <= 0) return null;
  const type = resource.slice(0, slash);
  const name = resource.slice(resource.lastIndexOf('/') + 1);
  if (name === '') return null;
  return `arn:${partition}:iam::${account}:${type}/${name}`.toLowerCase();
}

/** Whether a pattern part (possibly with `*`) can equal `value`. */
function couldBe(part: string, value: string): boolean {
  return part === value || (part.includes('*') && patternToRegExp(part, true).test(value));
}

const cache = new Map<string, RegExp>();

function patternToRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let compiled = cache.get(key);
  if (compiled === undefined) {
    const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
    compiled = new RegExp(`^${escaped.join('.*')}$`, ignoreCase ? 'is' : 's');
    cache.set(key, compiled);
  }
  return compiled;
}
