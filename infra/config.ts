import type { Node } from 'constructs';
import { loadConfig, memberRoleNameMaxLength } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { placeholderMemberExternalId, rawValue, type ConfigSources, type DeploymentConfigKey } from './config-keys.ts';
import { parseConsoleSettings, type ConsoleSettings } from './console-settings.ts';

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
