import { describe, expect, it } from 'vitest';
import { normaliseEvent } from '#shared/findings/index.ts';
import { arnResource, bucketResource, finding, fixture } from './fixtures.ts';

/* Security Hub events (ASFF and OCSF) written from AWS's documented formats (test/fixtures/findings/SOURCES.md). */

const account = '111122223333';
const securityHub = { source: 'securityhub', accountId: account, region: 'eu-west-1', partition: 'aws' } as const;

describe('Security Hub ASFF findings', () => {
  it('Findings - Imported from GuardDuty: the GuardDuty type restored from the ASFF type, count from ProductFields, Label over Normalized', () => {
    expect(normaliseEvent(fixture('written/securityhub-imported-guardduty-ec2.json'))).toEqual({
      eventId: '7a2e3b51-4d2f-4c6b-8e8f-1b2c3d4e5f01',
      source: 'securityhub',
      detailType: 'Security Hub Findings - Imported',
      findings: [
        finding({
          ...securityHub,
          findingId: 'arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/c3d4e5f60718293a4b5c6d7e8f90a1b2',
          findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
          types: ['Backdoor:EC2/C&CActivity.B!DNS', 'TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS'],
          severity: 'HIGH',
          sourceSeverity: 'HIGH',
          productName: 'GuardDuty',
          updateCount: 4,
          updatedAt: '2026-11-20T10:11:40.000Z',
          resources: [arnResource('arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890', 'aws.ec2.instance')],
        }),
      ],
    });
  });

  it('a custom action with several findings: one normalised finding each, in order; suppressed and archived ones say so', () => {
    // Act
    const event = normaliseEvent(fixture('written/securityhub-custom-action-several-findings.json'));

    // Assess
    expect(event.eventId).toBe('7a2e3b51-4d2f-4c6b-8e8f-1b2c3d4e5f02');
    expect(event.detailType).toBe('Security Hub Findings - Custom Action');
    expect(event.findings).toEqual([
      finding({
        ...securityHub,
        findingId: 'arn:aws:securityhub:eu-west-1:111122223333:security-control/S3.2/finding/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
        findingType: 'S3.2',
        types: ['S3.2', 'Effects/Data Exposure/AWS-Foundational-Security-Best-Practices'],
        severity: 'CRITICAL',
        sourceSeverity: 'CRITICAL',
        productName: 'Security Hub',
        updatedAt: '2026-11-20T09:40:00.000Z',
        resources: [bucketResource('orders-exports', account, 'eu-west-1')],
      }),
      finding({
        ...securityHub,
        findingId: 'arn:aws:securityhub:eu-west-1:111122223333:security-control/IAM.3/finding/1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e',
        findingType: 'IAM.3',
        types: ['IAM.3', 'Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices'],
        severity: 'MEDIUM',
        sourceSeverity: 'MEDIUM',
        updatedAt: '2026-11-20T09:41:00.000Z',
        resources: [arnResource('arn:aws:iam::111122223333:user/legacy-batch', 'aws.iam.user')],
      }),
      finding({
        ...securityHub,
        findingId: 'arn:aws:securityhub:eu-west-1:111122223333:security-control/EC2.8/finding/2c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f',
        findingType: 'EC2.8',
        types: ['EC2.8', 'Software and Configuration Checks/AWS Security Best Practices'],
        severity: 'HIGH',
        sourceSeverity: 'HIGH',
        workflow: 'suppressed',
        workflowReason: 'Workflow.Status is SUPPRESSED',
        updatedAt: '2026-11-20T09:42:00.000Z',
        resources: [arnResource('arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0', 'aws.ec2.instance')],
      }),
      finding({
        ...securityHub,
        findingId: 'arn:aws:securityhub:eu-west-1:111122223333:security-control/EC2.8/finding/3d4e5f6a-7b8c-4d9e-9f0a-2b3c4d5e6f7a',
        findingType: 'EC2.8',
        types: ['EC2.8', 'Software and Configuration Checks/AWS Security Best Practices'],
        severity: 'HIGH',
        sourceSeverity: 'HIGH',
        workflow: 'suppressed',
        workflowReason: 'archived in Security Hub (RecordState is ARCHIVED)',
        updatedAt: '2026-11-20T09:43:00.000Z',
        resources: [arnResource('arn:aws:ec2:eu-west-1:111122223333:instance/i-0fedcba9876543210', 'aws.ec2.instance')],
      }),
    ]);
  });
});

describe('Security Hub OCSF findings (Findings Imported V2)', () => {
  it('a Detection Finding (2004): finding_info.types, severity_id 4 is HIGH, the resource from resources[].uid, count', () => {
    expect(normaliseEvent(fixture('written/securityhub-v2-ocsf-detection-ec2.json'))).toEqual({
      eventId: '7a2e3b51-4d2f-4c6b-8e8f-1b2c3d4e5f03',
      source: 'securityhub',
      detailType: 'Findings Imported V2',
      findings: [
        finding({
          ...securityHub,
          findingId: 'arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/6d7e8f90a1b2c3d4e5f60718293a4b5c',
          findingType: 'UnauthorizedAccess:EC2/TorClient',
          types: ['UnauthorizedAccess:EC2/TorClient'],
          severity: 'HIGH',
          sourceSeverity: 'severity_id 4 (High)',
          productName: 'GuardDuty',
          updateCount: 2,
          updatedAt: '2026-11-20T10:13:00.000Z',
          resources: [arnResource('arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890', 'aws.ec2.instance')],
        }),
      ],
    });
  });

  it('status_id 4 (Resolved) is suppressed; severity_id 5 is CRITICAL', () => {
    expect(normaliseEvent(fixture('written/securityhub-v2-ocsf-resolved-bucket.json')).findings).toEqual([
      finding({
        ...securityHub,
        findingId: 'arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/18293a4b5c6d7e8f90a1b2c3d4e5f607',
        findingType: 'Exfiltration:S3/MaliciousIPCaller',
        types: ['Exfiltration:S3/MaliciousIPCaller'],
        severity: 'CRITICAL',
        sourceSeverity: 'severity_id 5 (Critical)',
        productName: 'GuardDuty',
        workflow: 'suppressed',
        workflowReason: 'status_id is 4 (Resolved)',
        updatedAt: '2026-11-20T10:14:30.000Z',
        resources: [bucketResource('customer-records', account, 'eu-west-1')],
      }),
    ]);
  });

  it('a Compliance Finding (2003): the control id is the finding type; severity_id 99 takes its caption', () => {
    expect(normaliseEvent(fixture('written/securityhub-v2-ocsf-compliance-control.json')).findings).toEqual([
      finding({
        ...securityHub,
        findingId: 'arn:aws:securityhub:eu-west-1:111122223333:security-control/S3.2/finding/4e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7a8b',
        findingType: 'S3.2',
        types: ['S3.2', 'Posture Management'],
        severity: 'MEDIUM',
        sourceSeverity: 'severity_id 99 (Medium)',
        productName: 'Security Hub',
        updatedAt: '2026-11-20T10:15:30.000Z',
        resources: [bucketResource('orders-exports', account, 'eu-west-1')],
      }),
    ]);
  });
});

describe('Security Hub workflow and sample flags', () => {
  type Json = Record<string, unknown>;
  const asff = (change: (finding: Json) => void) => {
    const body = fixture('written/securityhub-imported-guardduty-ec2.json') as { detail: { findings: Json[] } };
    change(body.detail.findings[0] as Json);
    return normaliseEvent(body).findings[0];
  };
  const ocsfFinding = (change: (finding: Json) => void) => {
    const body = fixture('written/securityhub-v2-ocsf-detection-ec2.json') as { detail: { findings: Json[] } };
    change(body.detail.findings[0] as Json);
    return normaliseEvent(body).findings[0];
  };

  it.each<[string, (finding: Json) => void, string]>([
    ['Workflow.Status RESOLVED', (finding) => (finding.Workflow = { Status: 'RESOLVED' }), 'Workflow.Status is RESOLVED'],
    ['the deprecated WorkflowState DEFERRED, without Workflow', (finding) => { delete finding.Workflow; finding.WorkflowState = 'DEFERRED'; }, 'WorkflowState is DEFERRED'],
    ['a control that passed', (finding) => (finding.Compliance = { Status: 'PASSED' }), 'the control passed (Compliance.Status is PASSED)'],
  ])('ASFF: %s is suppressed', (_name, change, reason) => {
    expect(asff(change)).toMatchObject({ workflow: 'suppressed', workflowReason: reason });
  });

  it('ASFF: Workflow.Status NEW wins over the deprecated WorkflowState RESOLVED (Security Hub reads Workflow first)', () => {
    expect(asff((finding) => (finding.WorkflowState = 'RESOLVED'))).toMatchObject({ workflow: 'active', workflowReason: null });
  });

  it.each<[string, Json, boolean]>([
    ['additionalInfo/sample "true"', { 'additionalInfo/sample': 'true' }, true],
    ['additionalInfo JSON with sample true', { additionalInfo: '{"sample":true,"unusual":{}}' }, true],
    ['additionalInfo JSON with sample false', { additionalInfo: '{"sample":false}' }, false],
    ['additionalInfo free text', { additionalInfo: 'not JSON at all' }, false],
  ])('ASFF from GuardDuty: %s', (_name, fields, sample) => {
    expect(asff((finding) => (finding.ProductFields = { ...(finding.ProductFields as Json), ...fields }))?.sample).toBe(sample);
  });

  it.each<[string, (finding: Json) => void, string]>([
    ['status_id 3 (Suppressed)', (finding) => (finding.status_id = 3), 'status_id is 3 (Suppressed)'],
    ['status_id 5 (Archived)', (finding) => (finding.status_id = 5), 'status_id is 5 (Archived)'],
    ['status_id 99 with the caption Resolved', (finding) => { finding.status_id = 99; finding.status = 'Resolved'; }, 'status is Resolved'],
    ['compliance.status_id 1 (Pass)', (finding) => (finding.compliance = { control: 'EC2.8', status_id: 1 }), 'the control passed (compliance.status_id is 1)'],
  ])('OCSF: %s is suppressed', (_name, change, reason) => {
    expect(ocsfFinding(change)).toMatchObject({ workflow: 'suppressed', workflowReason: reason });
  });

  it.each<[string, (finding: Json) => void]>([
    ['a custom product naming itself GuardDuty in ProductFields', (finding) => (finding.ProductArn = 'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default')],
    ['an account-scoped ARN ending like GuardDuty\'s', (finding) => (finding.ProductArn = 'arn:aws:securityhub:eu-west-1:111122223333:product/x/product/aws/guardduty')],
  ])('ASFF: %s is not GuardDuty: no GuardDuty type restored, no update count', (_name, change) => {
    expect(asff(change)).toMatchObject({
      findingType: 'TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS',
      types: ['TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS'],
      updateCount: null,
    });
  });

  it('ASFF: a custom product writing a control id (GeneratorId, ProductFields, Compliance) is no Security Hub control finding', () => {
    const forged = asff((finding) => {
      finding.ProductArn = 'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default';
      finding.GeneratorId = 'aws-foundational-security-best-practices/v/1.0.0/S3.2';
      finding.ProductFields = { ControlId: 'S3.2' };
      finding.Compliance = { Status: 'FAILED', SecurityControlId: 'S3.2' };
    });
    expect(forged?.types).not.toContain('S3.2');
    expect(forged?.findingType).not.toBe('S3.2');
  });

  // A member account imports findings about itself (Security Hub checks AwsAccountId) but writes Resources[].Id freely.
  it('ASFF: a resource ARN in another account than the finding\'s names nothing (unmapped, saying which account)', () => {
    const forged = asff((finding) => {
      finding.Resources = [{ Type: 'AwsIamRole', Id: 'arn:aws:iam::444455556666:role/Deployer', Region: 'eu-west-1', Partition: 'aws' }];
    });
    expect(forged).toMatchObject({
      resource: null,
      resources: [],
      unmappedReason: 'aws.resource.arn "arn:aws:iam::444455556666:role/Deployer" is in account 444455556666, not the finding\'s account "111122223333"',
    });
  });

  it('OCSF: a resource ARN in another account, or owned by another account, names nothing', () => {
    const elsewhere = ocsfFinding((finding) => {
      finding.resources = [{ uid: 'arn:aws:iam::444455556666:user/ops', type: 'AWS::IAM::User' }];
    });
    expect(elsewhere).toMatchObject({ resource: null, unmappedReason: expect.stringContaining('is in account 444455556666') as unknown });
    const ownedElsewhere = ocsfFinding((finding) => {
      finding.resources = [{ uid: 'arn:aws:s3:::orders-exports', type: 'AWS::S3::Bucket', owner: { account: { uid: '444455556666' } } }];
    });
    expect(ownedElsewhere).toMatchObject({
      resource: null,
      unmappedReason: 'the resource "arn:aws:s3:::orders-exports" is owned by account 444455556666, not the finding\'s account 111122223333',
    });
  });

  it('OCSF: a finding with no resources is unmapped, saying so', () => {
    expect(ocsfFinding((finding) => delete finding.resources)).toMatchObject({ resource: null, unmappedReason: 'the finding lists no resources' });
  });
});
