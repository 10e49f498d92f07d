import { describe, expect, it } from 'vitest';
import { InvalidFindingError, normaliseAsffFinding, normaliseEvent } from '#shared/findings/index.ts';
import { arnResource, bucketResource, finding, fixture } from './fixtures.ts';

/* Other projects' real test events (test/fixtures/findings/real, SOURCES.md), normalised exactly. */
describe('real finding events', () => {
  it('cloud-custodian GuardDuty Finding: an IAM user access key, a sample finding, the finding account over the envelope account', () => {
    // Act
    const event = normaliseEvent(fixture('real/c7n__cwe__iam-duty-event__guardduty-finding-accesskey.json'));

    // Assess
    expect(event).toEqual({
      eventId: '805320a1-2f09-4237-64fc-f3f136e41a69',
      source: 'guardduty',
      detailType: 'GuardDuty Finding',
      findings: [
        finding({
          source: 'guardduty',
          findingId: '36b01b60fc22bb4edb19d62d9899e953',
          findingType: 'UnauthorizedAccess:IAMUser/TorIPCaller',
          types: ['UnauthorizedAccess:IAMUser/TorIPCaller'],
          severity: 'MEDIUM',
          sourceSeverity: '5',
          accountId: '883606788610',
          region: 'us-east-1',
          partition: 'aws',
          productName: 'GuardDuty',
          sample: true,
          resourceRole: 'TARGET',
          updateCount: 1,
          updatedAt: '2017-12-08T15:32:49.862Z',
          resources: [arnResource('arn:aws:iam::883606788610:user/GeneratedFindingUserName', 'aws.iam.user')],
        }),
      ],
    });
  });

  it('cloud-custodian Security Hub custom action wrapping a GuardDuty ASFF finding: GuardDuty type restored, user from the access key', () => {
    // Act
    const event = normaliseEvent(fixture('real/c7n__cwe__event-securityhub-iamkey-finding-action__custom-action-guardduty-asff.json'));

    // Assess
    expect(event).toEqual({
      eventId: '25a1be76-1141-cb5d-be5c-bbaa5461e626',
      source: 'securityhub',
      detailType: 'Security Hub Findings - Custom Action',
      findings: [
        finding({
          source: 'securityhub',
          findingId: 'arn:aws:guardduty:us-east-1:644160558196:detector/06b01209ca77b0865dd973df0355fc1e/finding/4cb5a629e9757b650d102f683cdbcd7b',
          findingType: 'UnauthorizedAccess:IAMUser/ConsoleLogin',
          types: ['UnauthorizedAccess:IAMUser/ConsoleLogin', 'Unusual Behaviors/User/UnauthorizedAccess:IAMUser-ConsoleLogin'],
          severity: 'MEDIUM',
          sourceSeverity: 'Normalized 50',
          accountId: '644160558196',
          region: 'us-east-1',
          partition: 'aws',
          productName: 'GuardDuty',
          updateCount: 1,
          updatedAt: '2019-06-12T15:34:50.346Z',
          resources: [arnResource('arn:aws:iam::644160558196:user/kapil', 'aws.iam.user')],
        }),
      ],
    });
  });

  it('ASR Findings - Imported, control EC2.7 on the account: INFORMATIONAL is LOW, and an account names nothing to act on', () => {
    // Act
    const event = normaliseEvent(fixture('real/asr__layer-test__afsbp-ec2.7__securityhub-findings-imported-event.json'));

    // Assess
    expect(event).toEqual({
      eventId: '1622bd23-7237-fdec-8fb0-a019cccfd3cb',
      source: 'securityhub',
      detailType: 'Security Hub Findings - Imported',
      findings: [
        finding({
          source: 'securityhub',
          findingId:
            'arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.7/finding/0003b335-cf3f-4f93-a025-6b1a7baced06',
          findingType: 'EC2.7',
          types: ['EC2.7', 'Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices'],
          severity: 'LOW',
          sourceSeverity: 'INFORMATIONAL',
          accountId: '111111111111',
          region: 'us-east-1',
          partition: 'aws',
          productName: 'Security Hub',
          updatedAt: '2021-02-17T14:56:09.063Z',
          unmappedReason: 'Security Hub resource type AwsAccount names nothing an action takes',
        }),
      ],
    });
  });

  it('ASR custom action that does not fit its finding: the finding still normalises, control CloudTrail.1, nothing to act on', () => {
    // Act
    const event = normaliseEvent(fixture('real/asr__layer-test__custom-action-mismatch__securityhub-custom-action-event.json'));

    // Assess
    expect(event).toEqual({
      eventId: '777d101a-d657-ea0b-8a51-09579b2c4fd9',
      source: 'securityhub',
      detailType: 'Security Hub Findings - Custom Action',
      findings: [
        finding({
          source: 'securityhub',
          findingId:
            'arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0/CloudTrail.1/finding/6251738d-4a6e-477a-b6e3-247c3e422e8b',
          findingType: 'CloudTrail.1',
          types: ['CloudTrail.1', 'Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices'],
          severity: 'HIGH',
          sourceSeverity: 'HIGH',
          accountId: '111111111111',
          region: 'us-east-1',
          partition: 'aws',
          productName: 'Security Hub',
          updatedAt: '2020-05-26T03:52:22.870Z',
          unmappedReason: 'Security Hub resource type AwsAccount names nothing an action takes',
        }),
      ],
    });
  });

  it('ASR bare ASFF finding S3.2: refused as a body (no envelope), and as a finding it is a resolved bucket finding', () => {
    // Prepare
    const bare = fixture('real/asr__simdata__afsbp-s3.2__asff-finding.json');

    // Act
    const refusal = (() => {
      try {
        normaliseEvent(bare);
        return null;
      } catch (error) {
        return error;
      }
    })();
    const normalised = normaliseAsffFinding(bare, []);

    // Assess
    expect(refusal).toBeInstanceOf(InvalidFindingError);
    expect((refusal as InvalidFindingError).errors).toEqual([
      {
        path: '(body)',
        message:
          'must be one EventBridge event (version, id, detail-type, source, account, time, region, resources, detail) or one Falco alert (rule, priority, time, output, output_fields)',
      },
    ]);
    expect(normalised).toEqual(
      finding({
        source: 'securityhub',
        findingId:
          'arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.2/finding/ef33c951-94b7-4d92-acd2-99c2a3e3a78a',
        findingType: 'S3.2',
        types: ['S3.2', 'Effects/Data Exposure/AWS-Foundational-Security-Best-Practices'],
        severity: 'LOW',
        sourceSeverity: 'INFORMATIONAL',
        accountId: '111111111111',
        region: 'us-east-1',
        partition: 'aws',
        productName: 'Security Hub',
        workflow: 'suppressed',
        workflowReason: 'Workflow.Status is RESOLVED',
        updatedAt: '2021-07-22T15:22:40.888Z',
        resources: [bucketResource('so0111-aws-cloudtrail-111111111111', '111111111111', 'us-east-1')],
      }),
    );
  });
});
