import { UnauthorizedError } from '#shared/auth/errors.ts';
import { categories } from '#shared/catalogue/types.ts';
import type { Category } from '#shared/catalogue/types.ts';

/**
 * Scopes of API.md and what a caller holding them may do.
 *
 * Decision: a category's `.exec` scope also grants reading that category. Whoever may create
 * a containment action gets its record back on 202 and must be able to follow it
 * (`GET /v1/actions/{id}`), undo it and re-execute it; an exec-only caller who could not read
 * what they just did would be a trap. `.read` alone grants reading only.
 *
 * Responder binding: a responder's token carries `response-actions.respond` and the private
 * claim `ra_responder` naming the one host or cluster it serves, as `host/<host.id>` or
 * `kubernetes/<kubernetes.cluster.name>`. One string claim rather than an object or two
 * claims, because API Gateway's JWT authorizer hands claims to Lambda flattened to strings
 * (an object would arrive as Go's `map[...]` text) and one claim cannot be half present.
 * A token with the respond scope and no valid `ra_responder` is refused (401): an unbound
 * responder credential must not exist. `ra_responder` without the respond scope grants nothing.
 */

/** The exec scope of each category: needed to create (undo and re-execute included) its actions. */
export const execScopes = {
  containment: 'containment-response-actions.exec',
  'data-gathering': 'data-gathering-response-actions.exec',
} as const satisfies Record<Category, string>;

/** The read scope of each category: needed to see its records (exec grants it too). */
export const readScopes = {
  containment: 'containment-response-actions.read',
  'data-gathering': 'data-gathering-response-actions.read',
} as const satisfies Record<Category, string>;

/** Responders only; meaningful together with the `ra_responder` binding claim. */
export const respondScope = 'response-actions.respond';

/** Finding sources posting to `POST /v1/events`; nothing else. */
export const eventsScope = 'response-actions.events';

/** Every scope the service knows, in API.md's order. */
export const scopes = [
  execScopes.containment,
  readScopes.containment,
  execScopes['data-gathering'],
  readScopes['data-gathering'],
  respondScope,
  eventsScope,
] as const;
export type Scope = (typeof scopes)[number];

const knownScopes: ReadonlySet<string> = new Set(scopes);
const actionScopes: readonly string[] = [...Object.values(execScopes), ...Object.values(readScopes)];

/** True when `value` is one of the six scopes of API.md. */
export function isScope(value: string): value is Scope {
  return knownScopes.has(value);
}

export const responderKinds = ['host', 'kubernetes'] as const;
export type ResponderKind = (typeof responderKinds)[number];

/** The host or cluster a responder credential is bound to. */
export interface ResponderBinding {
  readonly kind: ResponderKind;
  readonly name: string;
}

/** The claim that binds a responder token to its host or cluster. */
export const responderClaim = 'ra_responder';

/** Who is calling, as the token says: identity, scopes, and for a responder its binding. */
export interface Caller {
  readonly sub: string;
  readonly scopes: ReadonlySet<string>;
  /** Set only for a token with `response-actions.respond` (and then always). */
  readonly responder?: ResponderBinding;
  /**
   * For a `response-actions.events` token carrying the `ra_events` claim: the only sources (and
   * Falco hosts) it may post findings for. Absent: any source.
   */
  readonly events?: readonly EventsGrant[];
}

/**
 * The `ra_events` claim: space-separated `guardduty`, `securityhub`, `falco` or `falco/<hostname>`.
 * A falcosidekick on one node gets `falco/<node>`, so a stolen token cannot make findings (and
 * so kills or quarantines) about any other host. One string claim for the same reason as
 * `ra_responder`: API Gateway hands claims to Lambda flattened to strings.
 */
export const eventsClaim = 'ra_events';

export interface EventsGrant {
  readonly source: 'guardduty' | 'securityhub' | 'falco';
  /** For `falco/<hostname>`: the one host whose alerts the token may post. */
  readonly hostname?: string;
}

// host.id allows ':' (the catalogue's rule); cluster names are a subset of this.
const responderNamePattern = /^[A-Za-z0-9._:-]{1,253}$/;

/** `host/node-7`, `kubernetes/prod-eu`: the value of the `ra_responder` claim. */
export function formatResponderClaim(binding: ResponderBinding): string {
  if (!responderNamePattern.test(binding.name)) {
    throw new RangeError(
      `responder name "${binding.name}" must be 1 to 253 characters of letters, digits, '.', '_', ':' and '-'`,
    );
  }
  return `${binding.kind}/${binding.name}`;
}

/** Reads an `ra_responder` value; undefined when it is not `host/<name>` or `kubernetes/<name>`. */
export function parseResponderClaim(value: string): ResponderBinding | undefined {
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const kind = value.slice(0, slash);
  const name = value.slice(slash + 1);
  if (!responderNamePattern.test(name)) return undefined;
  if (kind === 'host' || kind === 'kubernetes') return { kind, name };
  return undefined;
}

/** The longest subject (sub claim) accepted; identity providers' subjects are far shorter. */
export const maxSubjectLength = 256;

/** At most {@link maxSubjectLength} characters, no control characters or line separators. */
export function isAcceptableSubject(sub: string): boolean {
  return sub.length <= maxSubjectLength && !/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(sub);
}

/**
 * The caller a verified token's claims describe. Takes both shapes claims come in: a decoded
 * JWT (`scope: "a b"`, `scp: ["a", "b"]`) and API Gateway's JWT authorizer context, where every
 * claim is a string (`scp: "[a b]"`). Scopes are the union of `scope` and `scp` (Cognito and
 * Okta use arrays, Entra a space-separated `scp`). Throws {@link UnauthorizedError} when `sub`
 * is missing, a scope claim is unusable, or a respond-scoped token lacks its binding.
 */
export function callerFromClaims(claims: Readonly<Record<string, unknown>>): Caller {
  const sub = claims['sub'];
  if (typeof sub !== 'string' || sub.trim() === '') {
    throw new UnauthorizedError('claims', 'the bearer token has no subject (sub claim); the caller must be identifiable');
  }
  // The subject is written into every record (createdBy), logs and idempotency keys: no line
  // breaks or other control characters that could forge a log line, and a bounded length.
  if (!isAcceptableSubject(sub)) {
    throw new UnauthorizedError(
      'claims',
      `the bearer token's subject (sub claim) must be at most ${maxSubjectLength} characters without control characters`,
    );
  }
  const granted = new Set([...scopeList(claims, 'scope'), ...scopeList(claims, 'scp')]);
  const events = eventsGrantsOf(claims);
  if (!granted.has(respondScope)) return { sub, scopes: granted, ...(events === undefined ? {} : { events }) };

  const binding = claims[responderClaim];
  const responder = typeof binding === 'string' ? parseResponderClaim(binding.trim()) : undefined;
  if (responder === undefined) {
    throw new UnauthorizedError(
      'claims',
      `a token with ${respondScope} must name its host or cluster in the ${responderClaim} claim (host/<host.id> or kubernetes/<cluster>)`,
    );
  }
  return { sub, scopes: granted, responder };
}

/** Reads `ra_events`; undefined when absent; a claim that does not parse is refused (401), never read as "any source". */
function eventsGrantsOf(claims: Readonly<Record<string, unknown>>): EventsGrant[] | undefined {
  const value = claims[eventsClaim];
  if (value === undefined || value === null) return undefined;
  const grants = typeof value === 'string' ? parseEventsClaim(value) : undefined;
  if (grants === undefined) {
    throw new UnauthorizedError(
      'claims',
      `the ${eventsClaim} claim must list guardduty, securityhub, falco or falco/<hostname>, separated by spaces`,
    );
  }
  return grants;
}

/** `falco/node-7 guardduty` → grants; undefined when any entry is not one of the forms (or none is given). */
export function parseEventsClaim(value: string): EventsGrant[] | undefined {
  const entries = value.trim().split(/\s+/).filter((entry) => entry !== '');
  if (entries.length === 0 || entries.length > 64) return undefined;
  const grants: EventsGrant[] = [];
  for (const entry of entries) {
    if (entry === 'guardduty' || entry === 'securityhub' || entry === 'falco') {
      grants.push({ source: entry });
      continue;
    }
    const hostname = entry.startsWith('falco/') ? entry.slice('falco/'.length) : undefined;
    if (hostname === undefined || !responderNamePattern.test(hostname)) return undefined;
    grants.push({ source: 'falco', hostname });
  }
  return grants;
}

/** The `ra_events` value for these grants (the dev issuer writes it). */
export function formatEventsClaim(grants: readonly EventsGrant[]): string {
  return grants.map((grant) => (grant.hostname === undefined ? grant.source : `falco/${grant.hostname}`)).join(' ');
}

/**
 * May this caller post a finding from `source` (about Falco host `hostname`)? Needs the events
 * scope; with `ra_events`, the source must be granted, and a Falco alert's host must be one of
 * the token's hosts when the grant names hosts.
 */
export function mayPostFinding(caller: Caller, source: EventsGrant['source'], hostname: string | null): boolean {
  if (!caller.scopes.has(eventsScope)) return false;
  if (caller.events === undefined) return true;
  return caller.events.some(
    (grant) => grant.source === source && (grant.hostname === undefined || (hostname !== null && grant.hostname === hostname)),
  );
}

function scopeList(claims: Readonly<Record<string, unknown>>, name: 'scope' | 'scp'): string[] {
  const value = claims[name];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    const trimmed = value.trim();
    // API Gateway renders an array claim as "[a b]".
    const list = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
    return list.split(/\s+/).filter((scope) => scope !== '');
  }
  if (Array.isArray(value) && value.every((scope): scope is string => typeof scope === 'string')) {
    return value.flatMap((scope) => scope.split(/\s+/)).filter((scope) => scope !== '');
  }
  throw new UnauthorizedError('claims', `the ${name} claim of the bearer token must be a space-separated string or a list of strings`);
}

/** May create (undo and re-execute included) actions of this category. */
export function canExecute(caller: Caller, category: Category): boolean {
  return caller.scopes.has(execScopes[category]);
}

/** May see records of this category: its `.read` or its `.exec` scope. */
export function canRead(caller: Caller, category: Category): boolean {
  return caller.scopes.has(readScopes[category]) || canExecute(caller, category);
}

/** The categories whose records this caller may see; others answer 404. */
export function readableCategories(caller: Caller): Category[] {
  return categories.filter((category) => canRead(caller, category));
}

/** Holds any of the four category scopes: enough for `GET /v1/action-types` and `GET /v1/responders`. */
export function hasAnyActionScope(caller: Caller): boolean {
  return actionScopes.some((scope) => caller.scopes.has(scope));
}

/** A responder token bound to exactly this host or cluster. */
export function canRespondFor(caller: Caller, target: ResponderBinding): boolean {
  return (
    caller.scopes.has(respondScope) &&
    caller.responder !== undefined &&
    caller.responder.kind === target.kind &&
    caller.responder.name === target.name
  );
}
