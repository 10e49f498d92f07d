/**
 * What refuses a rule's action before anything is asked of the target: the same guards every
 * action meets (TARGET_ACCOUNTS, protected targets), checked on the decision so a refused target
 * is recorded `refused` with the guard's name rather than becoming an action that ends in Error.
 */
import { CloudActionError } from '#shared/actions/errors.ts';
import { parseArn } from '#shared/catalogue/arn.ts';
import type { ValidActionRequest } from '#shared/catalogue/validate.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '#shared/errors.ts';
import type { NormalisedFinding } from '#shared/findings/types.ts';
import { isProtectedTarget, isTargetAccountAllowed } from '#shared/guards/protected-targets.ts';

/**
 * Why the action may not touch its target, or null. Host and Kubernetes work is checked for the
 * finding's account only; its responder applies its own guards. Every account in sight is checked
 * (the finding's, the target ARN's, an `aws.account.id` input), so a rule's input cannot aim past
 * TARGET_ACCOUNTS.
 */
export function targetRefusal(
  finding: NormalisedFinding,
  request: ValidActionRequest,
  config: Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets'>,
): string | null {
  if (request.executor !== 'cloud') {
    // Responder work names no account, but a finding from an account the service does not act in
    // must not reach a cluster or host that merely shares a name with one it does.
    const account = finding.accountId;
    return account !== null && !isTargetAccountAllowed(account, config.targetAccounts) ? `account ${account} is not in TARGET_ACCOUNTS` : null;
  }
  const arnInput = request.inputs['aws.resource.arn'];
  const arns = [...new Set([...(typeof arnInput === 'string' ? [arnInput] : []), ...request.resources.map((resource) => resource.key).filter((key) => key.startsWith('arn:'))])];
  const accountInput = request.inputs['aws.account.id'];
  const accounts = new Set<string>();
  if (finding.accountId !== null) accounts.add(finding.accountId);
  if (typeof accountInput === 'string') accounts.add(accountInput);
  for (const arn of arns) {
    const account = parseArn(arn)?.accountId;
    if (account !== undefined && account !== '') accounts.add(account);
  }
  if (accounts.size === 0) return 'the target names no account, so TARGET_ACCOUNTS cannot allow it';
  for (const account of accounts) {
    if (!isTargetAccountAllowed(account, config.targetAccounts)) return `account ${account} is not in TARGET_ACCOUNTS`;
  }
  const guarded = arns.find((arn) => isProtectedTarget(arn, config.protectedTargets));
  if (guarded !== undefined) return `${guarded} is a protected target (PROTECTED_TARGETS, root or a member role)`;
  return null;
}

/** Codes a plan or a create can be refused with that say something about the target, not about a passing outage. */
const refusingCodes: ReadonlySet<string> = new Set([
  'TargetAccountNotAllowed',
  'ProtectedTarget',
  'InvalidTarget',
  'MemberRoleUnavailable',
  'TargetNotFound',
  'AccessDenied',
  'DbClusterMember',
  'DbInstanceNotModifiable',
  'AutoScalingLifecycle',
]);

/**
 * The sentence for an error that refuses this one action (the service said no), or null for an
 * error that says nothing about the action (a store or AWS outage), which the caller rethrows.
 */
export function refusalOf(error: unknown): string | null {
  if (error instanceof CloudActionError) return refusingCodes.has(error.code) ? `${error.code}: ${error.message}` : null;
  if (error instanceof InvalidInputError || error instanceof ForbiddenError || error instanceof ConflictError || error instanceof NotFoundError) {
    return `${error.name}: ${error.message.slice(0, 500)}`;
  }
  return null;
}
