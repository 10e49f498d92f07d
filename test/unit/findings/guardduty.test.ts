import { describe, expect, it } from 'vitest';
import { normaliseEvent } from '#shared/findings/index.ts';
import type { NormalisedFinding } from '#shared/findings/index.ts';
import { arnResource, bucketResource, finding, fixture } from './fixtures.ts';

/* GuardDuty finding events written from AWS's documented formats (test/fixtures/findings/SOURCES.md). */

function only(path: string): NormalisedFinding {
  const event = normaliseEvent(fixture(`written/${path}`));
  expect(event.source).toBe('guardduty');
  expect(event.detailType).toBe('GuardDuty Finding');
  expect(event.findings).toHaveLength(1);
  return event.findings[0] as NormalisedFinding;
}

const account = '111122223333';
const guardDuty = { source: 'guardduty', accountId: account, region: 'eu-west-1', partition: 'aws', productName: 'GuardDuty' } as const;

describe('GuardDuty findings', () => {
  it('IAM user / access key (CredentialAccess:IAMUser/*): the user ARN; severity 8 is HIGH', () => {
    expect(only('guardduty-credential-access-iam-user.json')).toEqual(
      finding({
        ...guardDuty,
        findingId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
        findingType: 'CredentialAccess:IAMUser/AnomalousBehavior',
        types: ['CredentialAccess:IAMUser/AnomalousBehavior'],
        severity: 'HIGH',
        sourceSeverity: '8',
        resourceRole: 'TARGET',
        updateCount: 1,
        updatedAt: '2026-11-20T10:00:01.000Z',
        resources: [arnResource('arn:aws:iam::111122223333:user/deploy-bot', 'aws.iam.user')],
      }),
    );
  });

  it('Stealth:IAMUser/* by a role session: the role ARN, in the finding account (not the envelope account); severity 2 is LOW', () => {
    expect(only('guardduty-stealth-role-session.json')).toEqual(
      finding({
        ...guardDuty,
        accountId: '444455556666',
        findingId: 'b2c3d4e5f60718293a4b5c6d7e8f90a1',
        findingType: 'Stealth:IAMUser/CloudTrailLoggingDisabled',
        types: ['Stealth:IAMUser/CloudTrailLoggingDisabled'],
        severity: 'LOW',
        sourceSeverity: '2',
        updateCount: 2,
        updatedAt: '2026-11-20T10:00:50.000Z',
        resources: [arnResource('arn:aws:iam::444455556666:role/ci-deployer', 'aws.iam.role')],
      }),
    );
  });

  it('Backdoor:EC2/*: the instance ARN built from region, account and instance id', () => {
    expect(only('guardduty-backdoor-ec2.json')).toEqual(
      finding({
        ...guardDuty,
        findingId: 'c3d4e5f60718293a4b5c6d7e8f90a1b2',
        findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
        types: ['Backdoor:EC2/C&CActivity.B!DNS'],
        severity: 'HIGH',
        sourceSeverity: '8',
        updateCount: 1,
        updatedAt: '2026-11-20T10:01:40.000Z',
        resources: [arnResource('arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890', 'aws.ec2.instance')],
      }),
    );
  });

  it('CryptoCurrency:EC2/* in GovCloud: the ARN is in partition aws-us-gov', () => {
    expect(only('guardduty-cryptocurrency-ec2-govcloud.json')).toEqual(
      finding({
        ...guardDuty,
        region: 'us-gov-west-1',
        partition: 'aws-us-gov',
        findingId: 'd4e5f60718293a4b5c6d7e8f90a1b2c3',
        findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
        types: ['CryptoCurrency:EC2/BitcoinTool.B!DNS'],
        severity: 'HIGH',
        sourceSeverity: '8',
        updateCount: 1,
        updatedAt: '2026-11-20T10:02:40.000Z',
        resources: [arnResource('arn:aws-us-gov:ec2:us-gov-west-1:111122223333:instance/i-0fedcba9876543210', 'aws.ec2.instance')],
      }),
    );
  });

  it('Trojan:EC2/*, archived: suppressed, saying why, the resource still named', () => {
    expect(only('guardduty-trojan-ec2-archived.json')).toEqual(
      finding({
        ...guardDuty,
        findingId: 'e5f60718293a4b5c6d7e8f90a1b2c3d4',
        findingType: 'Trojan:EC2/DNSDataExfiltration',
        types: ['Trojan:EC2/DNSDataExfiltration'],
        severity: 'HIGH',
        sourceSeverity: '8',
        workflow: 'suppressed',
        workflowReason: 'archived in GuardDuty (service.archived is true)',
        updateCount: 3,
        updatedAt: '2026-11-20T10:03:50.000Z',
        resources: [arnResource('arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890', 'aws.ec2.instance')],
      }),
    );
  });

  it('UnauthorizedAccess:EC2/* re-delivered updated: the same finding id, a higher count and a later updatedAt', () => {
    // Act
    const first = only('guardduty-unauthorized-access-ec2.json');
    const updated = only('guardduty-unauthorized-access-ec2-updated.json');

    // Assess
    const common = {
      ...guardDuty,
      findingId: 'f60718293a4b5c6d7e8f90a1b2c3d4e5',
      findingType: 'UnauthorizedAccess:EC2/SSHBruteForce',
      types: ['UnauthorizedAccess:EC2/SSHBruteForce'],
      resourceRole: 'TARGET' as const,
      resources: [arnResource('arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0', 'aws.ec2.instance')],
    };
    expect(first).toEqual(finding({ ...common, severity: 'LOW', sourceSeverity: '2', updateCount: 1, updatedAt: '2026-11-20T10:04:40.000Z' }));
    expect(updated).toEqual(finding({ ...common, severity: 'MEDIUM', sourceSeverity: '5', updateCount: 7, updatedAt: '2026-11-20T10:34:20.000Z' }));
  });

  it('Policy:S3/*: the bucket with the account and region its ARN lacks, then the caller', () => {
    expect(only('guardduty-policy-s3.json')).toEqual(
      finding({
        ...guardDuty,
        findingId: '0718293a4b5c6d7e8f90a1b2c3d4e5f6',
        findingType: 'Policy:S3/BucketBlockPublicAccessDisabled',
        types: ['Policy:S3/BucketBlockPublicAccessDisabled'],
        severity: 'LOW',
        sourceSeverity: '2',
        updateCount: 1,
        updatedAt: '2026-11-20T10:05:50.000Z',
        resources: [bucketResource('orders-exports', account, 'eu-west-1'), arnResource('arn:aws:iam::111122223333:user/ops-admin', 'aws.iam.user')],
      }),
    );
  });

  it('Exfiltration:S3/*: each valid bucket, then the role session; a bucket name that breaks S3 naming is left out', () => {
    expect(only('guardduty-exfiltration-s3.json')).toEqual(
      finding({
        ...guardDuty,
        findingId: '18293a4b5c6d7e8f90a1b2c3d4e5f607',
        findingType: 'Exfiltration:S3/MaliciousIPCaller',
        types: ['Exfiltration:S3/MaliciousIPCaller'],
        severity: 'HIGH',
        sourceSeverity: '8',
        updateCount: 12,
        updatedAt: '2026-11-20T10:06:50.000Z',
        resources: [bucketResource('customer-records', account, 'eu-west-1'), arnResource('arn:aws:iam::111122223333:role/etl-runner', 'aws.iam.role')],
      }),
    );
  });

  it('Execution:Kubernetes/* on a pod: cluster, namespace and pod, keyed as a pod record is', () => {
    expect(only('guardduty-kubernetes-exec-pod.json')).toEqual(
      finding({
        ...guardDuty,
        findingId: '293a4b5c6d7e8f90a1b2c3d4e5f60718',
        findingType: 'Execution:Kubernetes/ExecInKubeSystemPod',
        types: ['Execution:Kubernetes/ExecInKubeSystemPod'],
        severity: 'MEDIUM',
        sourceSeverity: '5',
        updateCount: 1,
        updatedAt: '2026-11-20T10:07:50.000Z',
        resources: [
          {
            key: 'k8s/prod-eu/kube-system/pod/coredns-7f6b8c9d4-abcde',
            kind: 'k8s.pod',
            inputs: { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.namespace.name': 'kube-system', 'kubernetes.pod.name': 'coredns-7f6b8c9d4-abcde' },
          },
        ],
      }),
    );
  });

  it('*:Runtime/* in a deployment: the workload with its type, then the node instance', () => {
    expect(only('guardduty-runtime-eks-deployment.json')).toEqual(
      finding({
        ...guardDuty,
        findingId: '3a4b5c6d7e8f90a1b2c3d4e5f6071829',
        findingType: 'CryptoCurrency:Runtime/BitcoinTool.B',
        types: ['CryptoCurrency:Runtime/BitcoinTool.B'],
        severity: 'HIGH',
        sourceSeverity: '8',
        updateCount: 1,
        updatedAt: '2026-11-20T10:08:50.000Z',
        resources: [
          {
            key: 'k8s/prod-eu/shop/deployment/checkout',
            kind: 'k8s.deployment',
            inputs: {
              'kubernetes.cluster.name': 'prod-eu',
              'kubernetes.namespace.name': 'shop',
              'kubernetes.workload.name': 'checkout',
              'kubernetes.workload.type': 'deployment',
            },
          },
          arnResource('arn:aws:ec2:eu-west-1:111122223333:instance/i-0abcdef1234567890', 'aws.ec2.instance'),
        ],
      }),
    );
  });

  it('a Kubernetes finding on the cluster alone: no resource, and the reason says what is missing', () => {
    expect(only('guardduty-kubernetes-cluster-only.json')).toEqual(
      finding({
        ...guardDuty,
        findingId: '4b5c6d7e8f90a1b2c3d4e5f60718293a',
        findingType: 'Policy:Kubernetes/AnonymousAccessGranted',
        types: ['Policy:Kubernetes/AnonymousAccessGranted'],
        severity: 'HIGH',
        sourceSeverity: '8',
        updateCount: 1,
        updatedAt: '2026-11-20T10:09:50.000Z',
        unmappedReason: 'the finding names no Kubernetes workload (resource.kubernetesDetails.kubernetesWorkloadDetails name, type and namespace)',
      }),
    );
  });

  it('GetFindings PascalCase: the same normalised finding as camelCase; sample read from AdditionalInfo.Value', () => {
    expect(only('guardduty-getfindings-pascalcase.json')).toEqual(
      finding({
        ...guardDuty,
        findingId: '5c6d7e8f90a1b2c3d4e5f60718293a4b',
        findingType: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        types: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'],
        severity: 'HIGH',
        sourceSeverity: '8',
        sample: true,
        resourceRole: 'TARGET',
        updateCount: 3,
        updatedAt: '2026-11-20T09:10:05.000Z',
        resources: [arnResource('arn:aws:iam::111122223333:user/GeneratedFindingUserName', 'aws.iam.user')],
      }),
    );
  });

  it('fields AWS adds later are tolerated at every level and dropped: the normalised finding is unchanged', () => {
    // Prepare
    type Json = Record<string, unknown>;
    const body = fixture('written/guardduty-backdoor-ec2.json') as Json & { detail: Json & { resource: Json; service: Json } };
    const plain = normaliseEvent(structuredClone(body));
    body.detail.futureField = { nested: [1, 2, 3] };
    body.detail.resource.lambdaDetails = { functionName: 'f' };
    body.detail.service.detection = { sequence: { uid: 'x' } };
    body['replay-name'] = 'archive-replay';

    // Act
    const extended = normaliseEvent(body);

    // Assess
    expect(extended).toEqual(plain);
  });
});
