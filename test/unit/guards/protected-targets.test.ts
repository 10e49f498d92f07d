import { describe, expect, it } from 'vitest';
import { guardTarget, resolveTarget } from '#shared/actions/target.ts';
import { ProtectedTargetError } from '#shared/actions/errors.ts';
import { loadConfig, memberRoleNameOf } from '#shared/config/config.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { canonicalIamArn, isProtectedTarget } from '#shared/guards/protected-targets.ts';

const breakGlass = ['arn:aws:iam::*:role/BreakGlass'];

/** IAM paths as IAM allows them: `/`, or `/`-separated segments of printable ASCII except `/`. */
const paths = ['/', '/x/', '/ops/', '/a/b/c/', '/BreakGlass/', '/role/', '/*/', '/.../', '/%2F/', '/division_abc/subdivision_xyz/'];
/** The same name as IAM sees it: names are unique per account regardless of case. */
const cases = ['BreakGlass', 'breakglass', 'BREAKGLASS', 'bREAKgLASS'];

describe('isProtectedTarget: IAM principals by account, type and name, on any path and in any case', () => {
  it('protects BreakGlass on every path and in every case (the path bypass of issue 9)', () => {
    for (const path of paths) {
      for (const name of cases) {
        // Prepare
        const arn = `arn:aws:iam::123456789012:role${path}${name}`;

        // Act + Assess
        expect(isProtectedTarget(arn, breakGlass), arn).toBe(true);
      }
    }
  });

  it('protects the name on any path when the pattern itself names a path', () => {
    // Prepare
    const patterns = ['arn:aws:iam::123456789012:role/ops/BreakGlass'];

    // Act + Assess
    for (const path of paths) expect(isProtectedTarget(`arn:aws:iam::123456789012:role${path}BreakGlass`, patterns), path).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::210987654321:role/ops/BreakGlass', patterns)).toBe(false);
  });

  it('keeps wildcards working in the name, the account and the path of a pattern', () => {
    // Prepare
    const patterns = ['arn:aws:iam::*:role/ResponseActionsService-*', 'arn:aws:iam::111122223333:user/*/admin-*', 'arn:*:iam::*:role/*/Sec*Audit'];

    // Act + Assess
    expect(isProtectedTarget('arn:aws:iam::999900001111:role/ResponseActionsService-cloud-action-steps/iam/ResponseActionsService-IamStepRole-X1', patterns)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::999900001111:role/responseactionsservice-api-x', patterns)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::111122223333:user/admin-alice', patterns)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::111122223333:user/team/ADMIN-bob', patterns)).toBe(true);
    expect(isProtectedTarget('arn:aws-us-gov:iam::111122223333:role/SecurityAudit', patterns)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::111122223333:user/alice', patterns)).toBe(false);
    expect(isProtectedTarget('arn:aws:iam::444455556666:user/admin-alice', patterns)).toBe(false);
  });

  it('reads a pattern whose name is a bare * as a path: it protects that path, not every role', () => {
    // Prepare
    const patterns = ['arn:aws:iam::*:role/admins/*'];

    // Act + Assess
    expect(isProtectedTarget('arn:aws:iam::123456789012:role/admins/alice', patterns)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::123456789012:role/admins/eu/bob', patterns)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::123456789012:role/compromised-ci', patterns)).toBe(false);
    expect(isProtectedTarget('arn:aws:iam::123456789012:role/ops/compromised-ci', patterns)).toBe(false);
  });

  it('still tells other names, types and accounts apart', () => {
    // Act + Assess
    expect(isProtectedTarget('arn:aws:iam::123456789012:role/BreakGlassX', breakGlass)).toBe(false);
    expect(isProtectedTarget('arn:aws:iam::123456789012:role/BreakGlass/x', breakGlass)).toBe(false);
    expect(isProtectedTarget('arn:aws:iam::123456789012:user/BreakGlass', breakGlass)).toBe(false);
    expect(isProtectedTarget('arn:aws:iam::123456789012:role/x/NotBreakGlass', breakGlass)).toBe(false);
    expect(isProtectedTarget('arn:aws:iam::123456789012:role/x/BreakGlass', ['arn:aws:iam::111122223333:role/BreakGlass'])).toBe(false);
  });

  it('matches other services as written', () => {
    // Prepare
    const patterns = ['arn:aws:s3:::evidence-bucket', 'arn:aws:ec2:*:*:instance/i-0123456789abcdef0'];

    // Act + Assess
    expect(isProtectedTarget('arn:aws:s3:::evidence-bucket', patterns)).toBe(true);
    expect(isProtectedTarget('arn:aws:s3:::evidence-bucket-2', patterns)).toBe(false);
    expect(isProtectedTarget('arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0', patterns)).toBe(true);
    expect(canonicalIamArn('arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0')).toBeNull();
    expect(canonicalIamArn('arn:aws:iam::123456789012:root')).toBeNull();
    expect(canonicalIamArn('arn:aws:iam::123456789012:role/a/b/Name')).toBe('arn:aws:iam::123456789012:role/name');
  });
});

describe('the built-in protection: every member role and root, however named', () => {
  const config = loadConfig({ MEMBER_ROLE_NAME: 'IrMember' });

  it('protects each family\'s member role and the base name on any path and in any case', () => {
    for (const name of ['IrMember', ...cloudActionFamilyDeployments.map((family) => memberRoleNameOf('IrMember', family.name))]) {
      for (const arn of [`arn:aws:iam::111122223333:role/${name}`, `arn:aws:iam::111122223333:role/x/${name}`, `arn:aws-cn:iam::111122223333:role/${name.toUpperCase()}`]) {
        // Act + Assess
        expect(isProtectedTarget(arn, config.protectedTargets), arn).toBe(true);
      }
    }
    expect(isProtectedTarget('arn:aws:iam::111122223333:root', config.protectedTargets)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::111122223333:role/IrMemberX', config.protectedTargets)).toBe(false);
  });
});

describe('guardTarget', () => {
  const config = loadConfig({ TARGET_ACCOUNTS: '123456789012', MEMBER_ROLE_EXTERNAL_ID: 'ext-1234', PROTECTED_TARGETS: breakGlass.join(',') });
  const guard = (arn: string, inputs: Record<string, string> = {}): (() => void) => () => {
    guardTarget(resolveTarget({ id: 'a1', inputs: { 'aws.resource.arn': arn, ...inputs } }), config);
  };

  it('refuses BreakGlass named on a path or in another case, and an ARN that leaves the account to aws.account.id', () => {
    // Act + Assess
    expect(guard('arn:aws:iam::123456789012:role/x/BreakGlass')).toThrow(ProtectedTargetError);
    expect(guard('arn:aws:iam::123456789012:role/breakglass')).toThrow(ProtectedTargetError);
    expect(guard(`arn:aws:iam::123456789012:role/x/${memberRoleNameOf('ResponseActionsMember', 'iam')}`)).toThrow(ProtectedTargetError);
    expect(guard('arn:aws:iam::123456789012:role/x/app-role')).not.toThrow();
  });

  it('refuses a pattern naming the account when the ARN carries none', () => {
    // Prepare
    const pinned = loadConfig({ TARGET_ACCOUNTS: '123456789012', MEMBER_ROLE_EXTERNAL_ID: 'ext-1234', PROTECTED_TARGETS: 'arn:aws:iam::123456789012:role/Pinned' });

    // Act
    const act = (): void => {
      guardTarget(resolveTarget({ id: 'a2', inputs: { 'aws.resource.arn': 'arn:aws:iam:::role/x/Pinned', 'aws.account.id': '123456789012' } }), pinned);
    };

    // Assess
    expect(act).toThrow(ProtectedTargetError);
  });
});
