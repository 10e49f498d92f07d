import type { Node } from 'constructs';
import { defaultMemberRoleName, loadConfig, memberRoleNameMaxLength } from '#shared/config/config.ts';
import { defaultQueuePrefix } from '#shared/responders/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { personScopes } from '#functions/auth/person-groups.ts';

/**
 * The deployment's settings, read in this one place from CDK context (`cdk.json`, `-c key=value`)
 * or, when a key is not in the context, from the environment variable `RESPONSE_ACTIONS_<KEY>`
 * (`memberExternalId` → `RESPONSE_ACTIONS_MEMBER_EXTERNAL_ID`). Every value is validated at
 * synthesis and a bad one fails it naming the key; the defaults let `cdk synth` run offline.
 *
 * Placeholders are named as such and chosen to be harmless: the placeholder issuer is on the
 * reserved `.invalid` domain, so no token can ever validate against it, and the placeholder
 * external id is refused as soon as `targetAccounts` names an account.
 */
export interface DeploymentConfig {
  /** The JWT authorizer's issuer and accepted audiences. */
  readonly auth: { readonly issuer: string; readonly audiences: readonly string[] };
  /** The base name of the member roles (one per family, `<name>-<family>`) in every target account, and the external id their trust demands. */
  readonly memberRole: { readonly name: string; readonly externalId: string };
  /** Accounts cloud actions may touch: the service's TARGET_ACCOUNTS. */
  readonly targetAccounts: TargetAccounts;
  /** The account the service runs in, for the member stack's trust; undefined: the member stack's own account. */
  readonly serviceAccountId: string | undefined;
  /**
   * Responder deadlines: `pickupSeconds` is the responder Dispatch task's heartbeat (no pickup, or
   * no report, for that long ends the action), `completionSeconds` its timeout and the cloud
   * action state machines' execution timeout. The pickup deadline is always the shorter.
   */
  readonly deadlines: { readonly pickupSeconds: number; readonly completionSeconds: number };
  /** First part of every responder work queue's name (`<prefix>-host-...`, `<prefix>-k8s-...`): RESPONDER_QUEUE_PREFIX. */
  readonly responderQueuePrefix: string;
  /** Hours a responder may stay silent before the hourly sweep removes it with its queues (RESPONDER_RETENTION_HOURS). */
  readonly responderRetentionHours: number;
  readonly evidence: {
    /** Days an evidence object (and a server access log) is kept before the lifecycle rule expires it. */
    readonly retentionDays: number;
    /** Default Object Lock retention of new evidence objects; undefined: none. */
    readonly objectLock: { readonly mode: ObjectLockMode; readonly days: number } | undefined;
  };
  /** ARN patterns (`*` wildcards) the service must never act on, beyond its own resources. */
  readonly protectedTargets: readonly string[];
  /** Findings in: the rules file (read at synthesis, shipped in the functions' bundles) and approvals. */
  readonly automation: {
    /** Path of the AUTOMATION_RULES file as given; undefined: the service's shipped default set. */
    readonly rulesFile: string | undefined;
    /** APPROVAL_REQUIRED: comma-separated ARN or resource-key patterns; '' for none. */
    readonly approvalRequired: string;
    /** APPROVAL_TTL_SECONDS: how long a pending approval waits for a decision. */
    readonly approvalTtlSeconds: number;
    /** Accounts (a delegated administrator's) allowed to forward findings to this account's default bus. */
    readonly findingsSourceAccounts: readonly string[];
  };
  /** Playbooks: the PLAYBOOKS file (read and validated at synthesis, shipped in the bundles) and the run deadline. */
  readonly playbooks: {
    /** Path of the PLAYBOOKS file as given; undefined: the built-in playbooks only. */
    readonly file: string | undefined;
    /** PLAYBOOK_RUN_DEADLINE_SECONDS: a run not finished this long after its creation ends in Error. */
    readonly runDeadlineSeconds: number;
  };
}

export type TargetAccounts = { readonly all: true } | { readonly all: false; readonly ids: readonly string[] };
export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

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

const accountIdPattern = /^\d{12}$/;
// sts:ExternalId allows 2-1224 characters of this set (the same rule as shared/config).
const externalIdPattern = /^[\w+=,.@:/-]{2,1224}$/;
const roleNamePattern = /^[\w+=,.@-]{1,64}$/;
const audiencePattern = /^[\x21-\x7e]{1,256}$/;
const arnPatternPattern = /^arn:[a-z*-]+:[a-z0-9*-]*:[a-z0-9*-]*:(\d{12}|\*)?:.+$/;
// The same rule as RESPONDER_QUEUE_PREFIX in shared/responders/config.ts.
const queuePrefixPattern = /^[A-Za-z0-9_-]{1,30}$/;

/**
 * Reads and validates the settings of the app that owns `node`: the service's and the console's,
 * from the same sources.
 */
export function readDeploymentSettings(
  node: Node,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { readonly config: DeploymentConfig; readonly console: ConsoleSettings } {
  const sources: ConfigSources = { context: (key): unknown => node.tryGetContext(key), env };
  const config = parseDeploymentConfig(sources);
  return { config, console: parseConsoleSettings(sources, config.auth.issuer) };
}

/** The service's half of {@link readDeploymentSettings} over explicit sources, for tests. */
export function parseDeploymentConfig(sources: ConfigSources): DeploymentConfig {
  const raw = (key: DeploymentConfigKey): string => rawValue(sources, key);

  const targetAccounts = parseTargetAccounts(raw('targetAccounts'));
  const externalId = raw('memberExternalId');
  if (!externalIdPattern.test(externalId)) {
    // The value itself is not echoed: it is meant to stay out of logs.
    throw new ConfigError('memberExternalId', 'must be 2-1224 characters of letters, digits and +=,.@:/_-');
  }
  if (externalId === placeholderMemberExternalId && (targetAccounts.all || targetAccounts.ids.length > 0)) {
    throw new ConfigError(
      'memberExternalId',
      'is still the placeholder while targetAccounts names accounts: set a value of your own (e.g. RESPONSE_ACTIONS_MEMBER_EXTERNAL_ID=$(openssl rand -hex 32)) for the service and every member stack',
    );
  }
  const memberRoleName = raw('memberRoleName');
  if (!roleNamePattern.test(memberRoleName) || memberRoleName.length > memberRoleNameMaxLength) {
    throw new ConfigError(
      'memberRoleName',
      `"${memberRoleName}" must be 1-${String(memberRoleNameMaxLength)} of letters, digits and +=,.@_- (each family's member role is <memberRoleName>-<family>, at most 64)`,
    );
  }
  const serviceAccountId = raw('serviceAccountId');
  if (serviceAccountId !== '' && !accountIdPattern.test(serviceAccountId)) {
    throw new ConfigError('serviceAccountId', `"${serviceAccountId}" is not a 12-digit account id`);
  }

  const retentionDays = wholeNumber(raw('evidenceRetentionDays'), 'evidenceRetentionDays', 1, 36_500);
  const lockDaysRaw = raw('evidenceObjectLockDays');
  const lockModeRaw = raw('evidenceObjectLockMode').toUpperCase();
  if (lockModeRaw !== 'GOVERNANCE' && lockModeRaw !== 'COMPLIANCE') {
    throw new ConfigError('evidenceObjectLockMode', `"${lockModeRaw}" is neither GOVERNANCE nor COMPLIANCE`);
  }
  let objectLock: DeploymentConfig['evidence']['objectLock'];
  if (lockDaysRaw !== '') {
    const days = wholeNumber(lockDaysRaw, 'evidenceObjectLockDays', 1, 36_500);
    if (days > retentionDays) {
      throw new ConfigError(
        'evidenceObjectLockDays',
        `${days} days is longer than evidenceRetentionDays (${retentionDays}): the lifecycle rule could never expire a locked object`,
      );
    }
    objectLock = { mode: lockModeRaw, days };
  }

  const pickupSeconds = wholeNumber(raw('pickupDeadlineSeconds'), 'pickupDeadlineSeconds', 1, 86_400);
  const completionSeconds = wholeNumber(raw('completionDeadlineSeconds'), 'completionDeadlineSeconds', 1, 86_400);
  if (pickupSeconds >= completionSeconds) {
    // Step Functions wants a task's heartbeat shorter than its timeout, and work that may take as
    // long to be picked up as to be finished would leave the responder no time to do it.
    throw new ConfigError(
      'pickupDeadlineSeconds',
      `${pickupSeconds} s must be shorter than completionDeadlineSeconds (${completionSeconds} s): it is the responder task's heartbeat, the completion deadline its timeout`,
    );
  }
  const responderQueuePrefix = raw('responderQueuePrefix');
  if (!queuePrefixPattern.test(responderQueuePrefix)) {
    throw new ConfigError('responderQueuePrefix', `"${responderQueuePrefix}" must be 1-30 letters, digits, - and _ (it starts every responder work queue name)`);
  }

  return {
    auth: { issuer: parseIssuer(raw('authIssuer')), audiences: parseAudiences(raw('authAudience')) },
    memberRole: { name: memberRoleName, externalId },
    targetAccounts,
    serviceAccountId: serviceAccountId === '' ? undefined : serviceAccountId,
    deadlines: { pickupSeconds, completionSeconds },
    responderQueuePrefix,
    responderRetentionHours: wholeNumber(raw('responderRetentionHours'), 'responderRetentionHours', 1, 24 * 365),
    evidence: { retentionDays, objectLock },
    protectedTargets: parseProtectedTargets(raw('protectedTargets')),
    automation: {
      rulesFile: raw('automationRules') === '' ? undefined : raw('automationRules'),
      approvalRequired: parseApprovalRequired(raw('approvalRequired')),
      // API.md's default is an hour; a week bounds how long a stale request may wait to be approved.
      approvalTtlSeconds: wholeNumber(raw('approvalTtlSeconds'), 'approvalTtlSeconds', 60, 7 * 86_400),
      findingsSourceAccounts: parseAccountList(raw('findingsSourceAccounts'), 'findingsSourceAccounts'),
    },
    playbooks: {
      file: raw('playbooks') === '' ? undefined : raw('playbooks'),
      // The bounds of PLAYBOOK_RUN_DEADLINE_SECONDS (shared/config): a minute to a day.
      runDeadlineSeconds: wholeNumber(raw('playbookRunDeadlineSeconds'), 'playbookRunDeadlineSeconds', 60, 86_400),
    },
  };
}

/** TARGET_ACCOUNTS as the service functions read it: comma-separated ids, `*`, or empty for none. */
export function targetAccountsVariable(targets: TargetAccounts): string {
  return targets.all ? '*' : targets.ids.join(',');
}

/**
 * A key's value as a trimmed string: context first (a list or number from cdk.json is joined or
 * stringified), then the environment, then the default.
 */
function rawValue(sources: ConfigSources, key: DeploymentConfigKey): string {
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

function parseIssuer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('authIssuer', `"${value}" is not a URL; use the OIDC issuer, e.g. https://cognito-idp.<region>.amazonaws.com/<user pool id>`);
  }
  if (url.protocol !== 'https:' || url.hostname === '' || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new ConfigError(
      'authIssuer',
      `"${value}" must be an https issuer URL without query, fragment or credentials (API Gateway fetches its /.well-known/openid-configuration)`,
    );
  }
  return value;
}

function parseAudiences(value: string): string[] {
  const audiences = value.split(',').map((audience) => audience.trim()).filter((audience) => audience !== '');
  const bad = audiences.find((audience) => !audiencePattern.test(audience));
  if (audiences.length === 0 || bad !== undefined) {
    throw new ConfigError('authAudience', 'must be one or more comma-separated audiences (for Cognito: the app client id)');
  }
  return audiences;
}

function parseTargetAccounts(value: string): TargetAccounts {
  if (value === '*') return { all: true };
  return { all: false, ids: parseAccountList(value, 'targetAccounts') };
}

function parseAccountList(value: string, key: 'targetAccounts' | 'findingsSourceAccounts'): string[] {
  const ids = value.split(',').map((id) => id.trim()).filter((id) => id !== '');
  const bad = ids.find((id) => !accountIdPattern.test(id));
  if (bad !== undefined) {
    throw new ConfigError(key, `"${bad}" is not a 12-digit account id (comma-separated ids${key === 'targetAccounts' ? ', or *' : ''})`);
  }
  return [...new Set(ids)];
}

/** APPROVAL_REQUIRED as the service reads it (shared/config), refused here naming the key. */
function parseApprovalRequired(value: string): string {
  try {
    return loadConfig({ APPROVAL_REQUIRED: value }).approvalRequired.join(',');
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError('approvalRequired', error.message.replace(/^APPROVAL_REQUIRED: /, ''), { cause: error });
    throw error;
  }
}

function parseProtectedTargets(value: string): string[] {
  const patterns = value.split(',').map((pattern) => pattern.trim()).filter((pattern) => pattern !== '');
  const bad = patterns.find((pattern) => !arnPatternPattern.test(pattern));
  if (bad !== undefined) {
    throw new ConfigError('protectedTargets', `"${bad}" is not an ARN pattern (arn:partition:service:region:account:resource, * allowed)`);
  }
  return patterns;
}

function wholeNumber(value: string, key: DeploymentConfigKey, min: number, max: number): number {
  const parsed = Number(value);
  if (value === '' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(key, `must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return parsed;
}

/**
 * The console's settings: where its build is, how persons sign in, and its address. Kept apart
 * from {@link DeploymentConfig} (the service's settings) and read from the same sources.
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
const scopeTokenPattern = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const domainNamePattern = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const acmCertificateArnPattern = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/;

/**
 * The console's half of {@link readDeploymentSettings} over explicit sources and the issuer
 * {@link parseDeploymentConfig} validated. With `authIssuer` set, the console signs in there and
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
    // The audience rule: at most issuers an access token's audience is a client id.
    if (!audiencePattern.test(clientId)) throw new ConfigError('consoleOidcClientId', 'must be 1-256 printable characters without spaces');
    const scopes = scope.split(' ').filter((token) => token !== '');
    if (scopes.length === 0 || !scopes.every((token) => scopeTokenPattern.test(token))) {
      throw new ConfigError('consoleOidcScope', 'must be one or more space-separated scope names (RFC 6749 characters)');
    }
    if (resource !== '') parseResource(resource);
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

function parseResource(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('consoleOidcResource', `"${value}" is not an absolute URI (RFC 8707 resource indicator)`);
  }
  if (url.hash !== '') throw new ConfigError('consoleOidcResource', `"${value}" must not have a fragment (RFC 8707)`);
}
