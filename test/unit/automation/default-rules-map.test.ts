/**
 * The shipped default rules against every finding fixture (test/fixtures/findings, see its
 * SOURCES.md; real/ is byte for byte ../shared/fixtures/findings): which rules match each finding
 * and exactly what their action gets, so every GuardDuty family of issue 12 maps to its action.
 */
import { describe, expect, it } from 'vitest';
import { inputsForAction } from '#shared/automation/finding-inputs.ts';
import { loadRuleSet } from '#shared/automation/load-rules.ts';
import { compileRuleMatch } from '#shared/automation/match.ts';
import { normaliseEvent } from '#shared/findings/index.ts';
import type { NormalisedFinding } from '#shared/findings/index.ts';
import { fixture } from '../findings/fixtures.ts';

const rules = loadRuleSet({}).rules;
const now = new Date('2026-12-05T12:00:00Z');

/** Per matching default rule: its id, the action, and the inputs (or `unmapped: <reason>`). */
function decide(finding: NormalisedFinding): [string, string, unknown][] {
  return rules
    .filter((rule) => compileRuleMatch(rule.match)(finding))
    .map((rule) => {
      if (!('action' in rule.run)) throw new Error('default rules run actions');
      const mapped = inputsForAction(rule.run, finding, now);
      return [rule.id, rule.run.action, mapped.ok ? mapped.request.inputs : `unmapped: ${mapped.reason}`];
    });
}

function only(path: string): NormalisedFinding {
  const [finding, ...others] = normaliseEvent(fixture(path)).findings;
  if (finding === undefined || others.length > 0) throw new Error(`${path} holds one finding`);
  return finding;
}

const instance = (arn: string) => ({ 'aws.resource.arn': arn });
const bucket = (name: string) => ({ 'aws.resource.arn': `arn:aws:s3:::${name}`, 'aws.account.id': '111122223333', 'aws.region': 'eu-west-1' });

describe('the default rules on every GuardDuty family', () => {
  it.each<[string, string, [string, string, unknown][]]>([
    ['UnauthorizedAccess:IAMUser/* (real, Cloud Custodian)', 'real/c7n__cwe__iam-duty-event__guardduty-finding-accesskey.json', [
      ['guardduty-iam-quarantine', 'iam-quarantine', { 'aws.resource.arn': 'arn:aws:iam::883606788610:user/GeneratedFindingUserName' }],
    ]],
    ['UnauthorizedAccess:IAMUser/* (GetFindings, PascalCase)', 'written/guardduty-getfindings-pascalcase.json', [
      ['guardduty-iam-quarantine', 'iam-quarantine', { 'aws.resource.arn': 'arn:aws:iam::111122223333:user/GeneratedFindingUserName' }],
    ]],
    ['CredentialAccess:*', 'written/guardduty-credential-access-iam-user.json', [
      ['guardduty-iam-quarantine', 'iam-quarantine', { 'aws.resource.arn': 'arn:aws:iam::111122223333:user/deploy-bot' }],
    ]],
    ['Stealth:IAMUser/* by a role session', 'written/guardduty-stealth-role-session.json', [
      ['guardduty-iam-quarantine', 'iam-quarantine', { 'aws.resource.arn': 'arn:aws:iam::444455556666:role/ci-deployer' }],
    ]],
    ['Backdoor:EC2/*', 'written/guardduty-backdoor-ec2.json', [
      ['guardduty-isolate-ec2-instance', 'isolate-ec2-instance', instance('arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890')],
    ]],
    ['CryptoCurrency:EC2/* in GovCloud', 'written/guardduty-cryptocurrency-ec2-govcloud.json', [
      ['guardduty-isolate-ec2-instance', 'isolate-ec2-instance', instance('arn:aws-us-gov:ec2:us-gov-west-1:111122223333:instance/i-0fedcba9876543210')],
    ]],
    ['Trojan:EC2/* (archived: the service decides it suppressed)', 'written/guardduty-trojan-ec2-archived.json', [
      ['guardduty-isolate-ec2-instance', 'isolate-ec2-instance', instance('arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890')],
    ]],
    // The instance is only the TARGET of SSH brute force from the internet: no default rule isolates a victim.
    ['UnauthorizedAccess:EC2/* against the instance (resourceRole TARGET)', 'written/guardduty-unauthorized-access-ec2.json', []],
    ['Policy:S3/* (the bucket, not the caller)', 'written/guardduty-policy-s3.json', [
      ['guardduty-s3-make-private', 'make-cloud-resource-private', bucket('orders-exports')],
    ]],
    ['Exfiltration:S3/*', 'written/guardduty-exfiltration-s3.json', [
      ['guardduty-s3-make-private', 'make-cloud-resource-private', bucket('customer-records')],
    ]],
    ['*:Kubernetes/* on a pod', 'written/guardduty-kubernetes-exec-pod.json', [
      ['guardduty-kubernetes-isolate-workload', 'isolate-network',
        'unmapped: isolate-network cannot act on what the finding names: k8s.pod "k8s/prod-eu/kube-system/pod/coredns-7f6b8c9d4-abcde" lacks kubernetes.workload.name, kubernetes.workload.type (the rule may supply them in run.inputs)'],
      ['guardduty-kubernetes-capture-pod', 'capture-pod-state', { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.namespace.name': 'kube-system', 'kubernetes.pod.name': 'coredns-7f6b8c9d4-abcde' }],
    ]],
    ['*:Runtime/* in a deployment (the workload, not its node)', 'written/guardduty-runtime-eks-deployment.json', [
      ['guardduty-kubernetes-isolate-workload', 'isolate-network', {
        'kubernetes.cluster.name': 'prod-eu', 'kubernetes.namespace.name': 'shop', 'kubernetes.workload.name': 'checkout', 'kubernetes.workload.type': 'deployment',
      }],
      ['guardduty-kubernetes-capture-pod', 'capture-pod-state', expect.stringMatching(/^unmapped: capture-pod-state cannot act on what the finding names: k8s\.deployment "k8s\/prod-eu\/shop\/deployment\/checkout" lacks kubernetes\.pod\.name/)],
    ]],
    ['*:Kubernetes/* naming only a cluster', 'written/guardduty-kubernetes-cluster-only.json', [
      ['guardduty-kubernetes-isolate-workload', 'isolate-network',
        'unmapped: isolate-network has nothing to act on: the finding names no Kubernetes workload (resource.kubernetesDetails.kubernetesWorkloadDetails name, type and namespace)'],
      ['guardduty-kubernetes-capture-pod', 'capture-pod-state',
        'unmapped: capture-pod-state has nothing to act on: the finding names no Kubernetes workload (resource.kubernetesDetails.kubernetesWorkloadDetails name, type and namespace)'],
    ]],
  ])('%s', (_family, path, expected) => {
    // Act
    const decided = decide(only(path));

    // Assess
    expect(decided).toEqual(expected);
  });
});

describe('the default rules on Security Hub and Falco findings', () => {
  it('makes the S3.2 bucket private and leaves the other controls of a custom action alone', () => {
    // Act
    const decided = normaliseEvent(fixture('written/securityhub-custom-action-several-findings.json')).findings.map((finding) => [finding.findingType, decide(finding)]);

    // Assess
    expect(decided).toEqual([
      ['S3.2', [['securityhub-s3-public-bucket', 'make-cloud-resource-private', bucket('orders-exports')]]],
      ['IAM.3', []],
      ['EC2.8', []],
      ['EC2.8', []],
    ]);
  });

  it('makes the bucket of an OCSF S3.2 compliance finding private', () => {
    // Assess
    expect(decide(only('written/securityhub-v2-ocsf-compliance-control.json'))).toEqual([
      ['securityhub-s3-public-bucket', 'make-cloud-resource-private', bucket('orders-exports')],
    ]);
  });

  it.each([
    'real/c7n__cwe__event-securityhub-iamkey-finding-action__custom-action-guardduty-asff.json',
    'written/securityhub-imported-guardduty-ec2.json',
    'written/securityhub-v2-ocsf-detection-ec2.json',
  ])('leaves a GuardDuty finding relayed by Security Hub (%s) to the GuardDuty rules, so one finding never acts twice', (path) => {
    // Assess
    expect(decide(only(path))).toEqual([]);
  });

  it('pauses the container a terminal shell ran in, passing only the inputs pause-container takes', () => {
    // Assess: the pod's names ride on the container's inputs but are no input of pause-container
    expect(decide(only('written/falco-terminal-shell-in-container.json'))).toEqual([
      ['falco-container-pause', 'pause-container', { 'host.id': 'node-7', 'container.id': '3ad7b26ded6d' }],
    ]);
  });

  it('pauses the container a dropped binary ran in', () => {
    // Assess
    expect(decide(only('written/falco-container-drift-with-cluster.json'))).toEqual([
      ['falco-container-pause', 'pause-container', { 'host.id': 'ip-10-0-12-34.eu-west-1.compute.internal', 'container.id': '3ad7b26ded6d' }],
    ]);
  });

  it('kills the process that read a sensitive file on the host', () => {
    // Assess
    expect(decide(only('written/falco-host-sensitive-file.json'))).toEqual([
      ['falco-sensitive-file-kill-process', 'kill-process', { 'host.id': 'build-host-3', 'process.id': 31337 }],
    ]);
  });

  it('quarantines the file written below a binary directory, in its container', () => {
    // Prepare: Falco's "Write below binary dir" alert, as the terminal shell fixture with that rule's fields
    const alert = fixture('written/falco-terminal-shell-in-container.json') as { output_fields: Record<string, unknown> };
    const written = { ...alert, rule: 'Write below binary dir', priority: 'Error', output_fields: { ...alert.output_fields, 'fd.name': '/usr/bin/sshd-helper' } };
    const [finding] = normaliseEvent(written).findings;
    if (finding === undefined) throw new Error('one finding');

    // Act
    const decided = decide(finding);

    // Assess
    expect(decided).toEqual([
      ['falco-binary-dir-quarantine', 'file-quarantine', { 'host.id': 'node-7', 'path.absolute': '/usr/bin/sshd-helper', 'container.id': '3ad7b26ded6d' }],
    ]);
  });
});
