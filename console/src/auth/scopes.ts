import type { Category } from '../api/types.ts';

/** API.md's scopes a person can hold (responders' and finding sources' are not for people). */
export const personScopes = [
  'containment-response-actions.exec',
  'containment-response-actions.read',
  'data-gathering-response-actions.exec',
  'data-gathering-response-actions.read',
] as const;

export const execScope = (category: Category): string => `${category}-response-actions.exec`;
export const readScope = (category: Category): string => `${category}-response-actions.read`;

/**
 * The scope names in a token's `scope` claim. Cognito writes custom scopes as
 * `<resource server>/<scope>`; the console only uses them to explain what a person may do (the
 * service decides), so both spellings count.
 */
export function scopesOf(claim: unknown): Set<string> {
  if (typeof claim !== 'string') return new Set();
  return new Set(claim.split(' ').filter((scope) => scope !== '').map((scope) => scope.slice(scope.lastIndexOf('/') + 1)));
}

/** Why this person may not run actions of `category`, or null when they may. */
export function execRefusal(scopes: ReadonlySet<string>, category: Category): string | null {
  return scopes.has(execScope(category)) ? null : `Needs the ${execScope(category)} scope; you are signed in without it.`;
}

export function canRead(scopes: ReadonlySet<string>, category: Category): boolean {
  return scopes.has(readScope(category)) || scopes.has(execScope(category));
}
