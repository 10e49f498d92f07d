import { Stack, Validations } from 'aws-cdk-lib';
import { Policy } from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's `AwsSolutions-IAM5` finding for one wildcard resource granted through
 * `construct` (a role or a policy), with its reason.
 *
 * cdk-nag names such a finding after the resource as it appears in the template, and a resource
 * built from another stack's attribute only takes its final form (a cross-stack reference) when
 * the app is prepared for synthesis. So the finding id is computed then, with cdk-nag's own
 * flattening, from the very token that was granted: the acknowledgement can never drift from
 * the grant, nor cover any other resource.
 *
 * @param construct where the grant is (the acknowledgement applies to it and its children)
 * @param resource the granted resource ARN, tokens and all (e.g. `bucket.arnForObjects('actions/*')`)
 * @param reason why this wildcard is needed, specific to the grant
 */
export function acknowledgeWildcardResource(construct: IConstruct, resource: string, reason: string): void {
  construct.node.addValidation({
    validate: () => {
      const rendered = flattenCfnReference(Stack.of(construct).resolve(resource));
      Validations.of(construct).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${rendered}]`, reason });
      return [];
    },
  });
}

/**
 * Acknowledges `AwsSolutions-IAM5[Resource::*]` on a role, for actions that support no
 * resource-level permission, and fails synthesis if anything else is ever granted on `*`
 * through the role's default policy, so that the acknowledgement can never hide a broader grant.
 *
 * @param role the role whose `DefaultPolicy` child carries the grants
 * @param allowedActions the only actions that may be granted on `*`
 * @param label what the allowed actions are for, for the error message (e.g. `X-Ray`)
 * @param reason the acknowledgement's reason
 */
export function acknowledgeStarOnlyFor(role: IConstruct, allowedActions: ReadonlySet<string>, label: string, reason: string): void {
  Validations.of(role).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason });
  role.node.addValidation({ validate: () => wildcardGrantsBeyond(role, allowedActions, label) });
}

/** Error messages for statements of the role's default policy that grant other actions on `*`. */
function wildcardGrantsBeyond(role: IConstruct, allowedActions: ReadonlySet<string>, label: string): string[] {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof Policy)) return [];
  const document: unknown = Stack.of(role).resolve(policy.document);
  const statements = isRecord(document) ? asArray(document.Statement) : [];
  return statements.filter(isRecord).flatMap((statement) => {
    const resources = asArray(statement.Resource);
    const actions = asArray(statement.Action).filter((action): action is string => typeof action === 'string');
    const extraActions = actions.filter((action) => !allowedActions.has(action));
    if (statement.Effect !== 'Allow' || !resources.includes('*') || extraActions.length === 0) return [];
    return [
      `${role.node.path}: ${extraActions.join(', ')} granted on "*". Scope the grant to its resources; the role's IAM5[Resource::*] acknowledgement covers ${label} only.`,
    ];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as unknown[]) : [value];
}
