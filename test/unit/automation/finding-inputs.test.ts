import { describe, expect, it } from 'vitest';
import { inputsForAction } from '#shared/automation/finding-inputs.ts';
import { normaliseEvent } from '#shared/findings/index.ts';
import type { NormalisedFinding } from '#shared/findings/index.ts';
import { fixture } from '../findings/fixtures.ts';

const now = new Date('2026-12-05T12:00:00Z');

function only(path: string): NormalisedFinding {
  const [finding] = normaliseEvent(fixture(path)).findings;
  if (finding === undefined) throw new Error(`${path} holds a finding`);
  return finding;
}

describe("the inputs a rule's action takes from a finding", () => {
  it('takes the first resource the action accepts: iam-quarantine on an S3 finding acts on the caller, not the bucket', () => {
    // Act
    const mapped = inputsForAction({ action: 'iam-quarantine' }, only('written/guardduty-policy-s3.json'), now);

    // Assess
    expect(mapped.ok && [mapped.request.inputs, mapped.target.key, mapped.source?.kind]).toEqual([
      { 'aws.resource.arn': 'arn:aws:iam::111122223333:user/ops-admin' },
      'arn:aws:iam::111122223333:user/ops-admin',
      'aws.iam.user',
    ]);
  });

  it('says what is missing when the finding names nothing the action takes: deactivate-access-keys on a role', () => {
    // Act
    const mapped = inputsForAction({ action: 'deactivate-access-keys' }, only('written/guardduty-stealth-role-session.json'), now);

    // Assess
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.reason).toMatch(
      /^deactivate-access-keys cannot act on what the finding names: aws\.iam\.role "arn:aws:iam::444455556666:role\/ci-deployer" aws\.resource\.arn .*user/,
    );
  });

  it("tells a Falco pod without kubernetes.cluster.name that the rule must supply it", () => {
    // Act
    const mapped = inputsForAction({ action: 'capture-pod-state' }, only('written/falco-terminal-shell-in-container.json'), now);

    // Assess
    expect(mapped).toEqual({
      ok: false,
      reason:
        'capture-pod-state cannot act on what the finding names: container "host/node-7/container/3ad7b26ded6d" lacks kubernetes.cluster.name (the rule may supply it in run.inputs)',
    });
  });

  it("completes the finding's inputs with the rule's: the cluster of a Falco pod", () => {
    // Act
    const mapped = inputsForAction(
      { action: 'capture-pod-state', inputs: { 'kubernetes.cluster.name': 'prod-eu' } },
      only('written/falco-terminal-shell-in-container.json'),
      now,
    );

    // Assess
    expect(mapped.ok && [mapped.request.inputs, mapped.target]).toEqual([
      { 'kubernetes.namespace.name': 'shop', 'kubernetes.pod.name': 'checkout-7d9c8b7f6-x2x4z', 'kubernetes.cluster.name': 'prod-eu' },
      {
        key: 'k8s/prod-eu/shop/pod/checkout-7d9c8b7f6-x2x4z',
        kind: 'k8s.pod',
        inputs: { 'kubernetes.namespace.name': 'shop', 'kubernetes.pod.name': 'checkout-7d9c8b7f6-x2x4z', 'kubernetes.cluster.name': 'prod-eu' },
      },
    ]);
  });

  it("puts the rule's inputs over the finding's", () => {
    // Act
    const mapped = inputsForAction(
      { action: 'isolate-network', inputs: { 'network.direction': 'EGRESS', 'kubernetes.namespace.name': 'shop-canary' } },
      only('written/guardduty-runtime-eks-deployment.json'),
      now,
    );

    // Assess
    expect(mapped.ok && mapped.request.inputs).toEqual({
      'kubernetes.cluster.name': 'prod-eu',
      'kubernetes.namespace.name': 'shop-canary',
      'kubernetes.workload.name': 'checkout',
      'kubernetes.workload.type': 'deployment',
      'network.direction': 'EGRESS',
    });
  });

  it("acts on the rule's inputs alone when the finding names no resource and the rule names the target", () => {
    // Act
    const mapped = inputsForAction(
      { action: 'capture-pod-state', inputs: { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.namespace.name': 'default', 'kubernetes.pod.name': 'api-0' } },
      only('written/guardduty-kubernetes-cluster-only.json'),
      now,
    );

    // Assess
    expect(mapped.ok && [mapped.source, mapped.target.key]).toEqual([null, 'k8s/prod-eu/default/pod/api-0']);
  });

  it("says what the rule's inputs lack when the finding names no resource", () => {
    // Act
    const mapped = inputsForAction({ action: 'capture-pod-state', inputs: { 'kubernetes.cluster.name': 'prod-eu' } }, only('written/guardduty-kubernetes-cluster-only.json'), now);

    // Assess
    expect(mapped).toEqual({
      ok: false,
      reason:
        'capture-pod-state has nothing to act on: the finding names no Kubernetes workload (resource.kubernetesDetails.kubernetesWorkloadDetails name, type and namespace); ' +
        "the rule's inputs alone: lacks kubernetes.namespace.name, kubernetes.pod.name (the rule may supply them in run.inputs)",
    });
  });

  it('never lets a resource of another kind through because its inputs share a name: a host action on a bucket finding', () => {
    // Act
    const mapped = inputsForAction({ action: 'kill-process' }, only('written/guardduty-exfiltration-s3.json'), now);

    // Assess
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.reason).toContain('kill-process cannot act on what the finding names: aws.s3.bucket "arn:aws:s3:::customer-records" lacks host.id, process.id');
  });
});
