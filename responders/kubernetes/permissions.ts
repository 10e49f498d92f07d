/**
 * Exactly the API permissions the cluster actions use: the rules of the responder's ClusterRole
 * (manifests/20-clusterrole.yaml must equal them; a test checks, and the test API server refuses
 * any request these rules do not cover). Discovery (`/apis`, `/apis/<group>/<version>`) needs none:
 * every authenticated client may read it.
 */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

export const clusterRoleRules: readonly PolicyRule[] = [
  // delete-pod, get-logs, capture-pod-state (get); isolate-network lists the workload's pods.
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'delete'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['list'] },
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get'] },
  // rollout-restart patches the pod template; isolate-network reads the selector.
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'patch'] },
  // Owner chains (Pod → ReplicaSet → Deployment) and isolate-network of a ReplicaSet.
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], verbs: ['get', 'patch'] },
  // Owner chains (Pod → Job → CronJob).
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create', 'list', 'get', 'delete'] },
  { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['create', 'get', 'delete'] },
  // The default VolumeSnapshotClass of a PVC's CSI driver.
  { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshotclasses'], verbs: ['list'] },
  // The deny-capable policies isolate-network adds where the cluster serves them.
  { apiGroups: ['policy.networking.k8s.io'], resources: ['adminnetworkpolicies'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: ['projectcalico.org'], resources: ['networkpolicies'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: ['cilium.io'], resources: ['ciliumnetworkpolicies'], verbs: ['create', 'get', 'delete'] },
];

/** Whether the rules allow `verb` on `resource` (with subresource, `pods/log`) in `group`. */
export function isAllowed(rules: readonly PolicyRule[], group: string, resource: string, verb: string): boolean {
  return rules.some((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb));
}
