import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { acknowledgeWildcardResource } from './acknowledge-wildcard.ts';
import type { ServiceFunction } from './service-function.ts';

/**
 * sts:AssumeRole on exactly these member-account roles; an ARN whose account is `*` (targetAccounts
 * "*" or unset) has cdk-nag's wildcard finding acknowledged with `wildcardReason`.
 */
export function grantAssumeRoles(fn: ServiceFunction, roleArns: readonly string[], wildcardReason: string): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...roleArns] }));
  for (const arn of roleArns.filter((candidate) => candidate.includes('::*:'))) acknowledgeWildcardResource(fn.executionRole, arn, wildcardReason);
}
