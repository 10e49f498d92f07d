import { personScopes } from '#functions/auth/person-groups.ts';
import { defaultMemberRoleName } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { defaultQueuePrefix } from '#shared/responders/config.ts';

/**
 * The deployment's keys and where their values come from (the service's and the console's
 * settings are both read from these): CDK context first, then `RESPONSE_ACTIONS_<KEY>`, then the
 * default. `config.ts` parses the service's settings and `console-settings.ts` the console's.
 */


/** Issuer used until `authIssuer` is set: on the reserved `.invalid` domain, so nothing can ever sign for it. */
export const placeholderAuthIssuer = 'https://issuer.invalid/response-actions-placeholder';
/** Audience used until `authAudience` is set. */
export const placeholderAuthAudience = 'response-actions-placeholder-audience';
/** External id used until `memberExternalId` is set; refused once `targetAccounts` names an account. */
export const placeholderMemberExternalId = 'response-actions-placeholder-external-id';

/** Where the built console is read at synthesis (`npm run console:build` writes it), relative to the working directory. */
export const defaultConsoleDir = 'console/dist';

/** Every configuration key, its environment fallback and its default, as `infra/README.md` documents them. */
export const deploymentConfigKeys = {
  authIssuer: { env: 'RESPONSE_ACTIONS_AUTH_ISSUER', default: placeholderAuthIssuer },
  authAudience: { env: 'RESPONSE_ACTIONS_AUTH_AUDIENCE', default: placeholderAuthAudience },
  memberRoleName: { env: 'RESPONSE_ACTIONS_MEMBER_ROLE_NAME', default: defaultMemberRoleName },
  memberExternalId: { env: 'RESPONSE_ACTIONS_MEMBER_EXTERNAL_ID', default: placeholderMemberExternalId },
  targetAccounts: { env: 'RESPONSE_ACTIONS_TARGET_ACCOUNTS', default: '' },
  serviceAccountId: { env: 'RESPONSE_ACTIONS_SERVICE_ACCOUNT_ID', default: '' },
  pickupDeadlineSeconds: { env: 'RESPONSE_ACTIONS_PICKUP_DEADLINE_SECONDS', default: '120' },
  completionDeadlineSeconds: { env: 'RESPONSE_ACTIONS_COMPLETION_DEADLINE_SECONDS', default: '900' },
  responderQueuePrefix: { env: 'RESPONSE_ACTIONS_RESPONDER_QUEUE_PREFIX', default: defaultQueuePrefix },
  responderRetentionHours: { env: 'RESPONSE_ACTIONS_RESPONDER_RETENTION_HOURS', default: '168' },
  evidenceRetentionDays: { env: 'RESPONSE_ACTIONS_EVIDENCE_RETENTION_DAYS', default: '365' },
  evidenceObjectLockDays: { env: 'RESPONSE_ACTIONS_EVIDENCE_OBJECT_LOCK_DAYS', default: '' },
  evidenceObjectLockMode: { env: 'RESPONSE_ACTIONS_EVIDENCE_OBJECT_LOCK_MODE', default: 'GOVERNANCE' },
  protectedTargets: { env: 'RESPONSE_ACTIONS_PROTECTED_TARGETS', default: '' },
  automationRules: { env: 'RESPONSE_ACTIONS_AUTOMATION_RULES', default: '' },
  approvalRequired: { env: 'RESPONSE_ACTIONS_APPROVAL_REQUIRED', default: '' },
  approvalTtlSeconds: { env: 'RESPONSE_ACTIONS_APPROVAL_TTL_SECONDS', default: '3600' },
  findingsSourceAccounts: { env: 'RESPONSE_ACTIONS_FINDINGS_SOURCE_ACCOUNTS', default: '' },
  playbooks: { env: 'RESPONSE_ACTIONS_PLAYBOOKS', default: '' },
  playbookRunDeadlineSeconds: { env: 'RESPONSE_ACTIONS_PLAYBOOK_RUN_DEADLINE_SECONDS', default: '3600' },
  consoleDir: { env: 'RESPONSE_ACTIONS_CONSOLE_DIR', default: defaultConsoleDir },
  cognitoDomainPrefix: { env: 'RESPONSE_ACTIONS_COGNITO_DOMAIN_PREFIX', default: '' },
  consoleOidcClientId: { env: 'RESPONSE_ACTIONS_CONSOLE_OIDC_CLIENT_ID', default: '' },
  consoleOidcScope: { env: 'RESPONSE_ACTIONS_CONSOLE_OIDC_SCOPE', default: personScopes.join(' ') },
  consoleOidcResource: { env: 'RESPONSE_ACTIONS_CONSOLE_OIDC_RESOURCE', default: '' },
  consoleDomainName: { env: 'RESPONSE_ACTIONS_CONSOLE_DOMAIN_NAME', default: '' },
  consoleCertificateArn: { env: 'RESPONSE_ACTIONS_CONSOLE_CERTIFICATE_ARN', default: '' },
} as const satisfies Record<string, { env: string; default: string }>;

export type DeploymentConfigKey = keyof typeof deploymentConfigKeys;

/** Where the raw values come from: a construct node's context, then the environment. */
export interface ConfigSources {
  readonly context: (key: string) => unknown;
  readonly env: Readonly<Record<string, string | undefined>>;
}


/**
 * A key's value as a trimmed string: context first (a list or number from cdk.json is joined or
 * stringified), then the environment, then the default.
 */
export function rawValue(sources: ConfigSources, key: DeploymentConfigKey): string {
  const fromContext = sources.context(key);
  if (fromContext !== undefined && fromContext !== null) {
    if (Array.isArray(fromContext)) return fromContext.map((item) => String(item).trim()).join(',');
    if (typeof fromContext === 'string' || typeof fromContext === 'number') return String(fromContext).trim();
    throw new ConfigError(key, 'must be a string, a number or a list of strings');
  }
  const fromEnv = sources.env[deploymentConfigKeys[key].env];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  return deploymentConfigKeys[key].default;
}
