/** Reports as the host and Kubernetes responders build them (with their own helpers), for the report-schema tests. */
import type { JsonObject } from '#shared/json.ts';
import { boundedList } from '#shared/responders/report-schemas/common.ts';
import { defaultCaptureLimits } from '../../../responders/host/capture-limits.ts';
import { containerApplied, containerJson } from '../../../responders/host/container-target.ts';
import type { ContainerInfo } from '../../../responders/host/containers/runtime.ts';
import { denyPolicyApis, networkPolicyApi } from '../../../responders/kubernetes/deny-policies.ts';
import { defeatingJson, exceptionJson } from '../../../responders/kubernetes/network-policies.ts';
import { nodeStateJson } from '../../../responders/kubernetes/nodes.ts';
import { policyRef, policyRefJson } from '../../../responders/kubernetes/policy-store.ts';
import { selectorJson } from '../../../responders/kubernetes/selectors.ts';
import { ownerChainJson } from '../../../responders/kubernetes/workloads.ts';
import { quarantineReport } from '#test/support/responder-harness.ts';

const where = { 'kubernetes.cluster.name': 'prod', 'kubernetes.namespace.name': 'payments' };
export const workload = { ...where, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment' };
export const docker: ContainerInfo = {
  runtime: 'docker',
  id: `c0ffee${'0'.repeat(58)}`,
  name: 'web',
  namespace: null,
  status: 'running',
  running: true,
  paused: false,
  pid: 4242,
  image: 'registry.example.com/team/web:1.27@sha256:' + 'a'.repeat(64),
  startedAt: '2026-03-01T12:00:00Z',
  restartPolicy: 'unless-stopped',
  mergedDir: null,
  tty: false,
};
export const nodeInputs = { 'kubernetes.cluster.name': 'prod', 'kubernetes.node.name': 'ip-10-0-12-34.eu-west-1.compute.internal' };
export const nodeState = (unschedulable: boolean) => nodeStateJson({ name: 'ip-10-0-12-34.eu-west-1.compute.internal', uid: 'n-1', unschedulable, resourceVersion: '771204' });
export const cordonReport = {
  prior: nodeState(false),
  applied: { unschedulable: { from: false, to: true } },
  result: { node: 'ip-10-0-12-34.eu-west-1.compute.internal', previouslyUnschedulable: false, unschedulable: true, changed: true },
};
const ownerChain = ownerChainJson([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-6c9d5b7f4', uid: 'u-1', state: 'read' }]);
const networkPolicy = policyRefJson(policyRef(networkPolicyApi, 'ra-isolate-api-1a2b3c4d', 'payments'));
const denyPolicy = policyRefJson(policyRef(denyPolicyApis.AdminNetworkPolicy, 'ra-deny-payments-api-1a2b3c4d', 'payments'));

const evidenceObject = (name: string) => ({ name, sha256: 'a'.repeat(64), size: 1200 });

/** capture-process-state's result as the host responder builds it, for the host (null) or for a container. */
export function processStateResult(container: ContainerInfo | null): JsonObject {
  return {
    scope: container === null ? 'host' : 'container',
    containerId: container?.id ?? null,
    container: container === null ? null : containerJson(container),
    capturedAt: '2026-12-05T16:00:00.000Z',
    bootTime: '2026-12-05T08:05:09.000Z',
    processes: { count: 137, listed: 137, vanished: 1, unreadable: 0, truncated: false },
    sockets: { count: 12, listed: 12, namespaces: 2, unreadableLines: 0, truncated: false },
    evidence: {
      processes: evidenceObject('process-state-host-processes.json'),
      processesText: evidenceObject('process-state-host-processes.txt'),
      sockets: evidenceObject('process-state-host-sockets.json'),
      socketsText: evidenceObject('process-state-host-sockets.txt'),
    },
    limits: { ...defaultCaptureLimits },
    notes: ['1 processes exited (or their pid was reused) while they were read; they are not listed'],
  };
}

/** Reports as responders/host and responders/kubernetes build them, one genuine example per type. */
export const genuine: readonly (readonly [string, 'host' | 'kubernetes', Readonly<Record<string, unknown>>, JsonObject])[] = [
  ['file-quarantine', 'host', { 'path.absolute': '/srv/app/dropper' }, quarantineReport('/srv/app/dropper', 'a-1')],
  [
    'stop-container',
    'host',
    { 'container.id': 'c0ffee' },
    {
      prior: containerJson(docker),
      applied: containerApplied(docker, { stopped: true }),
      result: { ...containerJson(docker), changed: true, gracePeriodSeconds: 10, statusBefore: 'running', statusAfter: 'exited', notes: ['it is running again already: its restart policy is unless-stopped'] },
    },
  ],
  ['start-container', 'host', { 'container.id': 'c0ffee' }, { applied: { containerId: docker.id, started: false }, result: { containerId: docker.id, changed: false, reason: 'already stopped' } }],
  ['pause-container', 'host', { 'container.name': 'web' }, { prior: containerJson(docker), applied: containerApplied(docker, { paused: true }), result: { ...containerJson(docker), changed: true, statusBefore: 'running', statusAfter: 'paused' } }],
  ['kill-container', 'host', { 'container.id': 'c0ffee' }, { prior: containerJson(docker), applied: { containerId: docker.id, runtime: 'docker', signal: 'SIGKILL' }, result: { ...containerJson(docker), signal: 'SIGKILL', statusBefore: 'running', statusAfter: 'removed', notes: [] } }],
  ['capture-process-state', 'host', { 'host.id': 'node-7' }, { result: processStateResult(null) }],
  ['capture-process-state', 'host', { 'host.id': 'node-7', 'container.id': 'c0ffee' }, { result: processStateResult(docker) }],
  ['get-logs', 'host', { 'container.id': 'c0ffee' }, { result: { ...containerJson(docker), evidence: { name: 'logs-docker.txt', sha256: 'b'.repeat(64), size: 12 }, truncated: false, source: 'docker json-file', notes: [] } }],
  [
    'delete-pod',
    'kubernetes',
    { ...where, 'kubernetes.pod.name': 'api-6c9d5b7f4-x2k8q' },
    {
      prior: { pod: { name: 'api-6c9d5b7f4-x2k8q', namespace: 'payments', uid: 'p-1', phase: 'Running', nodeName: 'node-7', ownerChain } },
      applied: { deleted: [{ kind: 'Pod', namespace: 'payments', name: 'api-6c9d5b7f4-x2k8q', uid: 'p-1' }] },
      result: { deleted: true, pod: 'api-6c9d5b7f4-x2k8q', uid: 'p-1', replacementExpected: true, controller: { kind: 'ReplicaSet', name: 'api-6c9d5b7f4' } },
    },
  ],
  [
    'isolate-network',
    'kubernetes',
    workload,
    {
      prior: { workload: { kind: 'Deployment', name: 'api', namespace: 'payments', uid: 'w-1' }, pods: boundedList(['api-1']), allowingPolicies: boundedList(defeatingJson([{ name: 'allow-web', directions: ['Ingress'], allowsAllIn: [] }])) },
      applied: { policies: [networkPolicy, denyPolicy] },
      result: {
        policy: networkPolicy,
        denyPolicy: { ...denyPolicy, covers: ['Ingress', 'Egress'] },
        denyPolicyApi: 'policy.networking.k8s.io/v1alpha1',
        directions: ['Ingress', 'Egress'],
        exception: exceptionJson({ cidr: null, protocol: 'TCP', port: 53 }),
        selector: selectorJson({ matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }),
        pods: boundedList(['api-1']),
        defeatingPolicies: boundedList([]),
        isolationHolds: true,
        limitations: [],
      },
    },
  ],
  ['delete-network-policy', 'kubernetes', { ...where, 'kubernetes.networkpolicy.name': 'ra-isolate-api-1a2b3c4d' }, {
    prior: { policies: [{ ...networkPolicy, uid: 'n-1', present: true }] },
    applied: { deleted: [networkPolicy] },
    result: { policies: [{ ...networkPolicy, outcome: 'deleted' }] },
  }],
  ['kubernetes-volume-snapshot', 'kubernetes', { ...where, 'kubernetes.persistentvolume.claim.name': ['data'] }, {
    prior: { pvcs: [{ name: 'data', uid: 'v-1', phase: 'Bound', volumeName: 'pv-1', storageClassName: 'gp3', capacity: '10Gi' }] },
    applied: { snapshots: [{ name: 'ra-snap-data-1a2b', namespace: 'payments', pvc: 'data', uid: 's-1' }] },
    result: {
      snapshots: [{ pvc: 'data', snapshot: 'ra-snap-data-1a2b', volumeSnapshotClassName: 'csi-aws', readyToUse: true, restoreSize: '10Gi', boundVolumeSnapshotContentName: 'snapcontent-1', creationTime: '2026-03-01T12:00:05Z', error: null }],
      ready: 1,
      failed: 0,
    },
  }],
  ['kubernetes-delete-volume-snapshot', 'kubernetes', { ...where, 'kubernetes.volumesnapshot.name': ['ra-snap-data-1a2b'] }, {
    prior: { snapshots: [{ name: 'ra-snap-data-1a2b', present: true, uid: 's-1', pvc: 'data', readyToUse: true, boundVolumeSnapshotContentName: 'snapcontent-1' }] },
    applied: { deleted: ['ra-snap-data-1a2b'] },
    result: { snapshots: [{ name: 'ra-snap-data-1a2b', outcome: 'deleted' }] },
  }],
  ['rollout-restart', 'kubernetes', workload, {
    prior: { restartedAt: null, generation: 4, updateStrategy: 'RollingUpdate' },
    applied: { annotation: 'kubectl.kubernetes.io/restartedAt', value: '2026-03-01T12:00:00Z' },
    result: { workload: { kind: 'Deployment', name: 'api', namespace: 'payments' }, restartedAt: '2026-03-01T12:00:00Z', previousRestartedAt: null, generation: 5, rollsPods: true },
  }],
  ['scale-workload', 'kubernetes', { ...workload, 'kubernetes.workload.replicas': 0 }, {
    prior: { replicas: 3, currentReplicas: 3 },
    applied: { replicas: { from: 3, to: 0 } },
    result: { workload: { type: 'deployment', name: 'api', namespace: 'payments' }, replicas: 0, previousReplicas: 3, changed: true },
  }],
  ['restore-workload-scale', 'kubernetes', workload, {
    prior: { replicas: 0, currentReplicas: 0 },
    applied: { replicas: { from: 0, to: 3 } },
    result: { workload: { type: 'deployment', name: 'api', namespace: 'payments' }, replicas: 3, previousReplicas: 0, drift: null, changed: true },
  }],
  ['capture-pod-state', 'kubernetes', { ...where, 'kubernetes.pod.name': 'api-1' }, {
    result: {
      evidence: { name: 'pod-state.json', sha256: 'c'.repeat(64), size: 2048 },
      pod: { name: 'api-1', namespace: 'payments', uid: 'p-1', phase: 'Running', nodeName: 'node-7' },
      events: 3,
      ownerChain,
      secretsReferenced: [{ name: 'db', via: ['env api/DB_PASSWORD'] }],
      persistentVolumeClaims: ['data-web-0'],
    },
  }],
  ['cordon-node', 'kubernetes', nodeInputs, cordonReport],
  ['cordon-node', 'kubernetes', nodeInputs, { prior: nodeState(true), result: { ...cordonReport.result, previouslyUnschedulable: true, changed: false } }],
  ['uncordon-node', 'kubernetes', nodeInputs, {
    prior: nodeState(true),
    applied: { unschedulable: { from: true, to: false } },
    result: { node: 'ip-10-0-12-34.eu-west-1.compute.internal', previouslyUnschedulable: true, drift: null, unschedulable: false, changed: true },
  }],
  ['uncordon-node', 'kubernetes', nodeInputs, {
    prior: nodeState(false),
    result: { node: 'ip-10-0-12-34.eu-west-1.compute.internal', previouslyUnschedulable: false, drift: { expected: true, actual: false }, unschedulable: false, changed: false },
  }],
  ['get-logs', 'kubernetes', { ...where, 'kubernetes.pod.name': 'api-1' }, {
    result: { pod: 'api-1', namespace: 'payments', previous: false, containers: ['api'], evidence: [{ container: 'api', name: 'logs-api.txt', sha256: 'd'.repeat(64), size: 10, truncated: false }], failures: [] },
  }],
];

export const action = (type: string, executor: string, inputs: Readonly<Record<string, unknown>>) => ({ type, executor, inputs });
