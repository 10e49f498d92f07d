import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { UserManager } from 'oidc-client-ts';
import { useEffect, useRef, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import type { ConsoleAuthConfig } from '../config.ts';
import { startOidcSignIn } from './oidc.ts';
import { personScopes } from './scopes.ts';
import { safeReturnPath, sessionFromToken, useSessionControls } from './session.ts';

/**
 * `/sign-in`. Locally (API.md): the scopes to sign in with, all four ticked, and a button named
 * `Sign in locally` that asks the local development issuer for a token. With an OIDC provider: a
 * button that starts the authorization code flow with PKCE. When the service takes a provider's
 * tokens but no console client is configured, what to set instead of a button.
 */
export function SignInPage({ auth, userManager }: { readonly auth: ConsoleAuthConfig; readonly userManager: UserManager | null }) {
  const [params] = useSearchParams();
  const returnTo = safeReturnPath(params.get('returnTo'));
  const expired = params.get('expired') === '1';
  return (
    <Box padding={{ vertical: 'xxxl', horizontal: 'l' }}>
      <div className="ra-sign-in">
        <SpaceBetween size="l">
          <Header variant="h1" description="Contain resources and collect evidence, every action recorded and every disruptive one undoable.">
            response-actions
          </Header>
          {expired ? <Alert type="info">Your session ended. Sign in again to go on where you were.</Alert> : null}
          {auth.kind === 'local' ? (
            <LocalSignIn returnTo={returnTo} />
          ) : auth.kind === 'oidc' ? (
            <OidcSignIn userManager={userManager} returnTo={returnTo} />
          ) : (
            <Alert type="warning" header="Sign-in is not configured">
              {auth.reason}
            </Alert>
          )}
        </SpaceBetween>
      </div>
    </Box>
  );
}

function LocalSignIn({ returnTo }: { readonly returnTo: string }) {
  const { signIn } = useSessionControls();
  const navigate = useNavigate();
  const [ticked, setTicked] = useState<Set<string>>(new Set(personScopes));
  const [sub, setSub] = useState('local-user');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/local/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'omit',
        body: JSON.stringify({ scopes: [...ticked], sub }),
      });
      const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown; detail?: unknown };
      if (!response.ok || typeof body.access_token !== 'string') {
        setError(typeof body.detail === 'string' ? body.detail : `the local issuer answered ${response.status}`);
        return;
      }
      signIn(sessionFromToken(body.access_token, typeof body.expires_in === 'number' ? body.expires_in : undefined));
      await navigate(returnTo, { replace: true });
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <Form
        header={<Header variant="h2">Sign in locally</Header>}
        actions={
          <Button variant="primary" formAction="submit" loading={busy} disabled={ticked.size === 0}>
            Sign in locally
          </Button>
        }
        errorText={error}
      >
        <Container>
          <SpaceBetween size="m">
            <Box>
              This service runs on this machine (<code>npm start</code>); its development issuer signs a token with the scopes you tick. Untick
              the exec scopes to see the console as a reader.
            </Box>
            <FormField label="Name" description="The sub your actions are recorded under.">
              <Input
                value={sub}
                onChange={({ detail }) => {
                  setSub(detail.value);
                }}
                ariaLabel="Name"
              />
            </FormField>
            <FormField label="Scopes">
              <SpaceBetween size="xs">
                {personScopes.map((scope) => (
                  <Checkbox
                    key={scope}
                    checked={ticked.has(scope)}
                    onChange={({ detail }) => {
                      const next = new Set(ticked);
                      if (detail.checked) next.add(scope);
                      else next.delete(scope);
                      setTicked(next);
                    }}
                  >
                    {scope}
                  </Checkbox>
                ))}
              </SpaceBetween>
            </FormField>
          </SpaceBetween>
        </Container>
      </Form>
    </form>
  );
}

function OidcSignIn({ userManager, returnTo }: { readonly userManager: UserManager | null; readonly returnTo: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const started = useRef(false);
  const start = (): void => {
    if (userManager === null) return;
    setBusy(true);
    startOidcSignIn(userManager, returnTo).catch((failure: unknown) => {
      setBusy(false);
      setError(failure instanceof Error ? failure.message : String(failure));
    });
  };
  // Coming back to a page after the session ended: straight to the issuer, whose own session usually signs in at once.
  useEffect(() => {
    if (started.current || returnTo === '/') return;
    started.current = true;
    start();
  });
  return (
    <Container header={<Header variant="h2">Sign in</Header>}>
      <SpaceBetween size="m">
        {error === null ? null : <Alert type="error" header="Sign-in failed">{error}</Alert>}
        <Box>Sign in with your organisation&apos;s identity provider.</Box>
        <Button variant="primary" onClick={start} loading={busy}>
          Sign in
        </Button>
      </SpaceBetween>
    </Container>
  );
}
