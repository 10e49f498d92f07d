/** Invalid input sets per action type: each names the error path it is about and, where it matters, the message. */

export interface InvalidCase {
  readonly name: string;
  readonly type: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The error this case is about; other errors may accompany it unless `only` is set. */
  readonly path: string;
  /** The exact message, or a pattern it must match. */
  readonly message?: string | RegExp;
  /** The errors' paths must be exactly [path]. */
  readonly only?: boolean;
}

const host = { 'host.id': 'node-7' };
const cluster = { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.namespace.name': 'payments' };
const pod = { ...cluster, 'kubernetes.pod.name': 'api-0' };
const deployment = { ...cluster, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment' };
const userArn = 'arn:aws:iam::123456789012:user/alice';
const roleArn = 'arn:aws:iam::123456789012:role/ci';
const bucketArn = 'arn:aws:s3:::evidence-2026';
const dbArn = 'arn:aws:rds:eu-west-1:123456789012:db:orders-prod';
const instanceArn = 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0';
const cloudTrail = {
  'aws.account.id': '123456789012',
  'aws.region': 'us-east-1',
  'ct.user': 'alice',
  fromTimestamp: '2026-11-19T00:00:00Z',
  toTimestamp: '2026-11-20T00:00:00Z',
};
const pvcs = (names: unknown) => ({ ...cluster, 'kubernetes.persistentvolume.claim.name': names });

export const invalidCases: readonly InvalidCase[] = [
  // kill-process
  { type: 'kill-process', name: 'no PID', inputs: host, path: 'inputs.process.id', message: 'is required', only: true },
  { type: 'kill-process', name: 'PID as a string', inputs: { ...host, 'process.id': '4242' }, path: 'inputs.process.id', message: /whole number .*not a string/, only: true },
  { type: 'kill-process', name: 'PID 0', inputs: { ...host, 'process.id': 0 }, path: 'inputs.process.id', only: true },
  { type: 'kill-process', name: 'fractional PID', inputs: { ...host, 'process.id': 42.5 }, path: 'inputs.process.id', only: true },
  { type: 'kill-process', name: 'start time without a zone', inputs: { ...host, 'process.id': 7, 'process.start_time': '2026-11-20T10:00:00' }, path: 'inputs.process.start_time', message: /RFC 3339 .*2026-11-20T10:00:00Z/, only: true },
  { type: 'kill-process', name: 'start time with a space', inputs: { ...host, 'process.id': 7, 'process.start_time': '2026-11-20 10:00:00Z' }, path: 'inputs.process.start_time', only: true },
  { type: 'kill-process', name: 'start time without seconds', inputs: { ...host, 'process.id': 7, 'process.start_time': '2026-11-20T10:00Z' }, path: 'inputs.process.start_time', only: true },
  { type: 'kill-process', name: 'start time on 30 February', inputs: { ...host, 'process.id': 7, 'process.start_time': '2026-02-30T10:00:00Z' }, path: 'inputs.process.start_time', only: true },
  { type: 'kill-process', name: 'start time as epoch seconds', inputs: { ...host, 'process.id': 7, 'process.start_time': 1795000000 }, path: 'inputs.process.start_time', only: true },
  {
    type: 'kill-process',
    name: 'an unknown input',
    inputs: { ...host, 'process.id': 7, 'process.name': 'xmrig' },
    path: 'inputs.process.name',
    message: 'is not an input of kill-process; it accepts: host.id, process.id, process.start_time, container.id',
    only: true,
  },
  { type: 'kill-process', name: 'a camel-case input name', inputs: { ...host, processId: 7 }, path: 'inputs.processId', message: /did you mean process\.id\?/ },
  { type: 'kill-process', name: 'container.name', inputs: { ...host, 'process.id': 7, 'container.name': 'web' }, path: 'inputs.container.name', only: true },
  { type: 'kill-process', name: 'a host id with a slash', inputs: { 'host.id': 'node/7', 'process.id': 7 }, path: 'inputs.host.id', only: true },
  { type: 'kill-process', name: 'a 254-character host id', inputs: { 'host.id': 'h'.repeat(254), 'process.id': 7 }, path: 'inputs.host.id', only: true },
  { type: 'kill-process', name: 'an empty host id', inputs: { 'host.id': '', 'process.id': 7 }, path: 'inputs.host.id', only: true },
  // containers
  { type: 'kill-container', name: 'no container', inputs: host, path: 'inputs.container.id', message: 'is required: give container.id or container.name', only: true },
  { type: 'stop-container', name: 'both container id and name', inputs: { ...host, 'container.id': 'abc', 'container.name': 'web' }, path: 'inputs.container.name', message: /not both/, only: true },
  { type: 'start-container', name: 'a container name starting with a dash', inputs: { ...host, 'container.name': '-web' }, path: 'inputs.container.name', only: true },
  { type: 'pause-container', name: 'a container id with a colon', inputs: { ...host, 'container.id': 'sha256:abc' }, path: 'inputs.container.id', only: true },
  { type: 'unpause-container', name: 'no host', inputs: { 'container.id': 'abc' }, path: 'inputs.host.id', message: 'is required', only: true },
  // Kubernetes
  { type: 'delete-pod', name: 'an upper-case pod name', inputs: { ...cluster, 'kubernetes.pod.name': 'API-0' }, path: 'inputs.kubernetes.pod.name', message: /DNS-1123 subdomain/, only: true },
  { type: 'delete-pod', name: 'a 64-character namespace', inputs: { ...pod, 'kubernetes.namespace.name': 'n'.repeat(64) }, path: 'inputs.kubernetes.namespace.name', message: /DNS-1123 label/, only: true },
  { type: 'delete-pod', name: 'a cluster name with a dot', inputs: { ...pod, 'kubernetes.cluster.name': 'prod.eu' }, path: 'inputs.kubernetes.cluster.name', only: true },
  { type: 'isolate-network', name: 'port 0', inputs: { ...deployment, 'network.protocol': 'TCP', 'network.port': 0 }, path: 'inputs.network.port', message: 'must be a whole number from 1 to 65535', only: true },
  { type: 'isolate-network', name: 'port 65536', inputs: { ...deployment, 'network.protocol': 'TCP', 'network.port': 65536 }, path: 'inputs.network.port', message: 'must be a whole number from 1 to 65535', only: true },
  { type: 'isolate-network', name: 'port as a string', inputs: { ...deployment, 'network.protocol': 'TCP', 'network.port': '22' }, path: 'inputs.network.port', only: true },
  { type: 'isolate-network', name: 'a port without a protocol', inputs: { ...deployment, 'network.port': 22 }, path: 'inputs.network.protocol', message: /is required with network\.port/, only: true },
  { type: 'isolate-network', name: 'prefix /33', inputs: { ...deployment, 'network.cidr': '10.0.0.0/33' }, path: 'inputs.network.cidr', message: /IPv4 or IPv6 CIDR/, only: true },
  { type: 'isolate-network', name: 'octet 300', inputs: { ...deployment, 'network.cidr': '300.1.1.1/8' }, path: 'inputs.network.cidr', only: true },
  { type: 'isolate-network', name: 'no prefix', inputs: { ...deployment, 'network.cidr': '10.0.0.1' }, path: 'inputs.network.cidr', only: true },
  { type: 'isolate-network', name: 'two prefixes', inputs: { ...deployment, 'network.cidr': '10.0.0.0/8/16' }, path: 'inputs.network.cidr', only: true },
  { type: 'isolate-network', name: 'a leading-zero prefix', inputs: { ...deployment, 'network.cidr': '10.0.0.0/08' }, path: 'inputs.network.cidr', only: true },
  { type: 'isolate-network', name: 'IPv6 prefix /129', inputs: { ...deployment, 'network.cidr': '2001:db8::/129' }, path: 'inputs.network.cidr', only: true },
  { type: 'isolate-network', name: 'an IPv6 zone', inputs: { ...deployment, 'network.cidr': 'fe80::1%eth0/64' }, path: 'inputs.network.cidr', only: true },
  { type: 'isolate-network', name: 'direction BOTH', inputs: { ...deployment, 'network.direction': 'BOTH' }, path: 'inputs.network.direction', message: /INGRESS or EGRESS/, only: true },
  { type: 'isolate-network', name: 'lower-case protocol', inputs: { ...deployment, 'network.protocol': 'tcp' }, path: 'inputs.network.protocol', message: 'must be TCP, UDP or SCTP', only: true },
  {
    type: 'isolate-network',
    name: 'a capitalised workload type',
    inputs: { ...deployment, 'kubernetes.workload.type': 'Deployment' },
    path: 'inputs.kubernetes.workload.type',
    message: 'must be one of deployment, statefulset, daemonset, replicaset (lower-case)',
    only: true,
  },
  { type: 'delete-network-policy', name: 'no policy name', inputs: cluster, path: 'inputs.kubernetes.networkpolicy.name', message: 'is required', only: true },
  { type: 'rollout-restart', name: 'a replicaset', inputs: { ...deployment, 'kubernetes.workload.type': 'replicaset' }, path: 'inputs.kubernetes.workload.type', message: 'must be one of deployment, statefulset, daemonset (lower-case)', only: true },
  {
    type: 'scale-workload',
    name: 'a daemonset to a count other than 0',
    inputs: { ...deployment, 'kubernetes.workload.type': 'daemonset', 'kubernetes.workload.replicas': 2 },
    path: 'inputs.kubernetes.workload.replicas',
    message: 'must be 0 (or absent) for a daemonset: a DaemonSet has no replica count, so it can only be scaled to zero (a node selector no node matches)',
    only: true,
  },
  { type: 'scale-workload', name: 'a kind that is not a workload', inputs: { ...deployment, 'kubernetes.workload.type': 'job' }, path: 'inputs.kubernetes.workload.type', message: 'must be one of deployment, statefulset, daemonset, replicaset (lower-case)', only: true },
  { type: 'scale-workload', name: '-1 replicas', inputs: { ...deployment, 'kubernetes.workload.replicas': -1 }, path: 'inputs.kubernetes.workload.replicas', message: 'must be a whole number from 0 to 10000', only: true },
  { type: 'scale-workload', name: '10001 replicas', inputs: { ...deployment, 'kubernetes.workload.replicas': 10001 }, path: 'inputs.kubernetes.workload.replicas', only: true },
  { type: 'scale-workload', name: '2.5 replicas', inputs: { ...deployment, 'kubernetes.workload.replicas': 2.5 }, path: 'inputs.kubernetes.workload.replicas', only: true },
  { type: 'restore-workload-scale', name: 'a replica count', inputs: { ...deployment, 'kubernetes.workload.replicas': 2 }, path: 'inputs.kubernetes.workload.replicas', message: /^is not an input of restore-workload-scale/, only: true },
  { type: 'capture-pod-state', name: 'no pod', inputs: cluster, path: 'inputs.kubernetes.pod.name', message: 'is required', only: true },
  { type: 'capture-process-state', name: 'no host', inputs: { 'container.id': 'abc123' }, path: 'inputs.host.id', message: 'is required', only: true },
  { type: 'capture-process-state', name: 'a container id with a slash', inputs: { ...host, 'container.id': '../abc' }, path: 'inputs.container.id', only: true },
  { type: 'cordon-node', name: 'no node', inputs: { 'kubernetes.cluster.name': 'prod-eu' }, path: 'inputs.kubernetes.node.name', message: 'is required', only: true },
  { type: 'cordon-node', name: 'an upper-case node name', inputs: { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.node.name': 'Node-7' }, path: 'inputs.kubernetes.node.name', message: /DNS-1123 subdomain/, only: true },
  { type: 'cordon-node', name: 'a node name of 254 characters', inputs: { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.node.name': `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}` }, path: 'inputs.kubernetes.node.name', only: true },
  // A node is cluster-scoped: a namespace means the caller has the wrong action in mind.
  { type: 'cordon-node', name: 'a namespace', inputs: { ...cluster, 'kubernetes.node.name': 'node-7' }, path: 'inputs.kubernetes.namespace.name', message: 'is not an input of cordon-node; it accepts: kubernetes.cluster.name, kubernetes.node.name', only: true },
  { type: 'uncordon-node', name: 'no cluster', inputs: { 'kubernetes.node.name': 'node-7' }, path: 'inputs.kubernetes.cluster.name', message: 'is required', only: true },
  { type: 'uncordon-node', name: 'a node name with a slash', inputs: { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.node.name': 'node-7/status' }, path: 'inputs.kubernetes.node.name', message: /DNS-1123 subdomain/, only: true },
  { type: 'kubernetes-volume-snapshot', name: 'an empty list', inputs: pvcs([]), path: 'inputs.kubernetes.persistentvolume.claim.name', message: 'must list at least one PVC name', only: true },
  { type: 'kubernetes-volume-snapshot', name: '51 PVCs', inputs: pvcs(Array.from({ length: 51 }, (_, index) => `pvc-${index}`)), path: 'inputs.kubernetes.persistentvolume.claim.name', message: 'must list at most 50 PVC names', only: true },
  { type: 'kubernetes-volume-snapshot', name: 'a PVC listed twice', inputs: pvcs(['data-0', 'data-1', 'data-0']), path: 'inputs.kubernetes.persistentvolume.claim.name', message: 'lists data-0 more than once; give each PVC name once', only: true },
  { type: 'kubernetes-volume-snapshot', name: 'a bad name in the list', inputs: pvcs(['data-0', 'Data_1']), path: 'inputs.kubernetes.persistentvolume.claim.name[1]', message: /DNS-1123 subdomain/, only: true },
  { type: 'kubernetes-volume-snapshot', name: 'a number', inputs: pvcs(7), path: 'inputs.kubernetes.persistentvolume.claim.name', message: /PVC name or a list of 1 to 50/, only: true },
  { type: 'kubernetes-delete-volume-snapshot', name: 'no snapshot', inputs: cluster, path: 'inputs.kubernetes.volumesnapshot.name', message: 'is required', only: true },
  { type: 'kubernetes-delete-volume-snapshot', name: 'a list of lists', inputs: { ...cluster, 'kubernetes.volumesnapshot.name': [['a']] }, path: 'inputs.kubernetes.volumesnapshot.name[0]', only: true },
  // files
  { type: 'file-quarantine', name: 'a path with ..', inputs: { ...host, 'path.absolute': '/var/www/../../etc/shadow' }, path: 'inputs.path.absolute', message: "must not contain '.' or '..' segments; give the resolved path", only: true },
  { type: 'file-quarantine', name: 'a path with .', inputs: { ...host, 'path.absolute': '/tmp/./x' }, path: 'inputs.path.absolute', only: true },
  { type: 'file-quarantine', name: 'a relative path', inputs: { ...host, 'path.absolute': 'tmp/x' }, path: 'inputs.path.absolute', message: "must be an absolute path starting with '/'", only: true },
  { type: 'file-quarantine', name: 'an empty segment', inputs: { ...host, 'path.absolute': '/tmp//x' }, path: 'inputs.path.absolute', message: "must not contain empty segments ('//')", only: true },
  { type: 'file-quarantine', name: 'a trailing slash', inputs: { ...host, 'path.absolute': '/tmp/x/' }, path: 'inputs.path.absolute', only: true },
  { type: 'file-quarantine', name: 'the root', inputs: { ...host, 'path.absolute': '/' }, path: 'inputs.path.absolute', only: true },
  { type: 'file-unquarantine', name: 'a NUL character', inputs: { ...host, 'path.absolute': '/tmp/x\u0000.sh' }, path: 'inputs.path.absolute', message: 'must not contain a NUL character', only: true },
  { type: 'file-unquarantine', name: 'a 4097-character path', inputs: { ...host, 'path.absolute': `/${'a'.repeat(4096)}` }, path: 'inputs.path.absolute', message: 'must be at most 4096 characters long', only: true },
  { type: 'file-unquarantine', name: 'a container name', inputs: { ...host, 'path.absolute': '/x', 'container.name': 'web' }, path: 'inputs.container.name', only: true },
  { type: 'acquire-file', name: 'an upper-case bucket', inputs: { ...host, 'path.absolute': '/x', 's3.bucket': 'My_Bucket' }, path: 'inputs.s3.bucket', message: /S3 bucket name/, only: true },
  { type: 'acquire-file', name: 'a bucket named like an IP address', inputs: { ...host, 'path.absolute': '/x', 's3.bucket': '192.168.1.10' }, path: 'inputs.s3.bucket', only: true },
  { type: 'acquire-file', name: 'a bucket with ..', inputs: { ...host, 'path.absolute': '/x', 's3.bucket': 'my..bucket' }, path: 'inputs.s3.bucket', only: true },
  { type: 'acquire-file', name: 'a reserved bucket prefix', inputs: { ...host, 'path.absolute': '/x', 's3.bucket': 'xn--bucket' }, path: 'inputs.s3.bucket', only: true },
  { type: 'acquire-file', name: 'a two-letter bucket', inputs: { ...host, 'path.absolute': '/x', 's3.bucket': 'ab' }, path: 'inputs.s3.bucket', only: true },
  // IAM
  { type: 'iam-quarantine', name: 'an S3 bucket ARN', inputs: { 'aws.resource.arn': bucketArn }, path: 'inputs.aws.resource.arn', message: /^must be the ARN of an IAM user or an IAM role, .*; it is an S3 bucket ARN$/, only: true },
  { type: 'iam-quarantine', name: 'not an ARN', inputs: { 'aws.resource.arn': 'alice' }, path: 'inputs.aws.resource.arn', message: /"alice" is not an ARN/, only: true },
  { type: 'iam-quarantine', name: 'an ISO-partition ARN', inputs: { 'aws.resource.arn': 'arn:aws-iso:iam::123456789012:user/alice' }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'iam-quarantine', name: 'an IAM ARN with a region', inputs: { 'aws.resource.arn': 'arn:aws:iam:us-east-1:123456789012:user/alice' }, path: 'inputs.aws.resource.arn', message: /IAM is global/, only: true },
  { type: 'iam-quarantine', name: 'an IAM policy ARN', inputs: { 'aws.resource.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, path: 'inputs.aws.resource.arn', message: /it is an IAM policy ARN/, only: true },
  { type: 'iam-quarantine', name: 'an account id next to the ARN', inputs: { 'aws.resource.arn': userArn, 'aws.account.id': '123456789012' }, path: 'inputs.aws.account.id', message: 'is not an input of iam-quarantine; it accepts: aws.resource.arn', only: true },
  { type: 'iam-quarantine', name: 'the ARN as a number', inputs: { 'aws.resource.arn': 123456789012 }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'iam-unquarantine', name: 'an EC2 instance ARN', inputs: { 'aws.resource.arn': instanceArn }, path: 'inputs.aws.resource.arn', message: /it is an EC2 instance ARN$/, only: true },
  { type: 'revoke-iam-role-sessions', name: 'an IAM user ARN', inputs: { 'aws.resource.arn': userArn }, path: 'inputs.aws.resource.arn', message: /^must be the ARN of an IAM role, .*; it is an IAM user ARN$/, only: true },
  { type: 'restore-iam-role-sessions', name: 'an IAM user ARN', inputs: { 'aws.resource.arn': userArn }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'deactivate-access-keys', name: 'an IAM role ARN', inputs: { 'aws.resource.arn': roleArn }, path: 'inputs.aws.resource.arn', message: /^must be the ARN of an IAM user, .*; it is an IAM role ARN$/, only: true },
  { type: 'reactivate-access-keys', name: 'an IAM role ARN', inputs: { 'aws.resource.arn': roleArn }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'deactivate-access-keys', name: 'an IAM user name too long', inputs: { 'aws.resource.arn': `arn:aws:iam::123456789012:user/${'a'.repeat(65)}` }, path: 'inputs.aws.resource.arn', only: true },
  // S3 and RDS
  { type: 'make-cloud-resource-private', name: 'an S3 bucket without account or region', inputs: { 'aws.resource.arn': bucketArn }, path: 'inputs.aws.account.id', message: /^is required: arn:aws:s3:::evidence-2026 does not say which account/ },
  { type: 'make-cloud-resource-private', name: 'an S3 bucket without a region', inputs: { 'aws.resource.arn': bucketArn, 'aws.account.id': '123456789012' }, path: 'inputs.aws.region', message: /^is required: .* does not say which region/, only: true },
  { type: 'make-cloud-resource-private', name: 'an S3 bucket without an account', inputs: { 'aws.resource.arn': bucketArn, 'aws.region': 'eu-west-1' }, path: 'inputs.aws.account.id', only: true },
  { type: 'make-cloud-resource-private', name: 'an S3 object ARN', inputs: { 'aws.resource.arn': `${bucketArn}/secrets.txt`, 'aws.account.id': '123456789012', 'aws.region': 'eu-west-1' }, path: 'inputs.aws.resource.arn', message: /S3 object ARN/, only: true },
  { type: 'make-cloud-resource-private', name: 'an S3 ARN with a bad bucket name', inputs: { 'aws.resource.arn': 'arn:aws:s3:::Evidence', 'aws.account.id': '123456789012', 'aws.region': 'eu-west-1' }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'make-cloud-resource-private', name: 'a China bucket with a commercial region', inputs: { 'aws.resource.arn': 'arn:aws-cn:s3:::logs', 'aws.account.id': '123456789012', 'aws.region': 'us-east-1' }, path: 'inputs.aws.region', message: /not a region of the ARN's partition aws-cn/, only: true },
  { type: 'make-cloud-resource-private', name: 'an RDS ARN with another region', inputs: { 'aws.resource.arn': dbArn, 'aws.region': 'eu-west-2' }, path: 'inputs.aws.region', message: 'is eu-west-2 but the ARN is in region eu-west-1; leave aws.region out or give the same region', only: true },
  { type: 'make-cloud-resource-private', name: 'an RDS ARN with another account', inputs: { 'aws.resource.arn': dbArn, 'aws.account.id': '210987654321' }, path: 'inputs.aws.account.id', message: 'is 210987654321 but the ARN is in account 123456789012; leave aws.account.id out or give the same account', only: true },
  { type: 'make-cloud-resource-private', name: 'an RDS cluster ARN', inputs: { 'aws.resource.arn': 'arn:aws:rds:eu-west-1:123456789012:cluster:orders' }, path: 'inputs.aws.resource.arn', message: /^must be the ARN of an S3 bucket or an RDS DB instance, .*; it is an RDS cluster ARN$/, only: true },
  { type: 'make-cloud-resource-private', name: 'an IAM role ARN', inputs: { 'aws.resource.arn': roleArn }, path: 'inputs.aws.resource.arn', message: /it is an IAM role ARN$/, only: true },
  { type: 'make-cloud-resource-private', name: 'a malformed region', inputs: { 'aws.resource.arn': bucketArn, 'aws.account.id': '123456789012', 'aws.region': 'us-east1' }, path: 'inputs.aws.region', message: /AWS region code such as us-east-1/, only: true },
  { type: 'make-cloud-resource-private', name: 'an 11-digit account', inputs: { 'aws.resource.arn': bucketArn, 'aws.account.id': '12345678901', 'aws.region': 'eu-west-1' }, path: 'inputs.aws.account.id', message: /12-digit AWS account id/, only: true },
  { type: 'make-cloud-resource-private', name: 'an account as a number', inputs: { 'aws.resource.arn': bucketArn, 'aws.account.id': 123456789012, 'aws.region': 'eu-west-1' }, path: 'inputs.aws.account.id', only: true },
  { type: 'undo-make-cloud-resource-private', name: 'an S3 bucket without account or region', inputs: { 'aws.resource.arn': bucketArn }, path: 'inputs.aws.region' },
  { type: 'undo-make-cloud-resource-private', name: 'an RDS ARN whose region is not in its partition', inputs: { 'aws.resource.arn': 'arn:aws:rds:cn-north-1:123456789012:db:orders' }, path: 'inputs.aws.resource.arn', message: /region cn-north-1 is not in partition aws/, only: true },
  // EC2
  { type: 'cloud-volume-snapshot', name: 'an EBS volume ARN', inputs: { 'aws.resource.arn': 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0' }, path: 'inputs.aws.resource.arn', message: /^must be the ARN of an EC2 instance, .*; it is an EC2 volume ARN$/, only: true },
  { type: 'cloud-volume-snapshot', name: 'a bad instance id', inputs: { 'aws.resource.arn': 'arn:aws:ec2:eu-west-1:123456789012:instance/i-xyz' }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'undo-cloud-volume-snapshot', name: 'an empty snapshot list', inputs: { 'aws.resource.arn': instanceArn, 'aws.ebs.snapshot.ids': [] }, path: 'inputs.aws.ebs.snapshot.ids', message: /must list at least one EBS snapshot id/, only: true },
  { type: 'undo-cloud-volume-snapshot', name: 'a short snapshot id', inputs: { 'aws.resource.arn': instanceArn, 'aws.ebs.snapshot.ids': ['snap-123'] }, path: 'inputs.aws.ebs.snapshot.ids[0]', message: /snap- and 8 or 17/, only: true },
  { type: 'undo-cloud-volume-snapshot', name: 'a snapshot listed twice', inputs: { 'aws.resource.arn': instanceArn, 'aws.ebs.snapshot.ids': ['snap-89abcdef', 'snap-89abcdef'] }, path: 'inputs.aws.ebs.snapshot.ids', message: /lists snap-89abcdef more than once/, only: true },
  { type: 'undo-cloud-volume-snapshot', name: 'one snapshot id, not a list', inputs: { 'aws.resource.arn': instanceArn, 'aws.ebs.snapshot.ids': 'snap-89abcdef' }, path: 'inputs.aws.ebs.snapshot.ids', message: /list of EBS snapshot ids/, only: true },
  { type: 'undo-cloud-volume-snapshot', name: 'an S3 bucket ARN', inputs: { 'aws.resource.arn': bucketArn }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'isolate-ec2-instance', name: 'an S3 bucket ARN', inputs: { 'aws.resource.arn': bucketArn }, path: 'inputs.aws.resource.arn', message: /it is an S3 bucket ARN$/, only: true },
  { type: 'isolate-ec2-instance', name: 'an instance ARN without a region', inputs: { 'aws.resource.arn': 'arn:aws:ec2::123456789012:instance/i-0123456789abcdef0' }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'detach-instance-profile', name: 'an IAM role ARN', inputs: { 'aws.resource.arn': 'arn:aws:iam::123456789012:role/app' }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'restore-instance-profile', name: 'an S3 bucket ARN', inputs: { 'aws.resource.arn': bucketArn }, path: 'inputs.aws.resource.arn', only: true },
  { type: 'unisolate-ec2-instance', name: 'an RDS ARN', inputs: { 'aws.resource.arn': dbArn }, path: 'inputs.aws.resource.arn', message: /it is an RDS DB instance ARN$/, only: true },
  // get-logs
  {
    type: 'get-logs',
    name: 'mixed forms',
    inputs: { 'host.id': 'node-7', 'container.id': 'abc', ...pod },
    path: 'inputs.kubernetes.cluster.name',
    message:
      'cannot be combined with host.id and container.id: get-logs takes either the host form (host.id and container.id) or the Kubernetes form (kubernetes.cluster.name, kubernetes.namespace.name and kubernetes.pod.name), not inputs of both',
    only: true,
  },
  { type: 'get-logs', name: 'a host with a pod name', inputs: { 'host.id': 'node-7', 'kubernetes.pod.name': 'api-0' }, path: 'inputs.kubernetes.pod.name', message: /^cannot be combined with host\.id: /, only: true },
  { type: 'get-logs', name: 'a host without a container', inputs: { 'host.id': 'node-7' }, path: 'inputs.container.id', message: 'is required for the host form (host.id and container.id)', only: true },
  { type: 'get-logs', name: 'a container without a host', inputs: { 'container.id': 'abc' }, path: 'inputs.host.id', message: 'is required for the host form (host.id and container.id)', only: true },
  { type: 'get-logs', name: 'a pod without a namespace', inputs: { 'kubernetes.cluster.name': 'prod-eu', 'kubernetes.pod.name': 'api-0' }, path: 'inputs.kubernetes.namespace.name', message: /^is required for the Kubernetes form \(kubernetes\.cluster\.name, kubernetes\.namespace\.name and kubernetes\.pod\.name\)$/, only: true },
  { type: 'get-logs', name: 'no form at all', inputs: { previous: true }, path: 'inputs.host.id', message: /^is required: give the host form .* or the Kubernetes form/, only: true },
  { type: 'get-logs', name: 'allContainers in the host form', inputs: { 'host.id': 'node-7', 'container.id': 'abc', allContainers: true }, path: 'inputs.allContainers', message: /^only applies to the Kubernetes form/, only: true },
  { type: 'get-logs', name: 'a Kubernetes container in the host form', inputs: { 'host.id': 'node-7', 'container.id': 'abc', 'kubernetes.container.name': 'app' }, path: 'inputs.kubernetes.container.name', only: true },
  { type: 'get-logs', name: 'allContainers with one container', inputs: { ...pod, allContainers: true, 'kubernetes.container.name': 'app' }, path: 'inputs.allContainers', message: /cannot be true together with kubernetes\.container\.name/, only: true },
  { type: 'get-logs', name: 'allContainers as a string', inputs: { ...pod, allContainers: 'yes' }, path: 'inputs.allContainers', message: 'must be true or false', only: true },
  { type: 'get-logs', name: 'only Kubernetes options', inputs: { allContainers: true }, path: 'inputs.kubernetes.cluster.name', message: /^is required for the Kubernetes form/ },
  // fetch-cloud-logs
  { type: 'fetch-cloud-logs', name: 'a reversed window', inputs: { ...cloudTrail, fromTimestamp: '2026-11-20T00:00:00Z', toTimestamp: '2026-11-19T00:00:00Z' }, path: 'inputs.fromTimestamp', message: 'must be before toTimestamp (2026-11-19T00:00:00Z)', only: true },
  { type: 'fetch-cloud-logs', name: 'an empty window across zones', inputs: { ...cloudTrail, fromTimestamp: '2026-11-20T01:00:00+01:00', toTimestamp: '2026-11-20T00:00:00Z' }, path: 'inputs.fromTimestamp', only: true },
  { type: 'fetch-cloud-logs', name: 'a start 91 days ago', inputs: { ...cloudTrail, fromTimestamp: '2026-08-21T12:00:00Z' }, path: 'inputs.fromTimestamp', message: /^is more than 90 days before now \(2026-11-20T12:00:00\.000Z\); CloudTrail event history keeps 90 days/, only: true },
  { type: 'fetch-cloud-logs', name: 'an end in the future', inputs: { ...cloudTrail, toTimestamp: '2026-11-20T12:00:01Z' }, path: 'inputs.toTimestamp', message: /^is in the future \(now is 2026-11-20T12:00:00\.000Z\)/, only: true },
  { type: 'fetch-cloud-logs', name: 'no identity', inputs: { ...cloudTrail, 'ct.user': undefined }, path: 'inputs.ct.user', message: 'is required: give ct.user, ct.user.arn or both', only: true },
  { type: 'fetch-cloud-logs', name: 'a lower-case identity type', inputs: { ...cloudTrail, 'ct.user.identitytype': 'iamuser' }, path: 'inputs.ct.user.identitytype', message: /^must be one of CloudTrail's userIdentity types: Root, IAMUser, AssumedRole, /, only: true },
  { type: 'fetch-cloud-logs', name: 'an S3 ARN as the identity', inputs: { ...cloudTrail, 'ct.user.arn': bucketArn }, path: 'inputs.ct.user.arn', message: /IAM or STS identity/, only: true },
  { type: 'fetch-cloud-logs', name: 'a user name with a space', inputs: { ...cloudTrail, 'ct.user': 'alice smith' }, path: 'inputs.ct.user', only: true },
  { type: 'fetch-cloud-logs', name: 'a date without a time', inputs: { ...cloudTrail, fromTimestamp: '2026-11-19' }, path: 'inputs.fromTimestamp', only: true },
  { type: 'fetch-cloud-logs', name: 'no account', inputs: { ...cloudTrail, 'aws.account.id': undefined }, path: 'inputs.aws.account.id', message: 'is required', only: true },
  { type: 'fetch-cloud-logs', name: 'no region', inputs: { ...cloudTrail, 'aws.region': undefined }, path: 'inputs.aws.region', message: 'is required', only: true },
  { type: 'fetch-cloud-logs', name: 'no window', inputs: { ...cloudTrail, fromTimestamp: undefined, toTimestamp: undefined }, path: 'inputs.toTimestamp' },
];
