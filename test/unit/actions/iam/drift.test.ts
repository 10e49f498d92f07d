import { describe, expect, it } from 'vitest';
import { quarantineDrift, type PrincipalState } from '#shared/actions/iam/principal-policies.ts';
import { policyDrift } from '#shared/actions/iam-sessions/revoke-policy.ts';

const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';
const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

/** alice before the quarantine: one managed and one inline policy. */
const before: PrincipalState = {
  principal: { type: 'user', name: 'alice', arn: 'arn:aws:iam::111122223333:user/alice', id: 'AIDAEXAMPLE1' },
  attachedPolicies: [{ policyArn: readOnly, policyName: 'ReadOnlyAccess' }],
  inlinePolicyNames: ['team'],
};

describe('quarantineDrift', () => {
  it('reports nothing when the principal is as the quarantine left it', () => {
    // Prepare
    const now: PrincipalState = { ...before, attachedPolicies: [...before.attachedPolicies, { policyArn: denyAll, policyName: 'AWSDenyAll' }] };

    // Act
    const drift = quarantineDrift(before, [{ action: 'AttachPolicy', policyArn: denyAll }], now);

    // Assess
    expect(drift).toEqual({ addedSince: [], removedSince: [] });
  });

  it('reports policies added and removed since, managed and inline, and a principal made again under the same name', () => {
    // Prepare
    const now: PrincipalState = {
      principal: { ...before.principal, id: 'AIDAEXAMPLE2' },
      attachedPolicies: [{ policyArn: denyAll, policyName: 'AWSDenyAll' }, { policyArn: 'arn:aws:iam::aws:policy/Admin', policyName: 'Admin' }],
      inlinePolicyNames: ['backdoor'],
    };

    // Act
    const drift = quarantineDrift(before, [{ action: 'AttachPolicy', policyArn: denyAll }], now);

    // Assess
    expect(drift).toEqual({
      addedSince: [{ policyArn: 'arn:aws:iam::aws:policy/Admin' }, { inlinePolicyName: 'backdoor' }],
      removedSince: [{ policyArn: readOnly }, { inlinePolicyName: 'team' }],
      principalRecreated: true,
    });
  });
});

describe('policyDrift (restore-iam-role-sessions)', () => {
  const written = { document: '{"Version":"2012-10-17","Statement":[]}' };

  it('reads a document with other key order or whitespace as the one written', () => {
    expect(policyDrift(written, { document: '{ "Statement": [], "Version": "2012-10-17" }' })).toBe('asWritten');
  });

  it('tells a policy changed or removed since from a revoke that wrote nothing', () => {
    expect(policyDrift(written, { document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}' })).toBe('changedSince');
    expect(policyDrift(written, null)).toBe('removedSince');
    expect(policyDrift(null, null)).toBe('nothingWritten');
  });
});
