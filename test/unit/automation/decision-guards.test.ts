import { describe, expect, it } from 'vitest';
import { AwsRequestFailedError, ProtectedTargetError, ThrottlingError } from '#shared/actions/errors.ts';
import { refusalOf, targetRefusal } from '#shared/automation/decision-guards.ts';
import { validateActionRequest } from '#shared/catalogue/validate.ts';
import type { ValidActionRequest } from '#shared/catalogue/validate.ts';
import { ConflictError, InvalidInputError } from '#shared/errors.ts';
import { finding } from '../findings/fixtures.ts';

const inAccount = finding({
  source: 'guardduty',
  findingId: 'f-1',
  findingType: 'Policy:S3/BucketBlockPublicAccessDisabled',
  types: ['Policy:S3/BucketBlockPublicAccessDisabled'],
  severity: 'LOW',
  sourceSeverity: '2',
  accountId: '111122223333',
  region: 'eu-west-1',
});
const falco = finding({ source: 'falco', findingId: 'a-1', findingType: 'Terminal shell in container', types: ['Terminal shell in container'], severity: 'LOW', sourceSeverity: 'Notice' });
const config = { targetAccounts: { all: false as const, ids: new Set(['111122223333']) }, protectedTargets: ['arn:*:iam::*:root', 'arn:aws:iam::111122223333:user/break-glass'] };

function valid(type: string, inputs: Record<string, unknown>): ValidActionRequest {
  const validation = validateActionRequest({ type, inputs }, { now: new Date('2026-12-05T12:00:00Z') });
  if (!validation.ok) throw new Error(JSON.stringify(validation.errors));
  return validation;
}

describe("the guards on a rule's target", () => {
  it('lets a cloud action on an allowed, unprotected target through', () => {
    // Assess
    expect(targetRefusal(inAccount, valid('iam-quarantine', { 'aws.resource.arn': 'arn:aws:iam::111122223333:user/ops-admin' }), config)).toBeNull();
  });

  it('checks the account of the target ARN, not only the finding', () => {
    // Assess
    expect(targetRefusal(inAccount, valid('iam-quarantine', { 'aws.resource.arn': 'arn:aws:iam::999988887777:user/ops-admin' }), config)).toBe(
      'account 999988887777 is not in TARGET_ACCOUNTS',
    );
  });

  it("checks an S3 action's aws.account.id, which its ARN lacks", () => {
    // Prepare
    const request = valid('make-cloud-resource-private', { 'aws.resource.arn': 'arn:aws:s3:::orders', 'aws.account.id': '999988887777', 'aws.region': 'eu-west-1' });

    // Assess
    expect(targetRefusal(inAccount, request, config)).toBe('account 999988887777 is not in TARGET_ACCOUNTS');
  });

  it('refuses a protected target on any IAM path and in any case, as every action does', () => {
    // Assess
    expect(targetRefusal(inAccount, valid('iam-quarantine', { 'aws.resource.arn': 'arn:aws:iam::111122223333:user/admins/Break-Glass' }), config)).toBe(
      'arn:aws:iam::111122223333:user/admins/Break-Glass is a protected target (PROTECTED_TARGETS, root or a member role)',
    );
  });

  it('refuses a cloud action for a finding about no account when its target names none either', () => {
    // Assess
    expect(targetRefusal(falco, valid('make-cloud-resource-private', { 'aws.resource.arn': 'arn:aws:s3:::orders', 'aws.account.id': '111122223333', 'aws.region': 'eu-west-1' }), { ...config, targetAccounts: { all: false, ids: new Set() } })).toBe(
      'account 111122223333 is not in TARGET_ACCOUNTS',
    );
  });

  it('refuses Kubernetes work for a finding from an account outside TARGET_ACCOUNTS (a cluster of that name may be elsewhere)', () => {
    // Prepare: a GuardDuty EKS finding from an account the service does not act in
    const outside = { ...inAccount, accountId: '999988887777' };
    const request = valid('delete-pod', { 'kubernetes.cluster.name': 'prod', 'kubernetes.namespace.name': 'payments', 'kubernetes.pod.name': 'api-0' });

    // Assess
    expect(targetRefusal(outside, request, config)).toBe('account 999988887777 is not in TARGET_ACCOUNTS');
  });

  it('leaves host and Kubernetes work to their responders: no account to check', () => {
    // Assess
    expect(targetRefusal(falco, valid('pause-container', { 'host.id': 'node-7', 'container.id': '3ad7b26ded6d' }), config)).toBeNull();
  });
});

describe('which errors refuse one action and which are outages', () => {
  it.each<[string, unknown, string | null]>([
    ['a guard of the action', new ProtectedTargetError('arn:aws:iam::111122223333:root is protected'), 'ProtectedTarget: arn:aws:iam::111122223333:root is protected'],
    ['invalid inputs', new InvalidInputError([{ path: 'inputs.aws.resource.arn', message: 'is required' }]), 'InvalidInputError: inputs.aws.resource.arn: is required'],
    ['a conflict', new ConflictError('already running'), 'ConflictError: already running'],
    ['throttling', new ThrottlingError('slow down'), null],
    ['an AWS failure', new AwsRequestFailedError('500'), null],
    ['anything else', new Error('socket hang up'), null],
  ])('%s', (_name, error, expected) => {
    // Assess
    expect(refusalOf(error)).toBe(expected);
  });
});
