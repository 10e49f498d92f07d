/**
 * The finding fixtures (test/fixtures/findings, see its SOURCES.md) and literal builders for the
 * normalised output the tests expect. The builders only spell out shapes; every key and ARN in an
 * expectation is written out in the test itself.
 */
import { readFileSync } from 'node:fs';
import type { FindingResource, NormalisedFinding } from '#shared/findings/index.ts';

/** A fixture's parsed JSON: `real/<name>` or `written/<name>`. */
export function fixture(path: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/findings/${path}`, import.meta.url), 'utf8'));
}

/** An AWS resource named by its ARN alone (IAM user or role, EC2 instance). */
export function arnResource(arn: string, kind: string): FindingResource {
  return { key: arn, kind, inputs: { 'aws.resource.arn': arn } };
}

/** An S3 bucket: its ARN carries no account or region, so its inputs add them. */
export function bucketResource(name: string, accountId: string, region: string): FindingResource {
  const arn = `arn:aws:s3:::${name}`;
  return { key: arn, kind: 'aws.s3.bucket', inputs: { 'aws.resource.arn': arn, 'aws.account.id': accountId, 'aws.region': region } };
}

/** Fields every finding has, for the fields a test does not single out. */
export function finding(fields: Partial<NormalisedFinding> & Pick<NormalisedFinding, 'source' | 'findingId' | 'findingType' | 'types' | 'severity' | 'sourceSeverity'>): NormalisedFinding {
  const resources = fields.resources ?? [];
  return {
    accountId: null,
    region: null,
    partition: null,
    productName: null,
    workflow: 'active',
    workflowReason: null,
    sample: false,
    resourceRole: null,
    updateCount: null,
    updatedAt: null,
    resource: resources[0] ?? null,
    resources,
    unmappedReason: null,
    ...fields,
  };
}
