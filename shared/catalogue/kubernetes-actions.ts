/** Action types a cluster responder carries out inside one Kubernetes cluster. */
import {
  kubernetesClusterName,
  kubernetesNamespaceName,
  kubernetesNetworkPolicyName,
  kubernetesNodeName,
  kubernetesPersistentVolumeClaimNames,
  kubernetesPodName,
  kubernetesVolumeSnapshotNames,
  kubernetesWorkloadName,
  kubernetesWorkloadReplicas,
  kubernetesWorkloadType,
  kubernetesWorkloadTypes,
  networkCidr,
  networkDirection,
  networkPort,
  networkProtocol,
} from './fields.ts';
import type { KubernetesWorkloadType } from './fields.ts';
import { requiredText, textList } from './read-inputs.ts';
import { kubernetesNodeResource, kubernetesResource } from './resource-keys.ts';
import type { KubernetesKind } from './resource-keys.ts';
import { inputsSchema, requiresWith } from './rules.ts';
import type { ReportInputError } from './rules.ts';
import type { ActionInputs, ActionTypeDefinition } from './types.ts';

const inCluster = () => 'kubernetes' as const;

function isWorkloadType(value: string): value is KubernetesWorkloadType {
  return (kubernetesWorkloadTypes as readonly string[]).includes(value);
}

function resourceOf(inputs: ActionInputs, kind: KubernetesKind, nameInput: string) {
  return kubernetesResource(
    requiredText(inputs, 'kubernetes.cluster.name'),
    requiredText(inputs, 'kubernetes.namespace.name'),
    kind,
    requiredText(inputs, nameInput),
  );
}

function podOf(inputs: ActionInputs) {
  return [resourceOf(inputs, 'pod', 'kubernetes.pod.name')];
}

/** The workload's key uses its type as the kind: `k8s/<cluster>/<ns>/deployment/<name>`. */
function workloadOf(inputs: ActionInputs) {
  const type = requiredText(inputs, 'kubernetes.workload.type');
  if (!isWorkloadType(type)) throw new TypeError(`kubernetes.workload.type ${type} was never validated`);
  return [resourceOf(inputs, type, 'kubernetes.workload.name')];
}

/** One resource per listed name, in input order. */
function eachOf(inputs: ActionInputs, kind: KubernetesKind, nameInput: string) {
  const cluster = requiredText(inputs, 'kubernetes.cluster.name');
  const namespace = requiredText(inputs, 'kubernetes.namespace.name');
  return textList(inputs, nameInput).map((name) => kubernetesResource(cluster, namespace, kind, name));
}

const podInputs = inputsSchema({
  'kubernetes.cluster.name': kubernetesClusterName,
  'kubernetes.namespace.name': kubernetesNamespaceName,
  'kubernetes.pod.name': kubernetesPodName,
});

export const deletePod: ActionTypeDefinition = {
  type: 'delete-pod',
  title: 'Delete pod',
  description: 'Deletes a pod; a controller that owns it starts a fresh one.',
  category: 'containment',
  effect: 'destructive',
  executors: ['kubernetes'],
  undoType: null,
  inputs: podInputs,
  executorFor: inCluster,
  resourcesOf: podOf,
};

export const isolateNetwork: ActionTypeDefinition = {
  type: 'isolate-network',
  title: 'Isolate workload network',
  description:
    "Applies a deny-all NetworkPolicy to a workload's pods, in one direction or both, with an optional allowed exception; delete-network-policy undoes it.",
  category: 'containment',
  effect: 'preserving',
  executors: ['kubernetes'],
  undoType: 'delete-network-policy',
  inputs: inputsSchema(
    {
      'kubernetes.cluster.name': kubernetesClusterName,
      'kubernetes.namespace.name': kubernetesNamespaceName,
      'kubernetes.workload.name': kubernetesWorkloadName,
      'kubernetes.workload.type': kubernetesWorkloadType(kubernetesWorkloadTypes),
      'network.direction': networkDirection.optional(),
      'network.protocol': networkProtocol.optional(),
      'network.cidr': networkCidr.optional(),
      'network.port': networkPort.optional(),
    },
    {
      // The exception is cidr, protocol and port, each optional (absent = any peer, any
      // protocol, any port), except that a port alone is refused: Kubernetes would
      // silently read it as TCP, and a UDP or SCTP exception would then not work.
      rules: [requiresWith('network.port', 'network.protocol', 'say which protocol the allowed port is for (TCP, UDP or SCTP)')],
      jsonSchema: { dependentRequired: { 'network.port': ['network.protocol'] } },
    },
  ),
  executorFor: inCluster,
  resourcesOf: workloadOf,
};

export const deleteNetworkPolicy: ActionTypeDefinition = {
  type: 'delete-network-policy',
  title: 'Delete network policy',
  description: 'Deletes a NetworkPolicy, such as the one isolate-network applied.',
  category: 'containment',
  // Removes only the policies isolate-network created; no workload or evidence is touched.
  effect: 'preserving',
  executors: ['kubernetes'],
  undoType: null,
  inputs: inputsSchema({
    'kubernetes.cluster.name': kubernetesClusterName,
    'kubernetes.namespace.name': kubernetesNamespaceName,
    'kubernetes.networkpolicy.name': kubernetesNetworkPolicyName,
  }),
  executorFor: inCluster,
  resourcesOf: (inputs) => [resourceOf(inputs, 'networkpolicy', 'kubernetes.networkpolicy.name')],
};

export const kubernetesVolumeSnapshot: ActionTypeDefinition = {
  type: 'kubernetes-volume-snapshot',
  title: 'Snapshot Kubernetes volumes',
  description: 'Takes a VolumeSnapshot of each named PersistentVolumeClaim; kubernetes-delete-volume-snapshot undoes it.',
  category: 'data-gathering',
  effect: 'evidence',
  executors: ['kubernetes'],
  undoType: 'kubernetes-delete-volume-snapshot',
  inputs: inputsSchema({
    'kubernetes.cluster.name': kubernetesClusterName,
    'kubernetes.namespace.name': kubernetesNamespaceName,
    'kubernetes.persistentvolume.claim.name': kubernetesPersistentVolumeClaimNames,
  }),
  executorFor: inCluster,
  resourcesOf: (inputs) => eachOf(inputs, 'persistentvolumeclaim', 'kubernetes.persistentvolume.claim.name'),
};

export const kubernetesDeleteVolumeSnapshot: ActionTypeDefinition = {
  type: 'kubernetes-delete-volume-snapshot',
  title: 'Delete Kubernetes volume snapshots',
  description: 'Deletes the named VolumeSnapshots, such as those kubernetes-volume-snapshot took.',
  category: 'data-gathering',
  // Deletes the snapshots taken as evidence.
  effect: 'destructive',
  executors: ['kubernetes'],
  undoType: null,
  inputs: inputsSchema({
    'kubernetes.cluster.name': kubernetesClusterName,
    'kubernetes.namespace.name': kubernetesNamespaceName,
    'kubernetes.volumesnapshot.name': kubernetesVolumeSnapshotNames,
  }),
  executorFor: inCluster,
  resourcesOf: (inputs) => eachOf(inputs, 'volumesnapshot', 'kubernetes.volumesnapshot.name'),
};

export const rolloutRestart: ActionTypeDefinition = {
  type: 'rollout-restart',
  title: 'Rollout restart',
  description: "Replaces a workload's pods one by one, as kubectl rollout restart does (not for ReplicaSets, which cannot roll).",
  category: 'data-gathering',
  // Replaces every pod of the workload: the running ones end.
  effect: 'destructive',
  executors: ['kubernetes'],
  undoType: null,
  inputs: inputsSchema({
    'kubernetes.cluster.name': kubernetesClusterName,
    'kubernetes.namespace.name': kubernetesNamespaceName,
    'kubernetes.workload.name': kubernetesWorkloadName,
    'kubernetes.workload.type': kubernetesWorkloadType(['deployment', 'statefulset', 'daemonset']),
  }),
  executorFor: inCluster,
  resourcesOf: workloadOf,
};

/**
 * Every workload kind scales: a DaemonSet, which has no replica count, only to 0 (its pods go
 * through a node selector no node matches; restore-workload-scale puts the prior selector back).
 */
const scalableWorkloadType = kubernetesWorkloadType(kubernetesWorkloadTypes);

const daemonSetScaleMessage =
  'must be 0 (or absent) for a daemonset: a DaemonSet has no replica count, so it can only be scaled to zero (a node selector no node matches)';

/** A DaemonSet scales only to 0. `replicas` is read as parsed (defaulted to 0), and only once its own schema accepted it. */
function daemonSetOnlyToZero(inputs: ActionInputs, report: ReportInputError): void {
  const replicas = inputs['kubernetes.workload.replicas'];
  if (inputs['kubernetes.workload.type'] === 'daemonset' && replicas !== 0 && kubernetesWorkloadReplicas.safeParse(replicas).success) {
    report('kubernetes.workload.replicas', daemonSetScaleMessage);
  }
}

export const scaleWorkload: ActionTypeDefinition = {
  type: 'scale-workload',
  title: 'Scale workload',
  description:
    'Scales a workload to a replica count (0 when absent), remembering it; a DaemonSet only to 0, by a node selector no node matches. restore-workload-scale undoes it.',
  category: 'containment',
  // Scaling down ends pods.
  effect: 'destructive',
  executors: ['kubernetes'],
  undoType: 'restore-workload-scale',
  inputs: inputsSchema(
    {
      'kubernetes.cluster.name': kubernetesClusterName,
      'kubernetes.namespace.name': kubernetesNamespaceName,
      'kubernetes.workload.name': kubernetesWorkloadName,
      'kubernetes.workload.type': scalableWorkloadType,
      'kubernetes.workload.replicas': kubernetesWorkloadReplicas,
    },
    {
      rules: [daemonSetOnlyToZero],
      jsonSchema: {
        if: { properties: { 'kubernetes.workload.type': { const: 'daemonset' } }, required: ['kubernetes.workload.type'] },
        then: { properties: { 'kubernetes.workload.replicas': { const: 0 } } },
      },
    },
  ),
  executorFor: inCluster,
  resourcesOf: workloadOf,
};

export const restoreWorkloadScale: ActionTypeDefinition = {
  type: 'restore-workload-scale',
  title: 'Restore workload scale',
  description: 'Scales a workload back to the replica count (a DaemonSet: the node selector) it had before scale-workload.',
  category: 'containment',
  // Ends pods whenever the saved count is lower than the current one.
  effect: 'destructive',
  executors: ['kubernetes'],
  undoType: null,
  inputs: inputsSchema({
    'kubernetes.cluster.name': kubernetesClusterName,
    'kubernetes.namespace.name': kubernetesNamespaceName,
    'kubernetes.workload.name': kubernetesWorkloadName,
    'kubernetes.workload.type': scalableWorkloadType,
  }),
  executorFor: inCluster,
  resourcesOf: workloadOf,
};

export const capturePodState: ActionTypeDefinition = {
  type: 'capture-pod-state',
  title: 'Capture pod state',
  description: "Records a pod's spec, status, events and container details as evidence.",
  category: 'data-gathering',
  effect: 'evidence',
  executors: ['kubernetes'],
  undoType: null,
  inputs: podInputs,
  executorFor: inCluster,
  resourcesOf: podOf,
};

const nodeInputs = inputsSchema({
  'kubernetes.cluster.name': kubernetesClusterName,
  'kubernetes.node.name': kubernetesNodeName,
});

function nodeOf(inputs: ActionInputs) {
  return [kubernetesNodeResource(requiredText(inputs, 'kubernetes.cluster.name'), requiredText(inputs, 'kubernetes.node.name'))];
}

export const cordonNode: ActionTypeDefinition = {
  type: 'cordon-node',
  title: 'Cordon node',
  description: 'Marks a node unschedulable, as kubectl cordon does, so no new pod lands on it; its pods keep running. uncordon-node undoes it.',
  category: 'containment',
  // Only new pods are kept off the node; its pods keep running.
  effect: 'preserving',
  executors: ['kubernetes'],
  undoType: 'uncordon-node',
  inputs: nodeInputs,
  executorFor: inCluster,
  resourcesOf: nodeOf,
};

export const uncordonNode: ActionTypeDefinition = {
  type: 'uncordon-node',
  title: 'Uncordon node',
  description: 'Puts back the spec.unschedulable a node had before cordon-node, reporting drift when someone changed it since.',
  category: 'containment',
  effect: 'preserving',
  executors: ['kubernetes'],
  undoType: null,
  inputs: nodeInputs,
  executorFor: inCluster,
  resourcesOf: nodeOf,
};
