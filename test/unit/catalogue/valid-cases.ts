/** One or more valid input sets per action type, with the executor and resources each must give. */
import type { Executor, ResourceRef } from '#shared/catalogue/index.ts';

export interface ValidCase {
  readonly name: string;
  readonly type: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly executor: Executor;
  readonly resources: readonly ResourceRef[];
}

const cluster = { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.namespace.name': 'payments' };
const pod = { ...cluster, 'kubernetes.pod.name': 'api-7d9f8b6c5-x2k4q' };
const podResource = { key: 'k8s/prod-eu/payments/pod/api-7d9f8b6c5-x2k4q', kind: 'k8s.pod' };
const node = { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.node.name': 'ip-10-0-12-34.eu-west-1.compute.internal' };
const nodeResource = { key: 'k8s/prod-eu/node/ip-10-0-12-34.eu-west-1.compute.internal', kind: 'k8s.node' };
const deployment = { ...cluster, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment' };
const deploymentResource = { key: 'k8s/prod-eu/payments/deployment/api', kind: 'k8s.deployment' };

const userArn = 'arn:aws:iam::123456789012:user/ops/alice';
const roleArn = 'arn:aws:iam::123456789012:role/service-role/ci-deployer';
const instanceArn = 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0';
const dbArn = 'arn:aws:rds:eu-west-1:123456789012:db:orders-prod';

const containers = ['kill-container', 'stop-container', 'start-container', 'pause-container', 'unpause-container'].flatMap(
  (type): ValidCase[] => [
    {
      name: 'by container id',
      type,
      inputs: { 'host.id': 'node-7', 'container.id': '3f2a9c1b7e4d' },
      executor: 'host',
      resources: [{ key: 'host/node-7/container/3f2a9c1b7e4d', kind: 'container' }],
    },
    {
      name: 'by container name',
      type,
      inputs: { 'host.id': 'node-7', 'container.name': 'web_1.blue-2' },
      executor: 'host',
      resources: [{ key: 'host/node-7/container/web_1.blue-2', kind: 'container' }],
    },
  ],
);

const files = ['file-quarantine', 'file-unquarantine', 'acquire-file'].flatMap((type): ValidCase[] => [
  {
    name: 'on the host',
    type,
    inputs: { 'host.id': 'n1', 'path.absolute': '/etc/passwd' },
    executor: 'host',
    resources: [{ key: 'host/n1/file//etc/passwd', kind: 'file' }],
  },
  {
    name: 'inside a container',
    type,
    inputs: { 'host.id': 'n1', 'path.absolute': '/tmp/.x/payload.sh', 'container.id': 'abc123' },
    executor: 'host',
    resources: [{ key: 'host/n1/container/abc123/file//tmp/.x/payload.sh', kind: 'file' }],
  },
]);

const arnOnly = (types: readonly string[], arn: string, kind: string, name: string): ValidCase[] =>
  types.map((type) => ({ name, type, inputs: { 'aws.resource.arn': arn }, executor: 'cloud', resources: [{ key: arn, kind }] }));

const privatisable = ['make-cloud-resource-private', 'undo-make-cloud-resource-private'].flatMap((type): ValidCase[] => [
  {
    name: 'an S3 bucket with its account and region',
    type,
    inputs: { 'aws.resource.arn': 'arn:aws:s3:::evidence-2026', 'aws.account.id': '123456789012', 'aws.region': 'eu-west-1' },
    executor: 'cloud',
    resources: [{ key: 'arn:aws:s3:::evidence-2026', kind: 'aws.s3.bucket' }],
  },
  {
    name: 'an S3 bucket in China',
    type,
    inputs: { 'aws.resource.arn': 'arn:aws-cn:s3:::logs.example', 'aws.account.id': '123456789012', 'aws.region': 'cn-north-1' },
    executor: 'cloud',
    resources: [{ key: 'arn:aws-cn:s3:::logs.example', kind: 'aws.s3.bucket' }],
  },
  { name: 'an RDS DB instance by ARN alone', type, inputs: { 'aws.resource.arn': dbArn }, executor: 'cloud', resources: [{ key: dbArn, kind: 'aws.rds.db-instance' }] },
  {
    name: 'an RDS DB instance with the same account and region',
    type,
    inputs: { 'aws.resource.arn': dbArn, 'aws.account.id': '123456789012', 'aws.region': 'eu-west-1' },
    executor: 'cloud',
    resources: [{ key: dbArn, kind: 'aws.rds.db-instance' }],
  },
]);

const cloudTrailWindow = { fromTimestamp: '2026-11-19T00:00:00Z', toTimestamp: '2026-11-20T11:00:00+01:00' };

export const validCases: readonly ValidCase[] = [
  {
    name: 'on the host',
    type: 'kill-process',
    inputs: { 'host.id': 'node-7', 'process.id': 4242 },
    executor: 'host',
    resources: [{ key: 'host/node-7', kind: 'host' }],
  },
  {
    name: 'in a container, with its start time',
    type: 'kill-process',
    inputs: { 'host.id': 'node-7', 'process.id': 1, 'process.start_time': '2026-11-20T10:00:00.123Z', 'container.id': 'c0ffee' },
    executor: 'host',
    resources: [{ key: 'host/node-7/container/c0ffee', kind: 'container' }],
  },
  ...containers,
  { name: 'a pod', type: 'delete-pod', inputs: pod, executor: 'kubernetes', resources: [podResource] },
  { name: 'both directions', type: 'isolate-network', inputs: deployment, executor: 'kubernetes', resources: [deploymentResource] },
  {
    name: 'ingress with an IPv4 exception',
    type: 'isolate-network',
    inputs: { ...deployment, 'network.direction': 'INGRESS', 'network.protocol': 'TCP', 'network.cidr': '10.20.0.0/16', 'network.port': 22 },
    executor: 'kubernetes',
    resources: [deploymentResource],
  },
  {
    name: 'egress with an IPv6 exception for any port',
    type: 'isolate-network',
    inputs: { ...cluster, 'kubernetes.workload.name': 'db', 'kubernetes.workload.type': 'statefulset', 'network.direction': 'EGRESS', 'network.cidr': '2001:db8::/32', 'network.protocol': 'UDP' },
    executor: 'kubernetes',
    resources: [{ key: 'k8s/prod-eu/payments/statefulset/db', kind: 'k8s.statefulset' }],
  },
  {
    name: 'a policy',
    type: 'delete-network-policy',
    inputs: { ...cluster, 'kubernetes.networkpolicy.name': 'isolate-api-01' },
    executor: 'kubernetes',
    resources: [{ key: 'k8s/prod-eu/payments/networkpolicy/isolate-api-01', kind: 'k8s.networkpolicy' }],
  },
  ...files.filter((item) => item.type !== 'acquire-file'),
  ...arnOnly(['iam-quarantine', 'iam-unquarantine'], userArn, 'aws.iam.user', 'an IAM user with a path'),
  ...arnOnly(['iam-quarantine', 'iam-unquarantine'], roleArn, 'aws.iam.role', 'an IAM role'),
  ...arnOnly(['iam-quarantine'], 'arn:aws-us-gov:iam::123456789012:role/responder', 'aws.iam.role', 'a GovCloud IAM role'),
  ...privatisable,
  {
    name: 'the host form',
    type: 'get-logs',
    inputs: { 'host.id': 'node-7', 'container.id': '3f2a9c1b7e4d', previous: false },
    executor: 'host',
    resources: [{ key: 'host/node-7/container/3f2a9c1b7e4d', kind: 'container' }],
  },
  { name: 'the Kubernetes form', type: 'get-logs', inputs: { ...pod, allContainers: true, previous: true }, executor: 'kubernetes', resources: [podResource] },
  {
    name: 'the Kubernetes form, one container',
    type: 'get-logs',
    inputs: { ...pod, 'kubernetes.container.name': 'sidecar' },
    executor: 'kubernetes',
    resources: [podResource],
  },
  ...files.filter((item) => item.type === 'acquire-file'),
  {
    name: 'into a named bucket',
    type: 'acquire-file',
    inputs: { 'host.id': 'n1', 'path.absolute': '/var/log/auth.log', 's3.bucket': 'case-4711.evidence' },
    executor: 'host',
    resources: [{ key: 'host/n1/file//var/log/auth.log', kind: 'file' }],
  },
  {
    name: 'by user name',
    type: 'fetch-cloud-logs',
    inputs: { 'aws.account.id': '123456789012', 'aws.region': 'us-east-1', 'ct.user': 'alice', 'ct.user.identitytype': 'IAMUser', ...cloudTrailWindow },
    executor: 'cloud',
    resources: [{ key: 'aws-identity/123456789012/alice', kind: 'aws.identity' }],
  },
  {
    name: 'by assumed-role session ARN',
    type: 'fetch-cloud-logs',
    inputs: {
      'aws.account.id': '123456789012',
      'aws.region': 'us-gov-west-1',
      'ct.user.arn': 'arn:aws:sts::123456789012:assumed-role/ci-deployer/session-1',
      ...cloudTrailWindow,
    },
    executor: 'cloud',
    resources: [{ key: 'arn:aws:sts::123456789012:assumed-role/ci-deployer/session-1', kind: 'aws.identity' }],
  },
  {
    name: 'by IAM user ARN and name, the whole 90 days',
    type: 'fetch-cloud-logs',
    inputs: {
      'aws.account.id': '123456789012',
      'aws.region': 'eu-west-1',
      'ct.user': 'alice',
      'ct.user.arn': userArn,
      fromTimestamp: '2026-08-22T12:00:00Z',
      toTimestamp: '2026-11-20T12:00:00Z',
    },
    executor: 'cloud',
    resources: [{ key: userArn, kind: 'aws.iam.user' }],
  },
  {
    name: 'one PVC',
    type: 'kubernetes-volume-snapshot',
    inputs: { ...cluster, 'kubernetes.persistentvolume.claim.name': 'data-db-0' },
    executor: 'kubernetes',
    resources: [{ key: 'k8s/prod-eu/payments/persistentvolumeclaim/data-db-0', kind: 'k8s.persistentvolumeclaim' }],
  },
  {
    name: 'several PVCs, in input order',
    type: 'kubernetes-volume-snapshot',
    inputs: { ...cluster, 'kubernetes.persistentvolume.claim.name': ['data-db-1', 'data-db-0'] },
    executor: 'kubernetes',
    resources: [
      { key: 'k8s/prod-eu/payments/persistentvolumeclaim/data-db-1', kind: 'k8s.persistentvolumeclaim' },
      { key: 'k8s/prod-eu/payments/persistentvolumeclaim/data-db-0', kind: 'k8s.persistentvolumeclaim' },
    ],
  },
  {
    name: 'several snapshots',
    type: 'kubernetes-delete-volume-snapshot',
    inputs: { ...cluster, 'kubernetes.volumesnapshot.name': ['snap-a', 'snap-b'] },
    executor: 'kubernetes',
    resources: [
      { key: 'k8s/prod-eu/payments/volumesnapshot/snap-a', kind: 'k8s.volumesnapshot' },
      { key: 'k8s/prod-eu/payments/volumesnapshot/snap-b', kind: 'k8s.volumesnapshot' },
    ],
  },
  {
    name: 'one snapshot',
    type: 'kubernetes-delete-volume-snapshot',
    inputs: { ...cluster, 'kubernetes.volumesnapshot.name': 'snap-a' },
    executor: 'kubernetes',
    resources: [{ key: 'k8s/prod-eu/payments/volumesnapshot/snap-a', kind: 'k8s.volumesnapshot' }],
  },
  ...arnOnly(['cloud-volume-snapshot', 'undo-cloud-volume-snapshot'], instanceArn, 'aws.ec2.instance', 'an EC2 instance'),
  {
    name: 'listed snapshots',
    type: 'undo-cloud-volume-snapshot',
    inputs: { 'aws.resource.arn': instanceArn, 'aws.ebs.snapshot.ids': ['snap-0123456789abcdef0', 'snap-89abcdef'] },
    executor: 'cloud',
    resources: [{ key: instanceArn, kind: 'aws.ec2.instance' }],
  },
  {
    name: 'a daemonset',
    type: 'rollout-restart',
    inputs: { ...cluster, 'kubernetes.workload.name': 'node-agent', 'kubernetes.workload.type': 'daemonset' },
    executor: 'kubernetes',
    resources: [{ key: 'k8s/prod-eu/payments/daemonset/node-agent', kind: 'k8s.daemonset' }],
  },
  ...arnOnly(['isolate-ec2-instance', 'unisolate-ec2-instance'], instanceArn, 'aws.ec2.instance', 'an EC2 instance'),
  ...arnOnly(
    ['isolate-ec2-instance'],
    'arn:aws-cn:ec2:cn-northwest-1:123456789012:instance/i-01234567',
    'aws.ec2.instance',
    'an EC2 instance in China, short id',
  ),
  ...arnOnly(['detach-instance-profile', 'restore-instance-profile'], instanceArn, 'aws.ec2.instance', 'an EC2 instance'),
  ...arnOnly(['revoke-iam-role-sessions', 'restore-iam-role-sessions'], roleArn, 'aws.iam.role', 'an IAM role'),
  ...arnOnly(['deactivate-access-keys', 'reactivate-access-keys'], userArn, 'aws.iam.user', 'an IAM user'),
  { name: 'to zero by default', type: 'scale-workload', inputs: deployment, executor: 'kubernetes', resources: [deploymentResource] },
  {
    name: 'a replicaset to three',
    type: 'scale-workload',
    inputs: { ...cluster, 'kubernetes.workload.name': 'api-7d9f8b6c5', 'kubernetes.workload.type': 'replicaset', 'kubernetes.workload.replicas': 3 },
    executor: 'kubernetes',
    resources: [{ key: 'k8s/prod-eu/payments/replicaset/api-7d9f8b6c5', kind: 'k8s.replicaset' }],
  },
  ...(['scale-workload', 'restore-workload-scale'] as const).map((type) => ({
    name: 'a daemonset (to zero: it has no replica count)',
    type,
    inputs: { ...cluster, 'kubernetes.workload.name': 'node-agent', 'kubernetes.workload.type': 'daemonset' },
    executor: 'kubernetes' as const,
    resources: [{ key: 'k8s/prod-eu/payments/daemonset/node-agent', kind: 'k8s.daemonset' }],
  })),
  {
    name: 'a daemonset to an explicit 0',
    type: 'scale-workload',
    inputs: { ...cluster, 'kubernetes.workload.name': 'node-agent', 'kubernetes.workload.type': 'daemonset', 'kubernetes.workload.replicas': 0 },
    executor: 'kubernetes',
    resources: [{ key: 'k8s/prod-eu/payments/daemonset/node-agent', kind: 'k8s.daemonset' }],
  },
  {
    name: 'a statefulset',
    type: 'restore-workload-scale',
    inputs: { ...cluster, 'kubernetes.workload.name': 'db', 'kubernetes.workload.type': 'statefulset' },
    executor: 'kubernetes',
    resources: [{ key: 'k8s/prod-eu/payments/statefulset/db', kind: 'k8s.statefulset' }],
  },
  { name: 'a pod', type: 'capture-pod-state', inputs: pod, executor: 'kubernetes', resources: [podResource] },
  { name: 'the whole host', type: 'capture-process-state', inputs: { 'host.id': 'node-7' }, executor: 'host', resources: [{ key: 'host/node-7', kind: 'host' }] },
  {
    name: 'one container',
    type: 'capture-process-state',
    inputs: { 'host.id': 'node-7', 'container.id': '3f2a9c1b7e4d' },
    executor: 'host',
    resources: [{ key: 'host/node-7/container/3f2a9c1b7e4d', kind: 'container' }],
  },
  { name: 'a node', type: 'cordon-node', inputs: node, executor: 'kubernetes', resources: [nodeResource] },
  { name: 'a single-label node name', type: 'cordon-node', inputs: { ...node, 'kubernetes.node.name': 'worker-3' }, executor: 'kubernetes', resources: [{ key: 'k8s/prod-eu/node/worker-3', kind: 'k8s.node' }] },
  { name: 'a node', type: 'uncordon-node', inputs: node, executor: 'kubernetes', resources: [nodeResource] },
];
