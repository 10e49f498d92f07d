import { clientIdPattern, resourceIndicatorProblem, scopeTokenPattern } from '#shared/auth/oidc-client.ts';
import { ConfigError } from '#shared/errors.ts';
import { placeholderAuthIssuer, rawValue, type ConfigSources, type DeploymentConfigKey } from './config-keys.ts';

/**
 * The console's settings: where its build is, how persons sign in, and its address. Kept apart
 * from config.ts's `DeploymentConfig` (the service's settings) and read from the same sources.
 */
export interface ConsoleSettings {
  /** The built console (`index.html` and `assets/`) deployed to the site's bucket. */
  readonly dir: string;
  /**
   * How persons sign in: `cognito`, the user pool the CDK app makes (when `authIssuer` is still the
   * placeholder), its hosted domain `<domainPrefix>.auth.<region>.amazoncognito.com`; or `oidc`, the
   * configured issuer with the console's own client there.
   */
  readonly signIn:
    | { readonly kind: 'cognito'; readonly domainPrefix: string | undefined }
    | { readonly kind: 'oidc'; readonly issuer: string; readonly clientId: string; readonly scope: string; readonly resource: string | undefined };
  /** A custom address for the site (its certificate in ACM in us-east-1, as CloudFront requires); undefined: the distribution's own `*.cloudfront.net` name. */
  readonly customDomain: { readonly name: string; readonly certificateArn: string } | undefined;
}

// Cognito's rule for a domain prefix: lowercase letters, digits and hyphens, 1-63, no leading or
// trailing hyphen; names containing aws, amazon or cognito are reserved.
const domainPrefixPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const reservedPrefixWords = /aws|amazon|cognito/;
const domainNamePattern = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const acmCertificateArnPattern = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/;

/**
 * The console's half of config.ts's `readDeploymentSettings` over explicit sources and the issuer
 * config.ts's `parseDeploymentConfig` validated. With `authIssuer` set, the console signs in there and
 * `consoleOidcClientId` is required; otherwise the CDK app's user pool is used and the
 * `consoleOidc*` keys must stay unset (they would be silently ignored).
 */
export function parseConsoleSettings(sources: ConfigSources, issuer: string): ConsoleSettings {
  const raw = (key: DeploymentConfigKey): string => rawValue(sources, key);
  const clientId = raw('consoleOidcClientId');
  const scope = raw('consoleOidcScope');
  const resource = raw('consoleOidcResource');

  let signIn: ConsoleSettings['signIn'];
  if (issuer === placeholderAuthIssuer) {
    const configuredOidc = (['consoleOidcClientId', 'consoleOidcResource'] as const).find((key) => raw(key) !== '');
    if (configuredOidc !== undefined) {
      throw new ConfigError(configuredOidc, 'is for a configured issuer: set authIssuer too, or leave it unset to use the user pool the CDK app makes');
    }
    const prefix = raw('cognitoDomainPrefix');
    if (prefix !== '' && (!domainPrefixPattern.test(prefix) || reservedPrefixWords.test(prefix))) {
      throw new ConfigError(
        'cognitoDomainPrefix',
        `"${prefix}" must be 1-63 lowercase letters, digits and inner hyphens, without aws, amazon or cognito (Cognito's rule for a hosted domain prefix)`,
      );
    }
    signIn = { kind: 'cognito', domainPrefix: prefix === '' ? undefined : prefix };
  } else {
    if (raw('cognitoDomainPrefix') !== '') {
      throw new ConfigError('cognitoDomainPrefix', 'is for the user pool the CDK app makes, which it does not make when authIssuer is set');
    }
    if (clientId === '') {
      throw new ConfigError('consoleOidcClientId', `is needed with authIssuer: the console signs persons in at ${issuer} as that client (authorization code with PKCE, no secret)`);
    }
    if (!clientIdPattern.test(clientId)) throw new ConfigError('consoleOidcClientId', 'must be 1-256 printable characters without spaces');
    const scopes = scope.split(' ').filter((token) => token !== '');
    if (scopes.length === 0 || !scopes.every((token) => scopeTokenPattern.test(token))) {
      throw new ConfigError('consoleOidcScope', 'must be one or more space-separated scope names (RFC 6749 characters)');
    }
    const resourceProblem = resource === '' ? undefined : resourceIndicatorProblem(resource);
    if (resourceProblem !== undefined) throw new ConfigError('consoleOidcResource', resourceProblem);
    signIn = { kind: 'oidc', issuer, clientId, scope: scopes.join(' '), resource: resource === '' ? undefined : resource };
  }

  const domainName = raw('consoleDomainName').toLowerCase();
  const certificateArn = raw('consoleCertificateArn');
  if ((domainName === '') !== (certificateArn === '')) {
    throw new ConfigError(domainName === '' ? 'consoleDomainName' : 'consoleCertificateArn', 'consoleDomainName and consoleCertificateArn go together: CloudFront serves a custom name only with its certificate');
  }
  if (domainName !== '' && !domainNamePattern.test(domainName)) throw new ConfigError('consoleDomainName', `"${domainName}" is not a DNS name`);
  if (certificateArn !== '' && !acmCertificateArnPattern.test(certificateArn)) {
    throw new ConfigError('consoleCertificateArn', `"${certificateArn}" is not an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from us-east-1)`);
  }

  const dir = raw('consoleDir');
  return { dir, signIn, customDomain: domainName === '' ? undefined : { name: domainName, certificateArn } };
}
