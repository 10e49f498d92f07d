import { describe, expect, it } from 'vitest';
import { parseArn } from '#shared/catalogue/index.ts';

describe('parseArn', () => {
  it.each([
    [
      'arn:aws:iam::123456789012:user/ops/alice',
      { partition: 'aws', service: 'iam', region: '', accountId: '123456789012', resource: 'user/ops/alice', resourceType: 'user', resourceName: 'ops/alice' },
    ],
    [
      'arn:aws:iam::123456789012:role/ci',
      { partition: 'aws', service: 'iam', region: '', accountId: '123456789012', resource: 'role/ci', resourceType: 'role', resourceName: 'ci' },
    ],
    [
      'arn:aws:s3:::evidence-2026',
      { partition: 'aws', service: 's3', region: '', accountId: '', resource: 'evidence-2026', resourceType: null, resourceName: 'evidence-2026' },
    ],
    [
      'arn:aws:s3:::evidence-2026/cases/4711.tar',
      { partition: 'aws', service: 's3', region: '', accountId: '', resource: 'evidence-2026/cases/4711.tar', resourceType: null, resourceName: 'evidence-2026/cases/4711.tar' },
    ],
    [
      'arn:aws:rds:eu-west-1:123456789012:db:orders-prod',
      { partition: 'aws', service: 'rds', region: 'eu-west-1', accountId: '123456789012', resource: 'db:orders-prod', resourceType: 'db', resourceName: 'orders-prod' },
    ],
    [
      'arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0123456789abcdef0',
      {
        partition: 'aws-cn',
        service: 'ec2',
        region: 'cn-north-1',
        accountId: '123456789012',
        resource: 'instance/i-0123456789abcdef0',
        resourceType: 'instance',
        resourceName: 'i-0123456789abcdef0',
      },
    ],
    [
      'arn:aws-us-gov:sts::123456789012:assumed-role/responder/session-1',
      {
        partition: 'aws-us-gov',
        service: 'sts',
        region: '',
        accountId: '123456789012',
        resource: 'assumed-role/responder/session-1',
        resourceType: 'assumed-role',
        resourceName: 'responder/session-1',
      },
    ],
    [
      'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*',
      {
        partition: 'aws',
        service: 'logs',
        region: 'us-east-1',
        accountId: '123456789012',
        resource: 'log-group:/aws/lambda/x:*',
        resourceType: 'log-group',
        resourceName: '/aws/lambda/x:*',
      },
    ],
    [
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      { partition: 'aws', service: 'iam', region: '', accountId: 'aws', resource: 'policy/ReadOnlyAccess', resourceType: 'policy', resourceName: 'ReadOnlyAccess' },
    ],
    [
      'arn:aws:sns:us-gov-west-1:123456789012:alerts',
      { partition: 'aws', service: 'sns', region: 'us-gov-west-1', accountId: '123456789012', resource: 'alerts', resourceType: null, resourceName: 'alerts' },
    ],
  ])('takes %s apart', (arn, expected) => {
    // Prepare
    // Act
    const parsed = parseArn(arn);

    // Assess
    expect(parsed).toEqual(expected);
  });

  it.each([
    ['not an ARN', 'alice'],
    ['too few parts', 'arn:aws:iam::123456789012'],
    ['an empty resource', 'arn:aws:iam::123456789012:'],
    ['an unsupported partition', 'arn:aws-iso:iam::123456789012:user/alice'],
    ['an upper-case prefix', 'ARN:aws:iam::123456789012:user/alice'],
    ['an empty service', 'arn:aws::eu-west-1:123456789012:thing'],
    ['a malformed region', 'arn:aws:ec2:euwest1:123456789012:instance/i-01234567'],
    ['an 11-digit account', 'arn:aws:ec2:eu-west-1:12345678901:instance/i-01234567'],
    ['a space in the resource', 'arn:aws:iam::123456789012:user/al ice'],
    ['the empty string', ''],
  ])('answers null for %s', (_name, arn) => {
    // Prepare
    // Act
    const parsed = parseArn(arn);

    // Assess
    expect(parsed).toBeNull();
  });
});
