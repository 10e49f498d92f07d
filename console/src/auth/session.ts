import { createContext, useContext } from 'react';
import { scopesOf } from './scopes.ts';

/**
 * The signed-in person. The bearer token lives only here, in memory: never in localStorage,
 * sessionStorage or a cookie, so nothing another tab, an extension reading storage or a later
 * visitor of the machine can pick up. A reload signs out (an OIDC provider's own session signs
 * back in with one redirect).
 */
export interface Session {
  readonly token: string;
  readonly sub: string;
  readonly scopes: ReadonlySet<string>;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface SessionControls {
  readonly session: Session | null;
  readonly signIn: (session: Session) => void;
  /** Forgets the token; `expired` says why the person is asked to sign in again. */
  readonly signOut: (reason?: 'expired' | 'signed-out') => void;
}

export const SessionContext = createContext<SessionControls | null>(null);

export function useSessionControls(): SessionControls {
  const controls = useContext(SessionContext);
  if (controls === null) throw new Error('useSessionControls outside SessionContext');
  return controls;
}

/** The session of a page behind sign-in (RequireSession guarantees one). */
export function useSession(): Session {
  const { session } = useSessionControls();
  if (session === null) throw new Error('useSession on a page that does not require sign-in');
  return session;
}

/** A session from an access token: the claims are read for display only; the service verifies the token. */
export function sessionFromToken(token: string, fallbackExpiresInSeconds?: number): Session {
  const claims = decodePayload(token);
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : Date.now() + (fallbackExpiresInSeconds ?? 3600) * 1000;
  const sub = typeof claims['sub'] === 'string' ? claims['sub'] : typeof claims['username'] === 'string' ? claims['username'] : 'unknown';
  return { token, sub, scopes: scopesOf(claims['scope']), expiresAt: exp };
}

function decodePayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (part === undefined) return {};
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const parsed: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Where to go after sign-in: only a path of this site, never another origin (`//evil`, `https:`).
 * The value is read as the browser's URL parser reads it, which drops tabs and newlines and takes
 * `\` for `/`: `/<tab>/evil` and `/\evil` are `//evil`, another site, and a history push react-router
 * cannot make falls back to a full navigation there.
 */
export function safeReturnPath(value: string | null | undefined): string {
  const here = 'http://console.invalid';
  if (value === null || value === undefined || !value.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(value, here);
  } catch {
    return '/';
  }
  if (url.origin !== here || /[\p{Cc}\\]/u.test(value)) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Routes match in any case: `/Sign-In` is the sign-in page too.
  const lower = path.toLowerCase();
  if (lower.startsWith('/sign-in') || lower.startsWith('/auth/')) return '/';
  return path;
}
