import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { ConfigError } from '#shared/errors.ts';

/**
 * The one place that reads environment variables. Everything is validated at start-up and a
 * bad or missing value fails fast with the variable's name.
 */
export interface ServiceConfig {
  /** Accounts cloud actions may touch; `all` only when TARGET_ACCOUNTS is `*`. Unset: none. */
  readonly targetAccounts: { readonly all: true } | { readonly all: false; readonly ids: ReadonlySet<string> };
  /**
   * The member roles assumed in each target account, and the external id they require. `name` is
   * MEMBER_ROLE_NAME, the base of every family's own role name ({@link memberRoleNameOf}).
   */
  readonly memberRole: { readonly name: string; readonly externalId: string | null };
  /** ARN patterns (`*` matches any run of characters) no action may ever touch. */
  readonly protectedTargets: readonly string[];
  readonly deadlines: {
    /** A queued action not picked up by its responder within this ends in Error. */
    readonly pickupSeconds: number;
    /** An action not finished within this (from start) ends in Error. */
    readonly completionSeconds: number;
  };
  /** The history table (required by functions that read or write history). */
  readonly historyTableName: string | undefined;
  /**
   * ARN or resource-key patterns (`*` matches any run of characters) on which a person's or a
   * rule's action needs a second person's approval first (API.md "Approvals"). Unset: none.
   */
  readonly approvalRequired: readonly string[];
  /** A pending approval expires this long after it was requested. */
  readonly approvalTtlSeconds: number;
  /**
   * The PLAYBOOKS file (JSON or YAML) of custom playbooks, read and validated at start-up by
   * loadPlaybookCatalogue; null when only the built-ins are in force.
   */
  readonly playbooksFile: string | null;
  /** A playbook run not finished this long after it was created ends in Error RunDeadlineExceeded. */
  readonly playbookRunDeadlineSeconds: number;
}

export type Environment = Readonly<Record<string, string | undefined>>;

const accountId = /^\d{12}$/;
// sts:ExternalId allows 2-1224 characters of this set.
const externalIdPattern = /^[\w+=,.@:/-]{2,1224}$/;
const roleNamePattern = /^[\w+=,.@-]{1,64}$/;
const arnPattern = /^arn:[a-z*-]+:[a-z0-9*-]*:[a-z0-9*-]*:(\d{12}|\*)?:.+$/;

export const defaultMemberRoleName = 'ResponseActionsMember';

/**
 * The member role of one cloud action family: `<MEMBER_ROLE_NAME>-<family>`
 * (`ResponseActionsMember-iam-sessions`). One role per family, each trusting only that family's
 * step role, so no family's function can borrow another family's permissions.
 */
export function memberRoleNameOf(memberRoleName: string, family: string): string {
  return `${memberRoleName}-${family}`;
}

/** The longest MEMBER_ROLE_NAME whose every family role name still fits IAM's 64 characters. */
export const memberRoleNameMaxLength = 64 - 1 - Math.max(...cloudActionFamilyDeployments.map((family) => family.name.length));

/** Reads and validates the configuration; `required` names variables this entry point cannot do without. */
export function loadConfig(env: Environment, required: readonly 'HISTORY_TABLE_NAME'[] = []): ServiceConfig {
  for (const name of required) {
    if (blank(env[name])) throw new ConfigError(name, 'is required but not set');
  }
  const targetAccounts = parseTargetAccounts(env['TARGET_ACCOUNTS']);
  const memberRoleName = env['MEMBER_ROLE_NAME'] ?? defaultMemberRoleName;
  if (!roleNamePattern.test(memberRoleName) || memberRoleName.length > memberRoleNameMaxLength) {
    throw new ConfigError(
      'MEMBER_ROLE_NAME',
      `must be 1-${String(memberRoleNameMaxLength)} of letters, digits and +=,.@_- (each family's role is <MEMBER_ROLE_NAME>-<family>, at most 64)`,
    );
  }
  const externalId = blank(env['MEMBER_ROLE_EXTERNAL_ID']) ? null : (env['MEMBER_ROLE_EXTERNAL_ID'] ?? null);
  if (externalId !== null && !externalIdPattern.test(externalId)) {
    throw new ConfigError('MEMBER_ROLE_EXTERNAL_ID', 'must be 2-1224 characters of letters, digits and +=,.@:/_-');
  }
  if (externalId === null && (targetAccounts.all || targetAccounts.ids.size > 0)) {
    throw new ConfigError(
      'MEMBER_ROLE_EXTERNAL_ID',
      'is required when TARGET_ACCOUNTS names accounts: member roles must demand an external id',
    );
  }
  return {
    targetAccounts,
    memberRole: { name: memberRoleName, externalId },
    protectedTargets: [...builtInProtectedTargets(memberRoleName), ...parseArnPatterns(env['PROTECTED_TARGETS'])],
    deadlines: {
      pickupSeconds: parseSeconds(env, 'PICKUP_DEADLINE_SECONDS', 120),
      completionSeconds: parseSeconds(env, 'COMPLETION_DEADLINE_SECONDS', 900),
    },
    historyTableName: blank(env['HISTORY_TABLE_NAME']) ? undefined : env['HISTORY_TABLE_NAME'],
    approvalRequired: parseApprovalPatterns(env['APPROVAL_REQUIRED']),
    approvalTtlSeconds: parseSeconds(env, 'APPROVAL_TTL_SECONDS', 3600, { min: 60, max: 604_800 }),
    playbooksFile: blank(env['PLAYBOOKS']) ? null : (env['PLAYBOOKS'] ?? '').trim(),
    // At least a minute (a run waits on real actions); at most a day, like the action deadlines.
    playbookRunDeadlineSeconds: parseSeconds(env, 'PLAYBOOK_RUN_DEADLINE_SECONDS', 3600, { min: 60, max: 86_400 }),
  };
}

/**
 * Never acted on, whatever the configuration says: root principals and every member role (each
 * family's `<name>-<family>`, and `<name>` itself, the single role of earlier versions). The
 * guard compares IAM names on any path and in any case.
 */
export function builtInProtectedTargets(memberRoleName: string): string[] {
  return ['arn:*:iam::*:root', `arn:*:iam::*:role/${memberRoleName}`, `arn:*:iam::*:role/${memberRoleNameOf(memberRoleName, '*')}`];
}

function parseTargetAccounts(value: string | undefined): ServiceConfig['targetAccounts'] {
  if (blank(value)) return { all: false, ids: new Set() };
  const trimmed = (value ?? '').trim();
  if (trimmed === '*') return { all: true };
  const ids = trimmed.split(',').map((id) => id.trim());
  const bad = ids.find((id) => !accountId.test(id));
  if (bad !== undefined) {
    throw new ConfigError('TARGET_ACCOUNTS', `"${bad}" is not a 12-digit account id (comma-separated ids, or *)`);
  }
  return { all: false, ids: new Set(ids) };
}

function parseArnPatterns(value: string | undefined): string[] {
  if (blank(value)) return [];
  const patterns = (value ?? '').split(',').map((pattern) => pattern.trim()).filter((pattern) => pattern !== '');
  const bad = patterns.find((pattern) => !arnPattern.test(pattern));
  if (bad !== undefined) {
    throw new ConfigError('PROTECTED_TARGETS', `"${bad}" is not an ARN pattern (arn:partition:service:region:account:resource, * allowed)`);
  }
  return patterns;
}

// Resource keys of API.md that are not ARNs: hosts, containers and files, Kubernetes objects, CloudTrail identities.
const resourceKeyPattern = /^(host|k8s|aws-identity)\/\S+$/;

/**
 * APPROVAL_REQUIRED: comma-separated ARN patterns (as PROTECTED_TARGETS) or resource-key patterns
 * (`host/web-*`, `k8s/prod/*`); a bare `*` puts every target under approval.
 */
function parseApprovalPatterns(value: string | undefined): string[] {
  if (blank(value)) return [];
  const patterns = (value ?? '').split(',').map((pattern) => pattern.trim()).filter((pattern) => pattern !== '');
  const bad = patterns.find(
    (pattern) =>
      pattern.length > 2048 ||
      !(pattern === '*' || (pattern.startsWith('arn:') ? arnPattern.test(pattern) : resourceKeyPattern.test(pattern))),
  );
  if (bad !== undefined) {
    throw new ConfigError(
      'APPROVAL_REQUIRED',
      `"${bad}" is neither an ARN pattern (arn:partition:service:region:account:resource) nor a resource-key pattern (host/..., k8s/..., aws-identity/...); * allowed`,
    );
  }
  return patterns;
}

function parseSeconds(env: Environment, name: string, fallback: number, bounds = { min: 1, max: 86_400 }): number {
  const value = env[name];
  if (blank(value)) return fallback;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < bounds.min || seconds > bounds.max) {
    throw new ConfigError(name, `must be a whole number of seconds from ${bounds.min} to ${bounds.max}, not "${value ?? ''}"`);
  }
  return seconds;
}

function blank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}
