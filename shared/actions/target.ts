import { isAccountId, isRegion, parseArn, partitionOfRegion } from '#shared/catalogue/arn.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import { isProtectedTarget, isTargetAccountAllowed } from '#shared/guards/protected-targets.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { CloudTarget } from './cloud-action.ts';
import { InvalidTargetError, ProtectedTargetError, TargetAccountNotAllowedError } from './errors.ts';

/** The target of a cloud action, from `aws.resource.arn` (and `aws.account.id` / `aws.region` where the ARN has none). */
export function resolveTarget(record: Pick<ActionRecord, 'id' | 'inputs'>): CloudTarget {
  const arnInput = record.inputs['aws.resource.arn'];
  if (arnInput === undefined) return accountTarget(record);
  if (typeof arnInput !== 'string') {
    throw new InvalidTargetError(`action ${record.id} names no aws.resource.arn`);
  }
  const arn = parseArn(arnInput);
  if (arn === null) throw new InvalidTargetError(`action ${record.id}: "${arnInput}" is not an ARN this service acts on`);
  const accountInput = record.inputs['aws.account.id'];
  const regionInput = record.inputs['aws.region'];
  const accountId = arn.accountId !== '' ? arn.accountId : typeof accountInput === 'string' ? accountInput : '';
  if (!/^\d{12}$/.test(accountId)) {
    throw new InvalidTargetError(`action ${record.id}: ${arnInput} carries no account id and aws.account.id is not given`);
  }
  return {
    arn: arnInput,
    partition: arn.partition,
    accountId,
    region: arn.region !== '' ? arn.region : typeof regionInput === 'string' ? regionInput : '',
    service: arn.service,
    resourceType: arn.resourceType,
    resourceName: arn.resourceName,
  };
}

/**
 * An action on an account and region rather than one resource (fetch-cloud-logs): the account
 * allow-list guards it. Reading a protected identity's activity is allowed on purpose: the
 * member role's own trail is evidence too.
 */
function accountTarget(record: Pick<ActionRecord, 'id' | 'inputs'>): CloudTarget {
  const accountId = record.inputs['aws.account.id'];
  const region = record.inputs['aws.region'];
  if (typeof accountId !== 'string' || !isAccountId(accountId) || typeof region !== 'string' || !isRegion(region)) {
    throw new InvalidTargetError(`action ${record.id} names neither aws.resource.arn nor aws.account.id and aws.region`);
  }
  const partition = partitionOfRegion(region);
  return {
    arn: `arn:${partition}:cloudtrail:${region}:${accountId}:eventhistory`,
    partition,
    accountId,
    region,
    service: 'cloudtrail',
    resourceType: null,
    resourceName: 'eventhistory',
  };
}

/**
 * The guard rails, checked before any call: the account must be allowed and the target must
 * not be protected (root, the member roles, the service's own roles, PROTECTED_TARGETS). IAM
 * principals are compared by account, type and name, whatever their path and case
 * (`isProtectedTarget`), because that is all the IAM API acts on.
 */
export function guardTarget(target: CloudTarget, config: Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets'>): void {
  if (!isTargetAccountAllowed(target.accountId, config.targetAccounts)) {
    throw new TargetAccountNotAllowedError(
      `account ${target.accountId} is not in TARGET_ACCOUNTS, so no action may touch it; nothing was called`,
    );
  }
  // Both the ARN as given and as resolved (account and region filled in from the inputs), so a
  // pattern naming an account also holds for an ARN that left the account out.
  if (isProtectedTarget(target.arn, config.protectedTargets) || isProtectedTarget(resolvedArn(target), config.protectedTargets)) {
    throw new ProtectedTargetError(
      `${target.arn} is a protected target (root, a member role, or one of the service's own roles or PROTECTED_TARGETS); nothing was called`,
    );
  }
}

/** The given ARN with the resolved region and account in place of whatever it carried there. */
function resolvedArn(target: CloudTarget): string {
  const parts = target.arn.split(':');
  return [...parts.slice(0, 3), target.region, target.accountId, ...parts.slice(5)].join(':');
}
