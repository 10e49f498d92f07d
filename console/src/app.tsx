import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Spinner from '@cloudscape-design/components/spinner';
import type { UserManager } from 'oidc-client-ts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { createApiClient } from './api/client.ts';
import { ApiContext } from './api/hooks.ts';
import { callbackPath, completeOidcSignIn, createUserManager, endOidcSession, signInFailureMessage } from './auth/oidc.ts';
import { SessionContext, useSessionControls, type Session, type SessionControls } from './auth/session.ts';
import { SignInPage } from './auth/sign-in-page.tsx';
import { loadConsoleConfig, type ConsoleConfig } from './config.ts';
import { Shell } from './shell.tsx';
import { ActionPage, ActionsPage, ResourcePage } from './pages/actions/index.ts';
import { ApprovalPage, ApprovalsPage } from './pages/approvals/index.ts';
import { EventsPage } from './pages/events/index.ts';
import { PlaybookRunPage, PlaybookRunsPage, PlaybooksPage, RunPlaybookPage } from './pages/playbooks/index.ts';
import { RespondersPage } from './pages/responders/index.ts';
import { RunPage } from './pages/run/index.ts';

export function App() {
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  useEffect(() => {
    loadConsoleConfig().then(setConfig, (error: unknown) => {
      setConfigError(error instanceof Error ? error.message : String(error));
    });
  }, []);
  if (configError !== null) {
    return (
      <Box padding="l">
        <Alert type="error" header="The console cannot start">
          {configError}
        </Alert>
      </Box>
    );
  }
  if (config === null) return <Loading />;
  return (
    <BrowserRouter>
      <SignedIn config={config} />
    </BrowserRouter>
  );
}

function SignedIn({ config }: { readonly config: ConsoleConfig }) {
  const [session, setSession] = useState<Session | null>(null);
  // Where a session ended: the sign-in address depends on why. Navigation runs in a transition, so
  // the pages render once without a session before it lands; they must send to the same address
  // (a sign-out must not come back as "return to this page", which signs straight in again).
  const [ended, setEnded] = useState<{ readonly reason: 'expired' | 'signed-out'; readonly from: string } | null>(null);
  const navigate = useNavigate();
  const location = useLocation();
  const userManager = useMemo<UserManager | null>(() => (config.auth.kind === 'oidc' ? createUserManager(config.auth) : null), [config]);
  const locationRef = useRef(location);
  locationRef.current = location;

  const signOut = useCallback(
    (reason: 'expired' | 'signed-out' = 'signed-out') => {
      const here = `${locationRef.current.pathname}${locationRef.current.search}`;
      setEnded({ reason, from: here });
      setSession(null);
      if (userManager !== null) {
        // Signing out on purpose also ends the provider's session; an expired token only needs a new sign-in.
        const forget = reason === 'signed-out' ? endOidcSession(userManager) : userManager.removeUser();
        forget.catch(() => userManager.removeUser());
      }
      void navigate(afterSessionEnd(reason, here), { replace: true });
    },
    [navigate, userManager],
  );
  const signIn = useCallback((next: Session) => {
    setEnded(null);
    setSession(next);
  }, []);
  const controls = useMemo<SessionControls>(() => ({ session, signIn, signOut }), [session, signIn, signOut]);

  // The token's own end: sign out then, rather than let requests fail one by one.
  useEffect(() => {
    if (session === null) return undefined;
    // setTimeout fires at once past 2^31-1 ms (about 24.8 days): clamp, or a long-lived token would sign out in a loop.
    const timer = setTimeout(() => {
      signOut('expired');
    }, Math.min(2 ** 31 - 1, Math.max(0, session.expiresAt - Date.now())));
    return () => {
      clearTimeout(timer);
    };
  }, [session, signOut]);

  const api = useMemo(
    () =>
      session === null
        ? null
        : createApiClient(session.token, () => {
            signOut('expired');
          }),
    [session, signOut],
  );

  return (
    <SessionContext.Provider value={controls}>
      <Routes>
        <Route path="/sign-in" element={<SignInPage auth={config.auth} userManager={userManager} />} />
        <Route path={callbackPath} element={<OidcCallback userManager={userManager} />} />
        <Route
          path="*"
          element={
            session === null || api === null ? (
              <Navigate
                to={ended === null ? `/sign-in?returnTo=${encodeURIComponent(`${location.pathname}${location.search}`)}` : afterSessionEnd(ended.reason, ended.from)}
                replace
              />
            ) : (
              <ApiContext.Provider value={api}>
                <Shell>
                  <Routes>
                    <Route path="/" element={<Navigate to="/actions" replace />} />
                    <Route path="/actions" element={<ActionsPage />} />
                    <Route path="/actions/:id" element={<ActionPage />} />
                    <Route path="/resources/*" element={<ResourcePage />} />
                    <Route path="/run" element={<RunPage />} />
                    <Route path="/playbooks" element={<PlaybooksPage />} />
                    <Route path="/playbooks/:name" element={<RunPlaybookPage />} />
                    <Route path="/playbook-runs" element={<PlaybookRunsPage />} />
                    <Route path="/playbook-runs/:id" element={<PlaybookRunPage />} />
                    <Route path="/approvals" element={<ApprovalsPage />} />
                    <Route path="/approvals/:id" element={<ApprovalPage />} />
                    <Route path="/events" element={<EventsPage />} />
                    <Route path="/responders" element={<RespondersPage />} />
                    <Route path="*" element={<NotFound />} />
                  </Routes>
                </Shell>
              </ApiContext.Provider>
            )
          }
        />
      </Routes>
    </SessionContext.Provider>
  );
}

/**
 * `/auth/callback`: the provider's answer. A code is exchanged (with the PKCE verifier) and the
 * person goes back to the page they opened; a refusal (`?error=access_denied`), or an answer
 * whose state no sign-in in this tab started, is explained and nothing is signed in.
 */
function OidcCallback({ userManager }: { readonly userManager: UserManager | null }) {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const done = useRef(false);
  const { signIn } = useSessionControls();
  useEffect(() => {
    if (done.current || userManager === null) return;
    done.current = true;
    completeOidcSignIn(userManager).then(
      ({ session, returnTo }) => {
        signIn(session);
        void navigate(returnTo, { replace: true });
      },
      (failure: unknown) => {
        setError(signInFailureMessage(failure));
        // The code, state and error stay out of the address bar (and out of history).
        void navigate(callbackPath, { replace: true });
      },
    );
  });
  if (userManager === null) return <Navigate to="/sign-in" replace />;
  return error === null ? (
    <Loading />
  ) : (
    <Box padding="l">
      <Alert
        type="error"
        header="Sign-in failed"
        action={
          <Button
            onClick={() => {
              void navigate('/sign-in', { replace: true });
            }}
          >
            Sign in again
          </Button>
        }
      >
        {error}
      </Alert>
    </Box>
  );
}

/** The sign-in page after a session ends: back to `from` after an expiry; a plain sign-in page after signing out. */
function afterSessionEnd(reason: 'expired' | 'signed-out', from: string): string {
  return reason === 'expired' ? `/sign-in?expired=1&returnTo=${encodeURIComponent(from)}` : '/sign-in';
}

function NotFound() {
  return (
    <Box padding="l">
      <Alert type="info" header="No such page">
        <a href="/actions">Go to the action history</a>
      </Alert>
    </Box>
  );
}

function Loading() {
  return (
    <Box padding="xxxl" textAlign="center">
      <Spinner size="large" />
    </Box>
  );
}
