import type { ServiceConfig } from '#shared/config/config.ts';

/** Whether `arn` matches one of the protected-target patterns (`*` matches any run of characters). */
export function isProtectedTarget(arn: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => patternToRegExp(pattern).test(arn));
}

/** Whether cloud actions may touch `account` under the allow-list. */
export function isTargetAccountAllowed(account: string, targets: ServiceConfig['targetAccounts']): boolean {
  return targets.all || targets.ids.has(account);
}

const cache = new Map<string, RegExp>();

function patternToRegExp(pattern: string): RegExp {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
    compiled = new RegExp(`^${escaped.join('.*')}$`);
    cache.set(pattern, compiled);
  }
  return compiled;
}
