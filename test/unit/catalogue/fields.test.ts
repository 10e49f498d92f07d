import { describe, expect, it } from 'vitest';
import { isCidr, isRfc3339 } from '#shared/catalogue/fields.ts';
import { isS3BucketName } from '#shared/catalogue/arn.ts';

describe('isRfc3339', () => {
  it.each([
    '2026-11-20T10:00:00Z',
    '2026-11-20T10:00:00.1Z',
    '2026-11-20T10:00:00.123456789Z',
    '2026-11-20T11:00:00+01:00',
    '2026-11-20T04:30:00-05:30',
    '2024-02-29T00:00:00Z',
    '2000-02-29T23:59:59+14:00',
  ])('accepts %s', (value) => {
    // Prepare
    // Act
    const accepted = isRfc3339(value);

    // Assess
    expect(accepted).toBe(true);
  });

  it.each([
    ['no zone', '2026-11-20T10:00:00'],
    ['a space for T', '2026-11-20 10:00:00Z'],
    ['lower-case z', '2026-11-20T10:00:00z'],
    ['no seconds', '2026-11-20T10:00Z'],
    ['a date only', '2026-11-20'],
    ['a basic-format offset', '2026-11-20T10:00:00+0100'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['30 February', '2026-02-30T00:00:00Z'],
    ['29 February of a common year', '2026-02-29T00:00:00Z'],
    ['29 February 1900', '1900-02-29T00:00:00Z'],
    ['31 April', '2026-04-31T00:00:00Z'],
    ['hour 24', '2026-11-20T24:00:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['offset hour 24', '2026-11-20T10:00:00+24:00'],
    ['ten fraction digits', '2026-11-20T10:00:00.1234567890Z'],
    ['epoch milliseconds', '1795000000000'],
  ])('refuses %s', (_name, value) => {
    // Prepare
    // Act
    const accepted = isRfc3339(value);

    // Assess
    expect(accepted).toBe(false);
  });
});

describe('isCidr', () => {
  it.each(['10.0.0.0/8', '0.0.0.0/0', '192.168.1.7/32', '10.1.2.3/8', '2001:db8::/32', '::/0', '::1/128', '::ffff:10.0.0.0/104', 'fe80::/10'])(
    'accepts %s',
    (value) => {
      // Prepare
      // Act
      const accepted = isCidr(value);

      // Assess
      expect(accepted).toBe(true);
    },
  );

  it.each([
    '10.0.0.0/33',
    '300.1.1.1/8',
    '10.0.0/8',
    '010.0.0.0/8',
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/08',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    ' 10.0.0.0/8',
    '2001:db8::/129',
    'fe80::1%eth0/64',
    '2001:db8:::/32',
    'localhost/8',
  ])('refuses %s', (value) => {
    // Prepare
    // Act
    const accepted = isCidr(value);

    // Assess
    expect(accepted).toBe(false);
  });
});

describe('isS3BucketName', () => {
  it.each(['abc', 'evidence-2026', 'case-4711.evidence', 'a'.repeat(63), '1bucket1'])('accepts %s', (name) => {
    // Prepare
    // Act
    const accepted = isS3BucketName(name);

    // Assess
    expect(accepted).toBe(true);
  });

  it.each([
    'ab',
    'a'.repeat(64),
    'My-Bucket',
    'my_bucket',
    '-bucket',
    'bucket-',
    'my..bucket',
    '192.168.1.10',
    'xn--bucket',
    'sthree-bucket',
    'amzn-s3-demo-bucket',
    'bucket-s3alias',
    'bucket--ol-s3',
    'bucket.mrap',
    'bucket--x-s3',
    'bucket--table-s3',
  ])('refuses %s', (name) => {
    // Prepare
    // Act
    const accepted = isS3BucketName(name);

    // Assess
    expect(accepted).toBe(false);
  });
});
