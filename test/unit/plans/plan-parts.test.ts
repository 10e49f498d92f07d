import { describe, expect, it } from 'vitest';
import { actionTypes, validateActionRequest, type ValidActionRequest } from '#shared/catalogue/index.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { responderChanges, responderWork } from '#shared/plans/responder-plans.ts';
import { typesWithRestores, undoRestores } from '#shared/plans/undo-restores.ts';
import { now } from '../catalogue/expectations.ts';

const instanceArn = 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc';

function valid(type: string, inputs: Record<string, unknown>): ValidActionRequest {
  const validation = validateActionRequest({ type, inputs }, { now });
  if (!validation.ok) throw new Error(JSON.stringify(validation.errors));
  return validation;
}

function completed(valid: ValidActionRequest, applied: ActionRecord['applied'], prior: ActionRecord['prior'] = null): ActionRecord {
  const record = createdRecord(
    {
      id: '0a1b2c3d-0000-4000-8000-000000000001',
      type: valid.definition.type,
      category: valid.definition.category,
      executor: valid.executor,
      inputs: valid.inputs,
      reason: null,
      resources: valid.resources,
      createdBy: 'analyst-1',
      undoType: valid.definition.undoType,
    },
    now,
  );
  return { ...record, status: 'Completed', applied, prior };
}

describe('the plan parts cover the catalogue', () => {
  it('has responder work for exactly the host and Kubernetes types', () => {
    // Assess
    const responderTypes = actionTypes.filter((each) => each.executors.some((executor) => executor !== 'cloud')).map((each) => each.type);
    expect(Object.keys(responderWork).sort()).toEqual([...responderTypes].sort());
  });

  it('has an undo sentence for exactly the types with an undo type', () => {
    // Assess
    expect([...typesWithRestores].sort()).toEqual(actionTypes.filter((each) => each.undoType !== null).map((each) => each.type).sort());
    expect(undoRestores('kill-process', { 'host.id': 'n', 'process.id': 1 }, null)).toBeNull();
  });
});

describe('undo sentences from the prior a plan read', () => {
  it.each([
    [
      'iam-quarantine, already denied',
      'iam-quarantine',
      { principal: { type: 'role', name: 'ci' }, attachedPolicies: [{ policyArn: 'arn:aws:iam::aws:policy/AWSDenyAll', policyName: 'AWSDenyAll' }], inlinePolicyNames: ['x'] },
      'nothing: AWSDenyAll is already attached to role ci, so the quarantine would attach nothing for undo to detach',
    ],
    [
      'iam-quarantine, one inline policy',
      'iam-quarantine',
      { principal: { type: 'user', name: 'bob' }, attachedPolicies: [{ policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess', policyName: 'ReadOnlyAccess' }], inlinePolicyNames: ['deploy'] },
      'detaches AWSDenyAll from user bob, restoring the 1 managed policy (ReadOnlyAccess) and 1 inline policy attached before',
    ],
    [
      'make-cloud-resource-private on a bucket without a block',
      'make-cloud-resource-private',
      { kind: 'aws.s3.bucket', bucket: 'evidence', publicAccessBlock: null },
      'removes the public access block from bucket evidence again: it has none now',
    ],
    [
      'make-cloud-resource-private on a partly blocked bucket',
      'make-cloud-resource-private',
      { kind: 'aws.s3.bucket', bucket: 'logs', publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false } },
      'puts back the public access block bucket logs has now (BlockPublicAcls on, IgnorePublicAcls off, BlockPublicPolicy on, RestrictPublicBuckets off)',
    ],
    [
      'make-cloud-resource-private on a public DB instance',
      'make-cloud-resource-private',
      { kind: 'aws.rds.db-instance', dbInstanceIdentifier: 'orders', publiclyAccessible: true },
      'makes DB instance orders publicly accessible again, as it is now',
    ],
    [
      'cloud-volume-snapshot',
      'cloud-volume-snapshot',
      { instance: { id: 'i-0abc', state: 'running', availabilityZone: 'eu-west-1a' }, volumes: [{ deviceName: '/dev/xvda', volumeId: 'vol-1' }, { deviceName: '/dev/xvdb', volumeId: 'vol-2' }] },
      "deletes the 2 snapshots this takes of i-0abc's EBS volumes (vol-1, vol-2); the instance itself is never changed",
    ],
    [
      'isolate-ec2-instance in an Auto Scaling group',
      'isolate-ec2-instance',
      {
        instance: { id: 'i-0abc', state: 'running' },
        disableApiTermination: false,
        shutdownBehavior: 'terminate',
        volumes: [],
        networkInterfaces: [{ networkInterfaceId: 'eni-1', deviceIndex: 0, vpcId: 'vpc-1', groupIds: ['sg-a', 'sg-b'] }],
        isolationGroups: [],
        autoScaling: { autoScalingGroupName: 'web', lifecycleState: 'InService', healthStatus: 'Healthy' },
      },
      "puts back the security groups of i-0abc's 1 network interface (eni-1: sg-a sg-b), its termination protection (off) and shutdown behaviour (terminate), and takes it out of Standby in Auto Scaling group web",
    ],
    [
      'revoke-iam-role-sessions on a role without the policy',
      'revoke-iam-role-sessions',
      { role: { name: 'ci', arn: 'arn', id: 'AROA' }, policyName: 'ResponseActionsRevokeSessions', policy: null },
      'deletes the inline policy ResponseActionsRevokeSessions from role ci, so sessions issued before the revocation work again',
    ],
    [
      'deactivate-access-keys',
      'deactivate-access-keys',
      {
        user: { name: 'alice', arn: 'arn', id: 'AIDA' },
        accessKeys: [
          { accessKeyId: 'AKIA1', status: 'Active', createDate: null },
          { accessKeyId: 'AKIA2', status: 'Inactive', createDate: null },
        ],
      },
      'reactivates the 1 access key of user alice that is Active now (AKIA1), and only it',
    ],
    [
      'detach-instance-profile without a profile',
      'detach-instance-profile',
      { instanceId: 'i-0abc', association: null },
      'nothing: i-0abc has no instance profile now',
    ],
  ])('%s', (_, type, prior, restores) => {
    // Act
    const undo = undoRestores(type, { 'aws.resource.arn': instanceArn }, prior);
    // Assess
    expect(undo?.restores).toBe(restores);
  });

  it('falls back to a general sentence when the prior is not the expected shape', () => {
    // Act & Assess
    expect(undoRestores('iam-quarantine', {}, 'unexpected')?.restores).toBe('detaches the AWSDenyAll the quarantine attaches, and nothing else');
  });
});

describe('responder work of an undo', () => {
  const cluster = { 'kubernetes.cluster.name': 'prod', 'kubernetes.namespace.name': 'pay' };

  it('deletes exactly the policies the isolation recorded, naming the action', () => {
    // Prepare
    const isolation = valid('isolate-network', { ...cluster, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment' });
    const original = completed(isolation, {
      policies: [
        { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'ra-isolate-api-0a1b2c3d', namespace: 'pay' },
        { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', name: 'ra-deny-pay-api-0a1b2c3d', namespace: null },
      ],
    });
    const undo = valid('delete-network-policy', { ...cluster, 'kubernetes.networkpolicy.name': 'ra-isolate-api-0a1b2c3d' });
    // Act
    const changes = responderChanges(undo, original);
    // Assess
    expect(changes.map((change) => [change.call, change.detail])).toEqual([
      ['kubernetes:delete NetworkPolicy', `deletes NetworkPolicy ra-isolate-api-0a1b2c3d in namespace pay, which action ${original.id} created, only while it still carries that action's labels`],
      ['kubernetes:delete AdminNetworkPolicy', `deletes AdminNetworkPolicy ra-deny-pay-api-0a1b2c3d (cluster-scoped), which action ${original.id} created, only while it still carries that action's labels`],
    ]);
  });

  it('restores the replica count scale-workload recorded', () => {
    // Prepare
    const inputs = { ...cluster, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment' };
    const original = completed(valid('scale-workload', inputs), { replicas: { from: 3, to: 0 } }, { replicas: 3, currentReplicas: 3 });
    // Act
    const [change] = responderChanges(valid('restore-workload-scale', inputs), original);
    // Assess
    expect(change).toEqual({
      call: 'kubernetes:patch Deployment',
      target: 'k8s/prod/pay/deployment/api',
      detail: `scales deployment/api in namespace pay of cluster prod back to the count in its response-actions.io/scaled-from annotation (action ${original.id} recorded 3) and removes the annotation in the same patch`,
    });
  });

  it('gives each snapshot its own change on its own resource key', () => {
    // Prepare
    const request = valid('kubernetes-volume-snapshot', { ...cluster, 'kubernetes.persistentvolume.claim.name': ['data-0', 'data-1'] });
    // Act
    const changes = responderChanges(request, null);
    // Assess
    expect(changes.map((change) => change.target)).toEqual(['k8s/prod/pay/persistentvolumeclaim/data-0', 'k8s/prod/pay/persistentvolumeclaim/data-1']);
    expect(changes[1]?.detail).toBe('VolumeSnapshot ra-snap-data-1-<action id> of PersistentVolumeClaim data-1 in namespace pay of cluster prod, then a bounded wait until it is readyToUse');
  });
});
