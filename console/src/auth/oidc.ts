import { ErrorResponse, InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { ConsoleAuthConfig } from '../config.ts';
import { safeReturnPath, sessionFromToken, type Session } from './session.ts';

type OidcConfig = Extract<ConsoleAuthConfig, { kind: 'oidc' }>;

export const callbackPath = '/auth/callback';
/** Where the provider sends the browser after ending its session (register it as a post-logout redirect URI). */
export const signedOutPath = '/sign-in';

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
    post_logout_redirect_uri: `${window.location.origin}${signedOutPath}`,
    response_type: 'code',
    scope: ['openid', ...config.scope.split(' ').filter((scope) => scope !== '' && scope !== 'openid')].join(' '),
    // RFC 8707: the resource goes with the authorization request and again with the code
    // exchange, where the provider picks which API the access token is for.
    ...(config.resource === undefined ? {} : { resource: config.resource, extraTokenParams: { resource: config.resource } }),
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

/**
 * Why a sign-in came back without a session, in words for the person; the provider's own
 * description is shown as text only (it comes from the address bar).
 */
export function signInFailureMessage(failure: unknown): string {
  if (failure instanceof ErrorResponse) {
    if (failure.error === 'access_denied') {
      return 'The sign-in was cancelled or refused at the identity provider (access_denied). Sign in again to retry, or ask for access to this console.';
    }
    const described = failure.error_description === null ? '' : `: ${failure.error_description}`;
    return `The identity provider did not sign you in (${failure.error ?? 'error'}${described}).`;
  }
  const message = failure instanceof Error ? failure.message : String(failure);
  if (message === 'No matching state found in storage' || message === 'No state in response') {
    return 'This sign-in answer does not belong to a sign-in started in this tab (it may be old, opened in another tab, or not from this console), so it was not used. Sign in again.';
  }
  return `The sign-in could not be completed: ${message}`;
}

/**
 * Signing out: the tokens are forgotten here at once; then, when the provider publishes an
 * end-session endpoint, the browser goes there to end the provider's session too (else the next
 * `Sign in` would sign straight back in), and comes back to {@link signedOutPath}.
 */
export async function endOidcSession(manager: UserManager): Promise<void> {
  const user = await manager.getUser();
  await manager.removeUser();
  const endSession = await manager.metadataService.getEndSessionEndpoint().catch(() => undefined);
  if (endSession === undefined || user === null) return;
  await manager.signoutRedirect({ ...(user.id_token === undefined ? {} : { id_token_hint: user.id_token }) });
}
