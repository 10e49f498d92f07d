import { describe, expect, it } from 'vitest';
import { defaultConsoleDir, deploymentConfigKeys, placeholderAuthIssuer, placeholderMemberExternalId } from '#infra/config-keys.ts';
import { parseDeploymentConfig, targetAccountsVariable, type DeploymentConfig } from '#infra/config.ts';
import { parseConsoleSettings, type ConsoleSettings } from '#infra/console-settings.ts';
import { personScopes } from '#functions/auth/person-groups.ts';
import { defaultMemberRoleName, loadConfig } from '#shared/config/config.ts';
import { defaultQueuePrefix, loadResponderConfig } from '#shared/responders/config.ts';

/** The configuration from context values (as cdk.json or `-c` give them) and environment variables. */
function configFrom(context: Record<string, unknown> = {}, env: Record<string, string> = {}): DeploymentConfig {
  return parseDeploymentConfig({ context: (key) => context[key], env });
}

/** The console's settings from the same sources, as the app reads them (after the service's). */
function consoleFrom(context: Record<string, unknown> = {}, env: Record<string, string> = {}): ConsoleSettings {
  const sources = { context: (key: string): unknown => context[key], env };
  return parseConsoleSettings(sources, parseDeploymentConfig(sources).auth.issuer);
}

describe('deployment configuration (infra/config.ts)', () => {
  it('synthesizes offline with documented, harmless defaults', () => {
    // Act
    const config = configFrom();

    // Assess
    expect(config).toEqual({
      auth: { issuer: placeholderAuthIssuer, audiences: ['response-actions-placeholder-audience'] },
      memberRole: { name: defaultMemberRoleName, externalId: placeholderMemberExternalId },
      targetAccounts: { all: false, ids: [] },
      serviceAccountId: undefined,
      deadlines: { pickupSeconds: 120, completionSeconds: 900 },
      responderQueuePrefix: 'ResponseActions',
      responderRetentionHours: 168,
      evidence: { retentionDays: 365, objectLock: undefined },
      protectedTargets: [],
      automation: { rulesFile: undefined, approvalRequired: '', approvalTtlSeconds: 3600, findingsSourceAccounts: [] },
      playbooks: { file: undefined, runDeadlineSeconds: 3600 },
    });
    expect(new URL(config.auth.issuer).hostname.endsWith('.invalid')).toBe(true);
  });

  it('uses the same deadline defaults and queue prefix as the service configuration', () => {
    // Act
    const service = loadConfig({});

    // Assess
    expect(configFrom().deadlines).toEqual(service.deadlines);
    expect(configFrom().playbooks.runDeadlineSeconds).toBe(service.playbookRunDeadlineSeconds);
    expect(configFrom().responderQueuePrefix).toBe(defaultQueuePrefix);
    expect(configFrom().responderQueuePrefix).toBe(loadResponderConfig({}).queuePrefix);
  });

  it('takes the responder queue prefix from the context or RESPONSE_ACTIONS_RESPONDER_QUEUE_PREFIX', () => {
    // Act
    const fromContext = configFrom({ responderQueuePrefix: 'Blue_Team-1' }, { RESPONSE_ACTIONS_RESPONDER_QUEUE_PREFIX: 'Ignored' });
    const fromEnv = configFrom({}, { RESPONSE_ACTIONS_RESPONDER_QUEUE_PREFIX: 'SecurityResponse' });

    // Assess: and the functions accept what synthesis accepted
    expect(fromContext.responderQueuePrefix).toBe('Blue_Team-1');
    expect(fromEnv.responderQueuePrefix).toBe('SecurityResponse');
    expect(loadResponderConfig({ RESPONDER_QUEUE_PREFIX: fromContext.responderQueuePrefix }).queuePrefix).toBe('Blue_Team-1');
  });

  it('reads context first, then RESPONSE_ACTIONS_* variables', () => {
    // Act
    const config = configFrom(
      { authIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC', targetAccounts: ['111111111111', '222222222222'] },
      {
        RESPONSE_ACTIONS_AUTH_ISSUER: 'https://ignored.example.com',
        RESPONSE_ACTIONS_AUTH_AUDIENCE: 'client-a, client-b',
        RESPONSE_ACTIONS_MEMBER_EXTERNAL_ID: 'from-the-environment',
        RESPONSE_ACTIONS_COMPLETION_DEADLINE_SECONDS: '600',
      },
    );

    // Assess
    expect(config.auth).toEqual({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC', audiences: ['client-a', 'client-b'] });
    expect(config.targetAccounts).toEqual({ all: false, ids: ['111111111111', '222222222222'] });
    expect(config.memberRole.externalId).toBe('from-the-environment');
    expect(config.deadlines.completionSeconds).toBe(600);
    expect(targetAccountsVariable(config.targetAccounts)).toBe('111111111111,222222222222');
  });

  it('names an environment variable for every key', () => {
    // Assess
    for (const [key, { env }] of Object.entries(deploymentConfigKeys)) {
      expect(env).toBe(`RESPONSE_ACTIONS_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`);
    }
  });

  it('accepts * for every account, and Object Lock in either mode', () => {
    // Act
    const config = configFrom({ targetAccounts: '*', memberExternalId: 'x-1', evidenceObjectLockDays: 30, evidenceObjectLockMode: 'compliance' });

    // Assess
    expect(targetAccountsVariable(config.targetAccounts)).toBe('*');
    expect(config.evidence.objectLock).toEqual({ mode: 'COMPLIANCE', days: 30 });
  });

  it.each([
    [{ authIssuer: 'http://issuer.example.com' }, /authIssuer: .*https/],
    [{ authIssuer: 'not a url' }, /authIssuer: .*not a URL/],
    [{ authIssuer: 'https://issuer.example.com/?tenant=1' }, /authIssuer/],
    [{ authAudience: ' , ' }, /authAudience/],
    [{ targetAccounts: '1234' }, /targetAccounts: "1234"/],
    [{ serviceAccountId: 'abc' }, /serviceAccountId/],
    [{ memberRoleName: 'has spaces' }, /memberRoleName/],
    // Each family's role is <memberRoleName>-<family>: the longest must still fit IAM's 64 characters.
    [{ memberRoleName: 'M'.repeat(49) }, /memberRoleName: .*at most 64/],
    [{ completionDeadlineSeconds: 0 }, /completionDeadlineSeconds/],
    [{ pickupDeadlineSeconds: '1.5' }, /pickupDeadlineSeconds/],
    [{ pickupDeadlineSeconds: 900, completionDeadlineSeconds: 900 }, /pickupDeadlineSeconds: 900 s must be shorter than completionDeadlineSeconds \(900 s\)/],
    [{ pickupDeadlineSeconds: 1000 }, /pickupDeadlineSeconds: 1000 s must be shorter than completionDeadlineSeconds \(900 s\)/],
    [{ responderQueuePrefix: 'has.dots' }, /responderQueuePrefix: "has\.dots"/],
    [{ responderRetentionHours: '0' }, /responderRetentionHours/],
    [{ responderQueuePrefix: 'x'.repeat(31) }, /responderQueuePrefix/],
    [{ evidenceRetentionDays: -1 }, /evidenceRetentionDays/],
    [{ evidenceObjectLockMode: 'forever' }, /evidenceObjectLockMode/],
    [{ evidenceObjectLockDays: 400, evidenceRetentionDays: 365 }, /evidenceObjectLockDays: 400 days is longer/],
    [{ protectedTargets: 'not-an-arn' }, /protectedTargets/],
    [{ authIssuer: { url: 'https://x' } }, /authIssuer: must be a string/],
    [{ approvalRequired: 'prod-*' }, /approvalRequired: "prod-\*" is neither an ARN pattern/],
    [{ approvalTtlSeconds: 59 }, /approvalTtlSeconds/],
    [{ approvalTtlSeconds: 7 * 86_400 + 1 }, /approvalTtlSeconds/],
    [{ findingsSourceAccounts: '12345678901x' }, /findingsSourceAccounts: "12345678901x" is not a 12-digit account id/],
    [{ findingsSourceAccounts: '*' }, /findingsSourceAccounts: "\*" is not a 12-digit account id/],
  ])('refuses %j, naming the key', (context, message) => {
    // Act
    const act = (): unknown => configFrom(context);

    // Assess
    expect(act).toThrow(message);
  });

  it('takes the approval settings and the findings source accounts as the service reads them', () => {
    // Act
    const config = configFrom(
      { approvalRequired: ' arn:aws:iam::*:role/Prod* , host/db-*', findingsSourceAccounts: ['333333333333', '333333333333', '444444444444'] },
      { RESPONSE_ACTIONS_APPROVAL_TTL_SECONDS: '7200' },
    );

    // Assess: the functions accept what synthesis accepted, pattern for pattern
    expect(config.automation).toEqual({
      rulesFile: undefined,
      approvalRequired: 'arn:aws:iam::*:role/Prod*,host/db-*',
      approvalTtlSeconds: 7200,
      findingsSourceAccounts: ['333333333333', '444444444444'],
    });
    const service = loadConfig({ APPROVAL_REQUIRED: config.automation.approvalRequired, APPROVAL_TTL_SECONDS: String(config.automation.approvalTtlSeconds) });
    expect(service.approvalRequired).toEqual(['arn:aws:iam::*:role/Prod*', 'host/db-*']);
    expect(service.approvalTtlSeconds).toBe(7200);
  });

  it('refuses the placeholder external id once accounts are targeted', () => {
    // Act
    const act = (): unknown => configFrom({ targetAccounts: '111111111111' });

    // Assess
    expect(act).toThrow(/memberExternalId: is still the placeholder/);
  });

  it('never echoes a malformed external id in its error', () => {
    // Act
    let message = '';
    try {
      configFrom({ memberExternalId: 'secret value with spaces' });
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }

    // Assess
    expect(message).toMatch(/memberExternalId/);
    expect(message).not.toContain('secret value');
  });
});

describe('console settings (infra/console-settings.ts)', () => {
  const issuer = 'https://login.example.com/tenant-1/v2.0';
  const certificateArn = 'arn:aws:acm:us-east-1:111111111111:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

  it('defaults to the app\'s own user pool, the built console in console/dist and the distribution\'s own name', () => {
    // Act
    const settings = consoleFrom();

    // Assess
    expect(settings).toEqual({ dir: defaultConsoleDir, signIn: { kind: 'cognito', domainPrefix: undefined }, customDomain: undefined });
  });

  it('signs in at a configured issuer with the console\'s client, asking for the four person scopes unless told otherwise', () => {
    // Act
    const settings = consoleFrom(
      { authIssuer: issuer, consoleOidcClientId: 'console-spa' },
      { RESPONSE_ACTIONS_CONSOLE_OIDC_RESOURCE: 'api://response-actions', RESPONSE_ACTIONS_CONSOLE_DOMAIN_NAME: 'Console.SOC.example.com', RESPONSE_ACTIONS_CONSOLE_CERTIFICATE_ARN: certificateArn },
    );

    // Assess
    expect(settings.signIn).toEqual({ kind: 'oidc', issuer, clientId: 'console-spa', scope: personScopes.join(' '), resource: 'api://response-actions' });
    expect(settings.customDomain).toEqual({ name: 'console.soc.example.com', certificateArn });
  });

  it('takes a domain prefix for the app\'s user pool', () => {
    // Act
    const settings = consoleFrom({ cognitoDomainPrefix: 'my-soc-response-actions' });

    // Assess
    expect(settings.signIn).toEqual({ kind: 'cognito', domainPrefix: 'my-soc-response-actions' });
  });

  it.each([
    [{ consoleOidcClientId: 'console-spa' }, /consoleOidcClientId: is for a configured issuer/],
    [{ consoleOidcResource: 'api://response-actions' }, /consoleOidcResource: is for a configured issuer/],
    [{ cognitoDomainPrefix: 'My-SOC' }, /cognitoDomainPrefix: "My-SOC" must be/],
    [{ cognitoDomainPrefix: '-soc' }, /cognitoDomainPrefix/],
    [{ cognitoDomainPrefix: 'soc-' }, /cognitoDomainPrefix/],
    [{ cognitoDomainPrefix: 'my-aws-soc' }, /cognitoDomainPrefix: .*without aws, amazon or cognito/],
    [{ cognitoDomainPrefix: 'x'.repeat(64) }, /cognitoDomainPrefix/],
    [{ authIssuer: issuer, consoleOidcClientId: 'console-spa', cognitoDomainPrefix: 'soc' }, /cognitoDomainPrefix: is for the user pool the CDK app makes/],
    [{ authIssuer: issuer }, /consoleOidcClientId: is needed with authIssuer/],
    [{ authIssuer: issuer, consoleOidcClientId: 'has space' }, /consoleOidcClientId: must be 1-256 printable characters/],
    [{ authIssuer: issuer, consoleOidcClientId: 'c'.repeat(257) }, /consoleOidcClientId/],
    [{ authIssuer: issuer, consoleOidcClientId: 'console-spa', consoleOidcScope: 'openid "quoted"' }, /consoleOidcScope/],
    [{ authIssuer: issuer, consoleOidcClientId: 'console-spa', consoleOidcResource: 'not a uri' }, /consoleOidcResource: "not a uri" is not an absolute URI/],
    [{ authIssuer: issuer, consoleOidcClientId: 'console-spa', consoleOidcResource: 'https://api.example.com/#x' }, /consoleOidcResource: .*fragment/],
    [{ authIssuer: issuer, consoleOidcClientId: 'console-spa', consoleOidcResource: 'https://api.example.com/#' }, /consoleOidcResource: .*fragment/],
    [{ consoleDomainName: 'console.soc.example.com' }, /consoleCertificateArn: consoleDomainName and consoleCertificateArn go together/],
    [{ consoleCertificateArn: certificateArn }, /consoleDomainName: consoleDomainName and consoleCertificateArn go together/],
    [{ consoleDomainName: 'not a name', consoleCertificateArn: certificateArn }, /consoleDomainName: "not a name" is not a DNS name/],
    [{ consoleDomainName: 'console.soc.example.com', consoleCertificateArn: certificateArn.replace('us-east-1', 'eu-west-1') }, /consoleCertificateArn: .*us-east-1/],
  ])('refuses %j, naming the key', (context, message) => {
    // Act
    const act = (): unknown => consoleFrom(context);

    // Assess
    expect(act).toThrow(message);
  });
});
