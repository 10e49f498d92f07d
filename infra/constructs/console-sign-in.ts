import { Aws, Duration, Lazy } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { OAuthScope, UserPoolClient, UserPoolClientIdentityProvider } from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { placeholderAuthAudience } from '#infra/config-keys.ts';
import type { ConsoleSettings } from '#infra/console-settings.ts';
import { ConsoleSite } from '#infra/constructs/console-site.ts';
import type { ConsoleContentProps } from '#infra/constructs/console-site.ts';
import type { ConsoleUserPool } from '#infra/constructs/console-user-pool.ts';
import { personScopes, prefixedScope } from '#functions/auth/person-groups.ts';

/** The console's settings, and the stateful stack's user pool when persons sign in there. */
export interface ConsoleSignInProps {
  readonly settings: ConsoleSettings;
  readonly userPool: ConsoleUserPool | undefined;
}

export interface ConsoleParts {
  /** The console's bucket and distribution (the API under `/v1/*`). */
  readonly site: ConsoleSite;
  /** The console's app client in the user pool; undefined with a configured issuer. */
  readonly client: UserPoolClient | undefined;
  /** What the console stack writes as `console-config.json`. */
  readonly consoleConfig: ConsoleContentProps['consoleConfig'];
}

/**
 * Who signs persons in to the console and whom the API's JWT authorizer trusts, decided together.
 * With the app's own user pool the authorizer trusts it, and the console's client is an audience
 * (Cognito access tokens carry it as client_id, which API Gateway accepts). The client needs the
 * distribution's callback URL, the distribution needs the API, and the API needs the client id:
 * so `apiAuth` names the client lazily and {@link build} makes it once the distribution exists.
 */
export class ConsoleSignIn {
  /** The JWT authorizer's issuer and audiences: the console's user pool and client, or the configured issuer. */
  public readonly apiAuth: { readonly issuer: string; readonly audiences: readonly string[] };
  #client: UserPoolClient | undefined;
  readonly #configuredAuth: { readonly issuer: string; readonly audiences: readonly string[] };
  readonly #props: ConsoleSignInProps;

  public constructor(configuredAuth: { readonly issuer: string; readonly audiences: readonly string[] }, props: ConsoleSignInProps) {
    this.#configuredAuth = configuredAuth;
    this.#props = props;
    const clientId = Lazy.string({
      produce: () => {
        if (this.#client === undefined) throw new Error('the console app client was not made');
        return this.#client.userPoolClientId;
      },
    });
    const { userPool } = props;
    this.apiAuth =
      userPool === undefined
        ? configuredAuth
        : { issuer: userPool.issuer, audiences: [clientId, ...configuredAuth.audiences.filter((audience) => audience !== placeholderAuthAudience)] };
  }

  /** The site, the app client (with the app's pool) and the console's configuration. */
  public build(scope: Construct, options: { readonly api: IHttpApi; readonly logRetentionDays: number }): ConsoleParts {
    const { settings, userPool } = this.#props;
    const site = new ConsoleSite(scope, 'Console', {
      api: options.api,
      issuerOrigins: userPool === undefined ? [new URL(this.#configuredAuth.issuer).origin] : [`https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}`, userPool.hostedDomainOrigin],
      logRetentionDays: options.logRetentionDays,
      customDomain: settings.customDomain,
    });
    if (userPool === undefined) {
      const signIn = settings.signIn;
      if (signIn.kind !== 'oidc') throw new Error("the console signs in with the app's user pool, but the stateful stack made none");
      return {
        site,
        client: undefined,
        consoleConfig: {
          auth: { kind: 'oidc', authority: signIn.issuer, clientId: signIn.clientId, scope: signIn.scope, ...(signIn.resource === undefined ? {} : { resource: signIn.resource }) },
        },
      };
    }
    const client = new UserPoolClient(scope, 'ConsoleClient', {
      userPool: userPool.userPool,
      userPoolClientName: 'response-actions-console',
      // A browser app cannot keep a secret: a public client, authorization code with PKCE only.
      generateSecret: false,
      authFlows: {},
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, ...userPool.scopes.map((name) => OAuthScope.resourceServer(userPool.resourceServer, name))],
        callbackUrls: [site.callbackUrl],
        logoutUrls: [site.logoutUrl],
      },
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      // The console keeps tokens in memory and never refreshes: Cognito's shortest refresh lifetime.
      refreshTokenValidity: Duration.hours(1),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    this.#client = client;
    return {
      site,
      client,
      consoleConfig: { auth: { kind: 'oidc', authority: userPool.issuer, clientId: client.userPoolClientId, scope: personScopes.map(prefixedScope).join(' ') } },
    };
  }
}
