import { Aws, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { AccountPrincipal, Effect, ManagedPolicy, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { familyIdOf } from '#infra/constructs/cloud-action-family.ts';
import { cloudActionStepRolePath } from '#infra/stacks/service-stack.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import type { CloudActionFamilyDeployment } from '#shared/actions/families.ts';

/** Props of {@link MemberAccountStack}. */
export interface MemberAccountStackProps extends StackProps {
  /** The role's name: the contract with the service, which assumes it by name (`memberRoleName`). */
  readonly memberRoleName: string;
  /** The external id the trust demands (`memberExternalId`); the service sends the same value. */
  readonly externalId: string;
  /**
   * The account the service stack runs in (`serviceAccountId`).
   * @default the account this stack is deployed in (service and target in one account)
   */
  readonly serviceAccountId?: string;
  /** The service stack's name: its family step roles live on a path made from it. */
  readonly serviceStackName: string;
  /** @default cloudActionFamilyDeployments */
  readonly families?: readonly CloudActionFamilyDeployment[];
}

/**
 * Deployed in every target account: the member role that the service's cloud-action families
 * assume to act there.
 *
 * - Named `memberRoleName`: the one physical name of the app, because the service assumes the
 *   role by name in accounts it knows only by id. The service's own config protects that name
 *   from every action.
 * - Trusts only the service account's family step-function roles: the service account as
 *   principal, narrowed by `aws:PrincipalArn` to the role path only those roles have
 *   (`/<service stack>-cloud-action-steps/`), and only with the external id (`sts:ExternalId`,
 *   StringEquals). Sessions last at most one hour.
 * - May do exactly the union of `cloudActionFamilyDeployments[*].memberPermissions`, one
 *   customer managed policy per family, with `${Partition}` and `${AWS::AccountId}` substituted.
 *   Families list exact actions: a wildcard action fails synthesis. Each wildcard resource a
 *   family declares is acknowledged for cdk-nag with the family's own words.
 */
export class MemberAccountStack extends Stack {
  public readonly memberRole: Role;
  /** Family name → its permissions on the member role. */
  public readonly familyPolicies: Readonly<Record<string, ManagedPolicy>>;

  public constructor(scope: Construct, id: string, props: MemberAccountStackProps) {
    const { memberRoleName, externalId, serviceAccountId, serviceStackName, families = cloudActionFamilyDeployments, ...stackProps } = props;
    super(scope, id, stackProps);

    const serviceAccount = serviceAccountId ?? Aws.ACCOUNT_ID;
    this.memberRole = new Role(this, 'MemberRole', {
      roleName: memberRoleName,
      description: `Assumed by the response-actions cloud-action families of ${serviceStackName} (account ${serviceAccountId ?? 'this one'}) to act in this account`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new AccountPrincipal(serviceAccount).withConditions({
        StringEquals: { 'sts:ExternalId': externalId },
        ArnLike: { 'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${serviceAccount}:role${cloudActionStepRolePath(serviceStackName)}*` },
      }),
    });

    const policies: Record<string, ManagedPolicy> = {};
    for (const family of families) {
      if (family.memberPermissions.length === 0) continue;
      const policy = new ManagedPolicy(this, `${familyIdOf(family.name)}FamilyPermissions`, {
        description: `response-actions ${family.name} family: ${family.types.join(', ')}`,
        statements: memberPolicyStatements(family),
        roles: [this.memberRole],
      });
      const acknowledgements = wildcardAcknowledgements(family);
      if (acknowledgements.length > 0) Validations.of(policy).acknowledge(...acknowledgements);
      policies[family.name] = policy;
    }
    this.familyPolicies = policies;
    this.node.addValidation({ validate: () => families.flatMap(wildcardActionErrors) });

    new CfnOutput(this, 'MemberRoleArn', { description: 'The role the service assumes in this account', value: this.memberRole.roleArn });
  }
}

/** A family's member permissions as IAM statements, placeholders substituted for this account. */
export function memberPolicyStatements(family: CloudActionFamilyDeployment): PolicyStatement[] {
  return family.memberPermissions.map(
    (permission) =>
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...permission.actions],
        resources: permission.resources.map(substitute),
        ...(permission.conditions === undefined
          ? {}
          : {
              conditions: Object.fromEntries(
                Object.entries(permission.conditions).map(([operator, entries]) => [
                  operator,
                  Object.fromEntries(
                    Object.entries(entries).map(([key, value]) => [key, typeof value === 'string' ? substitute(value) : value.map(substitute)]),
                  ),
                ]),
              ),
            }),
      }),
  );
}

function substitute(text: string): string {
  return text.split('${Partition}').join(Aws.PARTITION).split('${AWS::AccountId}').join(Aws.ACCOUNT_ID);
}

/** How cdk-nag names a resource in a finding: pseudo parameters as `<AWS::...>`. */
function nagResourceName(resource: string): string {
  return resource.split('${Partition}').join('<AWS::Partition>').split('${AWS::AccountId}').join('<AWS::AccountId>');
}

/**
 * One IAM5 acknowledgement per wildcard resource of a family, its reason written from the family's
 * data: which action types, which calls, and what narrows them further.
 */
function wildcardAcknowledgements(family: CloudActionFamilyDeployment): { id: string; reason: string }[] {
  const byResource = new Map<string, { actions: string[]; conditionKeys: string[] }>();
  for (const permission of family.memberPermissions) {
    for (const resource of permission.resources.filter((candidate) => candidate.includes('*'))) {
      const entry = byResource.get(resource) ?? { actions: [], conditionKeys: [] };
      entry.actions.push(...permission.actions);
      entry.conditionKeys.push(...Object.values(permission.conditions ?? {}).flatMap((entries) => Object.keys(entries)));
      byResource.set(resource, entry);
    }
  }
  return [...byResource.entries()].map(([resource, { actions, conditionKeys }]) => {
    const named = unique(actions);
    const what =
      resource === '*'
        ? `${named.join(', ')} ${named.length === 1 ? 'supports' : 'support'} no resource-level permission in IAM, so "*" is the only resource ${named.length === 1 ? 'it' : 'they'} can be granted on`
        : `the ${family.name} family acts on whichever resource an action names (known only at run time), within ${nagResourceName(resource)}${resource.includes('${AWS::AccountId}') ? ' of this account' : ''} (${named.join(', ')})`;
    const narrowed = conditionKeys.length > 0 ? `; further limited by ${unique(conditionKeys).join(', ')}` : '';
    return {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagResourceName(resource)}]`,
      reason: `For ${family.types.join(', ')}: ${what}${narrowed}. Protected targets (the member role, root, the service's own roles and buckets) are refused by the service before any call.`,
    };
  });
}

/** Families must list exact actions: `*`, `service:*` and other action wildcards fail synthesis. */
function wildcardActionErrors(family: CloudActionFamilyDeployment): string[] {
  return family.memberPermissions
    .flatMap((permission) => permission.actions)
    .filter((action) => action.includes('*'))
    .map((action) => `cloud action family "${family.name}" asks the member role for "${action}": list the exact actions it calls`);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
