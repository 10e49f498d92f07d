import { decodeJwt } from 'jose';
import { createConfiguredVerifier, type AuthConfig } from '#shared/auth/auth-config.ts';
import { UnauthorizedError } from '#shared/auth/errors.ts';
import { respondScope } from '#shared/auth/scopes.ts';
import type { TokenVerifier } from '#shared/auth/token-verifier.ts';
import type { Clock } from '#shared/clock.ts';
import type { DevIssuer } from './dev-issuer.ts';

/**
 * The bearer-token check of `npm start`.
 *
 * Without `AUTH_ISSUER`: the local development issuer's tokens, as before.
 *
 * With `AUTH_ISSUER`: the provider's tokens, and of the local issuer's only one kind: the token of
 * this machine's in-process host responder (`response-actions.respond` alone, bound to
 * `host/<hostResponder>`). That responder signs its own tokens with the key under DATA_DIR, which
 * never leaves it; a person's token from the local issuer (`npm run token`), or a responder token
 * for any other host, is refused (401), so the provider stays the only source of people's access.
 */
export function createLocalVerifier(options: {
  readonly auth: AuthConfig;
  readonly issuer: DevIssuer;
  /** The host id of the in-process responder; null when none runs. */
  readonly hostResponder: string | null;
  readonly clock?: Clock;
}): TokenVerifier {
  const { auth, issuer, hostResponder, clock } = options;
  const local = createConfiguredVerifier({ kind: 'local-issuer', maxTokenLifetimeSeconds: auth.maxTokenLifetimeSeconds, clockToleranceSeconds: auth.clockToleranceSeconds }, issuer, clock);
  if (auth.kind === 'local-issuer') return local;
  const provider = createConfiguredVerifier(auth, undefined, clock);
  return {
    async verify(header) {
      // Only picks which verifier checks the token; both check its signature, issuer and audience.
      if (hostResponder === null || unverifiedIssuer(header) !== issuer.issuer) return provider.verify(header);
      const caller = await local.verify(header);
      const ownResponder =
        caller.responder?.kind === 'host' && caller.responder.name === hostResponder && caller.scopes.size === 1 && caller.scopes.has(respondScope);
      if (!ownResponder) {
        throw new UnauthorizedError('issuer', `this service takes tokens from ${auth.issuer}; the local issuer's tokens are for this machine's own host responder only`);
      }
      return caller;
    },
  };
}

function unverifiedIssuer(header: string | undefined): string | undefined {
  const token = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header?.trim() ?? '')?.[1];
  if (token === undefined) return undefined;
  try {
    const { iss } = decodeJwt(token);
    return iss;
  } catch {
    return undefined;
  }
}
