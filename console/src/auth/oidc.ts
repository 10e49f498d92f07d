import { InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { ConsoleAuthConfig } from '../config.ts';
import { safeReturnPath, sessionFromToken, type Session } from './session.ts';

type OidcConfig = Extract<ConsoleAuthConfig, { kind: 'oidc' }>;

export const callbackPath = '/auth/callback';

/**
 * Authorization code with PKCE against the configured issuer. The user (tokens) is kept in memory
 * only; what must survive the redirect (state, nonce, PKCE verifier) goes to sessionStorage,
 * which is this tab's alone and is removed once the callback has used it. No silent renew in an
 * iframe: the Content-Security-Policy allows no frames; an expired token means signing in again.
 */
export function createUserManager(config: OidcConfig): UserManager {
  return new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: `${window.location.origin}${callbackPath}`,
    post_logout_redirect_uri: `${window.location.origin}/`,
    response_type: 'code',
    scope: ['openid', ...config.scope.split(' ').filter((scope) => scope !== '' && scope !== 'openid')].join(' '),
    ...(config.resource === undefined ? {} : { resource: config.resource }),
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: false,
    monitorSession: false,
    loadUserInfo: false,
  });
}

/** Sends the browser to the issuer; `returnTo` comes back through the signed-in state. */
export async function startOidcSignIn(manager: UserManager, returnTo: string): Promise<void> {
  await manager.signinRedirect({ state: safeReturnPath(returnTo) });
}

/** Completes the redirect: exchanges the code (with the PKCE verifier) for tokens. */
export async function completeOidcSignIn(manager: UserManager): Promise<{ session: Session; returnTo: string }> {
  const user = await manager.signinRedirectCallback();
  const returnTo = safeReturnPath(typeof user.state === 'string' ? user.state : '/');
  const session = sessionFromToken(user.access_token, user.expires_in);
  return { session: { ...session, sub: typeof user.profile.sub === 'string' && session.sub === 'unknown' ? user.profile.sub : session.sub }, returnTo };
}
