import { describe, expect, it } from 'vitest';
import { loadConfig } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { isProtectedTarget, isTargetAccountAllowed } from '#shared/guards/protected-targets.ts';

describe('configuration', () => {
  it('defaults to touching no account', () => {
    // Act
    const config = loadConfig({});

    // Assess
    expect(isTargetAccountAllowed('111122223333', config.targetAccounts)).toBe(false);
    expect(config.memberRole).toEqual({ name: 'ResponseActionsMember', externalId: null });
    expect(config.deadlines).toEqual({ pickupSeconds: 120, completionSeconds: 900 });
  });

  it('reads the allow-list, the member role and deadlines', () => {
    // Act
    const config = loadConfig({
      TARGET_ACCOUNTS: '111122223333, 444455556666',
      MEMBER_ROLE_NAME: 'IrMember',
      MEMBER_ROLE_EXTERNAL_ID: 'ext-1234',
      PICKUP_DEADLINE_SECONDS: '30',
      COMPLETION_DEADLINE_SECONDS: '600',
      HISTORY_TABLE_NAME: 'history',
    });

    // Assess
    expect(isTargetAccountAllowed('444455556666', config.targetAccounts)).toBe(true);
    expect(isTargetAccountAllowed('777788889999', config.targetAccounts)).toBe(false);
    expect(config.memberRole).toEqual({ name: 'IrMember', externalId: 'ext-1234' });
    expect(config.deadlines).toEqual({ pickupSeconds: 30, completionSeconds: 600 });
    expect(config.historyTableName).toBe('history');
    expect(isTargetAccountAllowed('123456789012', loadConfig({ TARGET_ACCOUNTS: '*', MEMBER_ROLE_EXTERNAL_ID: 'ext-1' }).targetAccounts)).toBe(true);
  });

  it.each([
    [{ TARGET_ACCOUNTS: '1234' , MEMBER_ROLE_EXTERNAL_ID: 'abc' }, 'TARGET_ACCOUNTS'],
    [{ TARGET_ACCOUNTS: '111122223333' }, 'MEMBER_ROLE_EXTERNAL_ID'],
    [{ MEMBER_ROLE_EXTERNAL_ID: 'x' }, 'MEMBER_ROLE_EXTERNAL_ID'],
    [{ MEMBER_ROLE_NAME: 'bad name!' }, 'MEMBER_ROLE_NAME'],
    // <name>-iam-access-keys must still fit IAM's 64 characters.
    [{ MEMBER_ROLE_NAME: 'M'.repeat(49) }, 'MEMBER_ROLE_NAME'],
    [{ PICKUP_DEADLINE_SECONDS: 'soon' }, 'PICKUP_DEADLINE_SECONDS'],
    [{ COMPLETION_DEADLINE_SECONDS: '0' }, 'COMPLETION_DEADLINE_SECONDS'],
    [{ PROTECTED_TARGETS: 'not-an-arn' }, 'PROTECTED_TARGETS'],
    [{ HISTORY_TABLE_NAME: ' ' }, 'HISTORY_TABLE_NAME'],
    [{ PLAYBOOK_RUN_DEADLINE_SECONDS: '59' }, 'PLAYBOOK_RUN_DEADLINE_SECONDS'],
    [{ PLAYBOOK_RUN_DEADLINE_SECONDS: '86401' }, 'PLAYBOOK_RUN_DEADLINE_SECONDS'],
    [{ PLAYBOOK_RUN_DEADLINE_SECONDS: '1h' }, 'PLAYBOOK_RUN_DEADLINE_SECONDS'],
  ] as const)('fails fast naming the variable: %j', (env, variable) => {
    // Act
    const load = (): unknown => loadConfig({ HISTORY_TABLE_NAME: 'history', ...env }, ['HISTORY_TABLE_NAME']);

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^${variable}: `));
  });

  it('runs only the built-in playbooks, each within an hour, unless PLAYBOOKS and PLAYBOOK_RUN_DEADLINE_SECONDS say otherwise', () => {
    // Act
    const defaults = loadConfig({ PLAYBOOKS: '  ' });
    const configured = loadConfig({ PLAYBOOKS: ' /etc/response-actions/playbooks.yaml ', PLAYBOOK_RUN_DEADLINE_SECONDS: '600' });

    // Assess
    expect(defaults.playbooksFile).toBeNull();
    expect(defaults.playbookRunDeadlineSeconds).toBe(3600);
    expect(configured.playbooksFile).toBe('/etc/response-actions/playbooks.yaml');
    expect(configured.playbookRunDeadlineSeconds).toBe(600);
  });

  it('always protects root principals and the member role, plus configured patterns', () => {
    // Prepare
    const config = loadConfig({ PROTECTED_TARGETS: 'arn:aws:iam::*:role/ResponseActions-*,arn:aws:iam::111122223333:user/breakglass' });

    // Act + Assess
    expect(isProtectedTarget('arn:aws:iam::111122223333:root', config.protectedTargets)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::111122223333:role/ResponseActionsMember', config.protectedTargets)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::111122223333:role/ops/ResponseActionsMember', config.protectedTargets)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::999900001111:role/ResponseActions-Api', config.protectedTargets)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::111122223333:user/breakglass', config.protectedTargets)).toBe(true);
    expect(isProtectedTarget('arn:aws:iam::111122223333:user/alice', config.protectedTargets)).toBe(false);
    expect(isProtectedTarget('arn:aws:iam::111122223333:role/ResponseActionsMemberX', config.protectedTargets)).toBe(false);
  });
});
