/**
 * The six built-in playbooks (API.md "Playbooks"), written in the PLAYBOOKS file's own form and
 * checked by the same code as a custom file, so a built-in can never hold what a file may not.
 * They are TypeScript rather than a shipped YAML file: every bundle carries them without reading
 * a file, the compiler checks their shape, and GET /v1/playbooks shows them to anyone who asks.
 */
import type { PlaybookAsWritten } from './file-schema.ts';

const arn = { input: 'aws.resource.arn' } as const;
const hostId = { input: 'host.id' } as const;
const containerId = { input: 'container.id' } as const;
const cluster = { input: 'kubernetes.cluster.name' } as const;
const namespace = { input: 'kubernetes.namespace.name' } as const;
const pvcNames = 'kubernetes.persistentvolume.claim.name';
const onHostContainer = { 'host.id': hostId, 'container.id': containerId };
const onPod = { 'kubernetes.cluster.name': cluster, 'kubernetes.namespace.name': namespace, 'kubernetes.pod.name': { input: 'kubernetes.pod.name' } };
const onWorkload = {
  'kubernetes.cluster.name': cluster,
  'kubernetes.namespace.name': namespace,
  'kubernetes.workload.name': { input: 'kubernetes.workload.name' },
  'kubernetes.workload.type': { input: 'kubernetes.workload.type' },
};
const clusterInputs = [
  { name: 'kubernetes.cluster.name', required: true },
  { name: 'kubernetes.namespace.name', required: true },
] as const;
const workloadInputs = [
  { name: 'kubernetes.workload.name', required: true },
  { name: 'kubernetes.workload.type', required: true },
] as const;

export const builtInPlaybooksAsWritten: readonly PlaybookAsWritten[] = [
  {
    name: 'aws-credential-compromise',
    title: 'AWS credential compromise',
    description:
      "Reads the identity's CloudTrail events for the window, then quarantines the IAM user or role (a deny-all policy), deactivates a user's access keys or revokes a role's sessions. Undoing the run releases them; the CloudTrail evidence stays.",
    inputs: [
      { name: 'aws.resource.arn', required: true, description: 'The IAM user or role whose credentials are compromised.' },
      { name: 'fromTimestamp', description: 'Start of the CloudTrail window (RFC 3339); 24 hours before the run when absent.', default: { secondsAgo: 86_400 } },
      { name: 'toTimestamp', description: 'End of the CloudTrail window (RFC 3339); the run\'s creation when absent.', default: { secondsAgo: 0 } },
      // IAM and STS are global services and record their events in us-east-1.
      { name: 'aws.region', description: 'The region whose CloudTrail to read; us-east-1 (where IAM and STS log) when absent.', default: { value: 'us-east-1' } },
    ],
    steps: [
      {
        id: 'cloudtrail',
        type: 'fetch-cloud-logs',
        inputs: {
          'aws.account.id': { input: 'aws.resource.arn', part: 'arn.account' },
          'aws.region': { input: 'aws.region' },
          'ct.user.arn': arn,
          fromTimestamp: { input: 'fromTimestamp' },
          toTimestamp: { input: 'toTimestamp' },
        },
      },
      { id: 'quarantine', type: 'iam-quarantine', inputs: { 'aws.resource.arn': arn } },
      { id: 'access-keys', type: 'deactivate-access-keys', inputs: { 'aws.resource.arn': arn }, when: [{ matches: { input: 'aws.resource.arn', glob: 'arn:*:iam::*:user/*' } }] },
      { id: 'role-sessions', type: 'revoke-iam-role-sessions', inputs: { 'aws.resource.arn': arn }, when: [{ matches: { input: 'aws.resource.arn', glob: 'arn:*:iam::*:role/*' } }] },
    ],
  },
  {
    name: 'container-compromise',
    title: 'Container compromise',
    description:
      "Secures the container's logs, its processes and network connections, the suspicious file and the pod's volumes when given, then pauses the container (or kills it when asked). Undoing the run unpauses it; the evidence stays.",
    inputs: [
      { name: 'host.id', required: true },
      { name: 'container.id', required: true },
      { name: 'path.absolute', description: 'A suspicious file inside the container to acquire as evidence.' },
      { name: 'kubernetes.cluster.name', description: 'The cluster of the pod whose volumes to snapshot.' },
      { name: 'kubernetes.namespace.name', description: 'The namespace of the pod whose volumes to snapshot.' },
      { name: pvcNames, description: 'The PersistentVolumeClaims to snapshot (one or a list); no snapshot when absent.' },
      { name: 'container.action', default: { value: 'pause' } },
    ],
    steps: [
      { id: 'logs', type: 'get-logs', inputs: onHostContainer },
      { id: 'processes', type: 'capture-process-state', inputs: onHostContainer },
      { id: 'file', type: 'acquire-file', inputs: { ...onHostContainer, 'path.absolute': { input: 'path.absolute' } }, when: [{ present: 'path.absolute' }] },
      {
        id: 'volumes',
        type: 'kubernetes-volume-snapshot',
        inputs: { 'kubernetes.cluster.name': cluster, 'kubernetes.namespace.name': namespace, [pvcNames]: { input: pvcNames } },
        when: [{ present: pvcNames }],
      },
      { id: 'pause', type: 'pause-container', inputs: onHostContainer, when: [{ equals: { input: 'container.action', value: 'pause' } }] },
      { id: 'kill', type: 'kill-container', inputs: onHostContainer, when: [{ equals: { input: 'container.action', value: 'kill' } }] },
    ],
  },
  {
    name: 'network-exfiltration',
    title: 'Network exfiltration from a pod',
    description:
      "Secures the pod's logs and state and snapshots its volumes (those given, else those its state names), then cuts the workload's network with a deny-all NetworkPolicy. Undoing the run deletes the policy; the evidence stays.",
    inputs: [
      ...clusterInputs,
      { name: 'kubernetes.pod.name', required: true },
      ...workloadInputs,
      { name: pvcNames, description: "The PersistentVolumeClaims to snapshot (one or a list); those the pod's state names when absent." },
    ],
    steps: [
      { id: 'logs', type: 'get-logs', inputs: onPod },
      { id: 'pod-state', type: 'capture-pod-state', inputs: onPod },
      {
        id: 'volumes',
        type: 'kubernetes-volume-snapshot',
        inputs: {
          'kubernetes.cluster.name': cluster,
          'kubernetes.namespace.name': namespace,
          [pvcNames]: { firstOf: [{ input: pvcNames }, { step: 'pod-state', result: 'persistentVolumeClaims' }] },
        },
        when: [{ anyOf: [{ present: pvcNames }, { resultPresent: { step: 'pod-state', result: 'persistentVolumeClaims' } }] }],
      },
      { id: 'isolate', type: 'isolate-network', inputs: onWorkload },
    ],
  },
  {
    name: 'suspicious-file',
    title: 'Suspicious file',
    description: 'Acquires the file as evidence, then moves it into quarantine. Undoing the run puts it back; the evidence stays.',
    inputs: [{ name: 'host.id', required: true }, { name: 'path.absolute', required: true }, { name: 'container.id' }],
    steps: [
      { id: 'acquire', type: 'acquire-file', inputs: { 'host.id': hostId, 'path.absolute': { input: 'path.absolute' }, 'container.id': containerId } },
      { id: 'quarantine', type: 'file-quarantine', inputs: { 'host.id': hostId, 'path.absolute': { input: 'path.absolute' }, 'container.id': containerId } },
    ],
  },
  {
    name: 'ec2-instance-compromise',
    title: 'EC2 instance compromise',
    description: "Snapshots the instance's EBS volumes, then isolates it in a security group that allows nothing. Undoing the run restores its security groups; the snapshots stay.",
    inputs: [{ name: 'aws.resource.arn', required: true, description: 'The compromised EC2 instance.' }],
    steps: [
      { id: 'snapshot', type: 'cloud-volume-snapshot', inputs: { 'aws.resource.arn': arn } },
      { id: 'isolate', type: 'isolate-ec2-instance', inputs: { 'aws.resource.arn': arn } },
    ],
  },
  {
    name: 'kubernetes-workload-breach',
    title: 'Kubernetes workload breach',
    description:
      "Cuts the workload's network first, captures the pod's state and logs, then scales the workload to zero rather than deleting anything. Undoing the run restores the scale and deletes the policy; the evidence stays.",
    inputs: [...clusterInputs, ...workloadInputs, { name: 'kubernetes.pod.name', required: true }],
    steps: [
      { id: 'isolate', type: 'isolate-network', inputs: onWorkload },
      { id: 'pod-state', type: 'capture-pod-state', inputs: onPod },
      { id: 'logs', type: 'get-logs', inputs: onPod },
      { id: 'scale', type: 'scale-workload', inputs: { ...onWorkload, 'kubernetes.workload.replicas': { value: 0 } } },
    ],
  },
];
