import { Aws, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { AccountPrincipal, Effect, ManagedPolicy, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { familyIdOf } from '#infra/constructs/cloud-action-family.ts';
import { eventBridgeTargetEntry, exemptionsMemberRole, exemptionsRolePath } from '#infra/constructs/findings-ingest.ts';
import { cloudActionStepRolePath } from '#infra/stacks/service-stack.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import type { CloudActionFamilyDeployment } from '#shared/actions/families.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';

/** Props of {@link MemberAccountStack}. */
export interface MemberAccountStackProps extends StackProps {
  /**
   * The base of the roles' names (`memberRoleName`): each family's role is
   * `<memberRoleName>-<family>`, the contract with the service, which assumes them by name.
   */
  readonly memberRoleName: string;
  /** The external id every trust demands (`memberExternalId`); the service sends the same value. */
  readonly externalId: string;
  /**
   * The account the service stack runs in (`serviceAccountId`).
   * @default the account this stack is deployed in (service and target in one account)
   */
  readonly serviceAccountId?: string;
  /** The service stack's name: its family step roles live on paths made from it, its roles are named after it. */
  readonly serviceStackName: string;
  /** @default cloudActionFamilyDeployments */
  readonly families?: readonly CloudActionFamilyDeployment[];
}

/**
 * IAM writes no member role may make on the member roles themselves or on the service's own roles:
 * with any of them a family could widen its own permissions (an inline policy granting admin) or
 * let another principal assume it. Wildcards are fine in a Deny: they can only take away.
 */
export const protectedRoleWrites = [
  'iam:Add*',
  'iam:Attach*',
  'iam:Create*',
  'iam:Delete*',
  'iam:Detach*',
  'iam:PassRole',
  'iam:Put*',
  'iam:Remove*',
  'iam:Tag*',
  'iam:Untag*',
  'iam:Update*',
] as const;

/**
 * What the exemptions member role may do: read the `response-actions:exempt` tag of the targets
 * rules act on (IAM user or role, EC2 instance, S3 bucket, RDS instance), and nothing else. In the
 * families' shape, so the same statements, checks and acknowledgements apply.
 */
export const exemptionsReads: CloudActionFamilyDeployment = {
  name: exemptionsMemberRole,
  entry: eventBridgeTargetEntry,
  types: ['exemption tag reads of the automation rules'],
  memberPermissions: [
    { actions: ['iam:ListUserTags', 'iam:ListRoleTags'], resources: ['arn:${Partition}:iam::${AWS::AccountId}:user/*', 'arn:${Partition}:iam::${AWS::AccountId}:role/*'] },
    { actions: ['ec2:DescribeTags'], resources: ['*'] },
    { actions: ['s3:GetBucketTagging'], resources: ['arn:${Partition}:s3:::*'], conditions: { StringEquals: { 'aws:ResourceAccount': '${AWS::AccountId}' } } },
    { actions: ['rds:ListTagsForResource'], resources: ['arn:${Partition}:rds:*:${AWS::AccountId}:db:*'] },
  ],
};

/**
 * Deployed in every target account: one member role per cloud action family, which that family's
 * step function assumes to act there.
 *
 * - Named `<memberRoleName>-<family>` ({@link memberRoleNameOf}): the app's only physical names,
 *   because the service assumes the roles by name in accounts it knows only by id. The service's
 *   own config protects every such name from every action.
 * - Each trusts only its own family's step role in the service account: the service account as
 *   principal, narrowed by `aws:PrincipalArn` to the role path only that role has
 *   (`/<service stack>-cloud-action-steps/<family>/`), and only with the external id
 *   (`sts:ExternalId`, StringEquals). Sessions last at most one hour.
 * - Each may do exactly its family's `memberPermissions` (one customer managed policy), with
 *   `${Partition}` and `${AWS::AccountId}` substituted: a data-gathering family's role cannot
 *   write anything another family may. Families list exact actions: a wildcard action fails
 *   synthesis. Each wildcard resource a family declares is acknowledged for cdk-nag with the
 *   family's own words.
 * - Every role carries an explicit Deny of {@link protectedRoleWrites} on the member roles and on
 *   the service stack's roles, whatever its family's permissions say (IAM has no condition key for
 *   an inline policy's name, so `iam:PutRolePolicy` of the sessions family cannot be narrowed to
 *   its one policy by an Allow).
 */
export class MemberAccountStack extends Stack {
  /** Family name → its member role. */
  public readonly memberRoles: Readonly<Record<string, Role>>;
  /** Family name → its permissions on its member role. */
  public readonly familyPolicies: Readonly<Record<string, ManagedPolicy>>;
  /** The Deny every member role carries. */
  public readonly protectedRolesPolicy: ManagedPolicy;
  /** `<memberRoleName>-exemptions`: tag reads only, for the functions that check exemptions. */
  public readonly exemptionsRole: Role;

  public constructor(scope: Construct, id: string, props: MemberAccountStackProps) {
    const { memberRoleName, externalId, serviceAccountId, serviceStackName, families = cloudActionFamilyDeployments, ...stackProps } = props;
    super(scope, id, stackProps);

    const serviceAccount = serviceAccountId ?? Aws.ACCOUNT_ID;
    this.protectedRolesPolicy = new ManagedPolicy(this, 'ProtectedRoles', {
      description: 'response-actions: no member role may change a member role or a role of the service',
      statements: [
        new PolicyStatement({
          effect: Effect.DENY,
          actions: [...protectedRoleWrites],
          resources: protectedRoleArns(memberRoleName, serviceStackName),
        }),
      ],
    });

    const roles: Record<string, Role> = {};
    const policies: Record<string, ManagedPolicy> = {};
    for (const family of families) {
      const familyId = familyIdOf(family.name);
      const role = new Role(this, `${familyId}MemberRole`, {
        roleName: memberRoleNameOf(memberRoleName, family.name),
        description: `Assumed by the response-actions ${family.name} family of ${serviceStackName} (account ${serviceAccountId ?? 'this one'}) to act in this account`,
        maxSessionDuration: Duration.hours(1),
        assumedBy: new AccountPrincipal(serviceAccount).withConditions({
          StringEquals: { 'sts:ExternalId': externalId },
          ArnLike: { 'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${serviceAccount}:role${cloudActionStepRolePath(serviceStackName, family.name)}*` },
        }),
      });
      this.protectedRolesPolicy.attachToRole(role);
      roles[family.name] = role;
      new CfnOutput(this, `${familyId}MemberRoleArn`, { description: `The role the service's ${family.name} family assumes in this account`, value: role.roleArn });
      if (family.memberPermissions.length === 0) continue;
      const policy = new ManagedPolicy(this, `${familyId}FamilyPermissions`, {
        description: `response-actions ${family.name} family: ${family.types.join(', ')}`,
        statements: memberPolicyStatements(family),
        roles: [role],
      });
      const acknowledgements = wildcardAcknowledgements(family);
      if (acknowledgements.length > 0) Validations.of(policy).acknowledge(...acknowledgements);
      policies[family.name] = policy;
    }
    this.memberRoles = roles;
    this.familyPolicies = policies;

    // Trusted by the service's functions on the exemptions path only (the findings ingest), never by a family.
    this.exemptionsRole = new Role(this, 'ExemptionsMemberRole', {
      roleName: memberRoleNameOf(memberRoleName, exemptionsMemberRole),
      description: `Assumed by the response-actions automation of ${serviceStackName} (account ${serviceAccountId ?? 'this one'}) to read exemption tags in this account`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new AccountPrincipal(serviceAccount).withConditions({
        StringEquals: { 'sts:ExternalId': externalId },
        ArnLike: { 'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${serviceAccount}:role${exemptionsRolePath(serviceStackName)}*` },
      }),
    });
    this.protectedRolesPolicy.attachToRole(this.exemptionsRole);
    const exemptionsPolicy = new ManagedPolicy(this, 'ExemptionTagReads', {
      description: 'response-actions automation: reads the response-actions:exempt tag of IAM users and roles, EC2 instances, S3 buckets and RDS instances',
      statements: memberPolicyStatements(exemptionsReads),
      roles: [this.exemptionsRole],
    });
    Validations.of(exemptionsPolicy).acknowledge(...wildcardAcknowledgements(exemptionsReads));
    new CfnOutput(this, 'ExemptionsMemberRoleArn', { description: 'The role the service\'s automation assumes in this account to read exemption tags', value: this.exemptionsRole.roleArn });
    this.node.addValidation({ validate: () => [...families, exemptionsReads].flatMap(wildcardActionErrors) });
  }
}

/**
 * The roles no member role may write: every member role (`<name>`, the single role of earlier
 * versions, and `<name>-*`) and every role of the service stack (`<stack>-*`, on any path), in
 * this account.
 */
function protectedRoleArns(memberRoleName: string, serviceStackName: string): string[] {
  const role = (name: string): string => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${name}`;
  return [
    role(memberRoleName),
    role(memberRoleNameOf(memberRoleName, '*')),
    role(`*/${memberRoleName}`),
    role(`*/${memberRoleNameOf(memberRoleName, '*')}`),
    role(`${serviceStackName}-*`),
    role(`*/${serviceStackName}-*`),
  ];
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
