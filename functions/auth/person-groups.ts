import { execScopes, readScopes } from '#shared/auth/scopes.ts';
import { categories } from '#shared/catalogue/types.ts';

/**
 * The console's user pool (Cognito, made by the CDK app): its groups, what each grants, and the
 * resource server its app client may ask for. Persons only: no group grants
 * `response-actions.respond` (responders) or `response-actions.events` (finding sources), which
 * are machine credentials with their own claims.
 */

/** Identifier of the pool's resource server; Cognito writes its scopes `<identifier>/<scope>`. */
export const resourceServerIdentifier = 'response-actions';

/** A category's exec or read scope: what a person may hold (never respond or events). */
type PersonScope = (typeof execScopes | typeof readScopes)[keyof typeof execScopes];

/** The person scopes, in API.md's order (each category's exec, then its read): the resource server's scopes. */
export const personScopes: readonly PersonScope[] = categories.flatMap((category) => [execScopes[category], readScopes[category]]);

/** Each group and the bare scopes it grants; a category's `.exec` implies its `.read`, as the service decides. */
export const personGroups = {
  'containment-responders': [execScopes.containment, readScopes.containment],
  'containment-readers': [readScopes.containment],
  'data-gathering-responders': [execScopes['data-gathering'], readScopes['data-gathering']],
  'data-gathering-readers': [readScopes['data-gathering']],
} as const satisfies Record<string, readonly PersonScope[]>;

export type PersonGroup = keyof typeof personGroups;

/** How Cognito writes a resource server scope in a request and a token. */
export function prefixedScope(scope: string): string {
  return `${resourceServerIdentifier}/${scope}`;
}

/** The bare scopes the given groups grant, in API.md's order, each once; unknown groups grant nothing. */
export function scopesOfGroups(groups: readonly string[]): string[] {
  const granted = new Set<string>();
  for (const group of groups) {
    if (Object.hasOwn(personGroups, group)) {
      for (const scope of personGroups[group as PersonGroup]) granted.add(scope);
    }
  }
  return personScopes.filter((scope) => granted.has(scope));
}
