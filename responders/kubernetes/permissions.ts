/**
 * Exactly the API permissions the cluster actions use, split by where RBAC grants them. RBAC
 * cannot say "every namespace but kube-system", so nothing that writes to a namespace is granted
 * cluster-wide:
 * - `clusterWideRules` (manifests/20-clusterrole.yaml, bound by a ClusterRoleBinding): reads, and
 *   writes only on cluster-scoped resources (AdminNetworkPolicy, nodes);
 * - `namespacedWriteRules` (manifests/22-clusterrole-namespaced-writes.yaml): every namespaced
 *   write, bound only by a RoleBinding in each namespace the operator lets the responder act in
 *   (manifests/rolebindings/), never in kube-system or the responder's own namespace.
 * Tests keep the manifests equal to these rules, and the test API server answers 403 to any
 * request the manifests' bindings do not allow in that namespace. Discovery (`/apis`,
 * `/apis/<group>/<version>`) needs none: every authenticated client may read it.
 */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** The ClusterRole bound cluster-wide. */
export const clusterWideRoleName = 'response-actions-kubernetes-responder';
/** The ClusterRole bound by a RoleBinding per namespace. */
export const namespacedWriteRoleName = 'response-actions-kubernetes-responder-namespaced-writes';

export const clusterWideRules: readonly PolicyRule[] = [
  // delete-pod, get-logs, capture-pod-state (get); isolate-network lists the workload's pods.
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['list'] },
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get'] },
  // rollout-restart, isolate-network and scale-workload read the workload; owner chains (Pod → ReplicaSet → Deployment).
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], verbs: ['get'] },
  // Owner chains (Pod → Job → CronJob).
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list', 'get'] },
  { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['get'] },
  // The default VolumeSnapshotClass of a PVC's CSI driver (cluster-scoped).
  { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshotclasses'], verbs: ['list'] },
  // AdminNetworkPolicy is cluster-scoped: RBAC cannot narrow it to namespaces (the code's guards do).
  { apiGroups: ['policy.networking.k8s.io'], resources: ['adminnetworkpolicies'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: ['projectcalico.org'], resources: ['networkpolicies'], verbs: ['get'] },
  { apiGroups: ['cilium.io'], resources: ['ciliumnetworkpolicies'], verbs: ['get'] },
  // cordon-node, uncordon-node: nodes are cluster-scoped, so only a ClusterRoleBinding can grant this.
  // Not nodes/status, list or delete: only spec.unschedulable is written.
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
];

export const namespacedWriteRules: readonly PolicyRule[] = [
  // delete-pod.
  { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
  // rollout-restart patches the pod template; scale-workload and restore-workload-scale patch the
  // workload itself (not /scale), so the count (a DaemonSet: its pod-template node selector) and
  // its scaled-from annotation change in one write.
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], verbs: ['patch'] },
  // isolate-network and delete-network-policy.
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create', 'delete'] },
  { apiGroups: ['projectcalico.org'], resources: ['networkpolicies'], verbs: ['create', 'delete'] },
  { apiGroups: ['cilium.io'], resources: ['ciliumnetworkpolicies'], verbs: ['create', 'delete'] },
  // kubernetes-volume-snapshot and its undo.
  { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['create', 'delete'] },
];

/** Whether the rules allow `verb` on `resource` (with subresource, `pods/log`) in `group`; `*` matches anything, as in RBAC. */
export function isAllowed(rules: readonly PolicyRule[], group: string, resource: string, verb: string): boolean {
  const has = (values: readonly string[], value: string) => values.includes(value) || values.includes('*');
  return rules.some((rule) => has(rule.apiGroups, group) && has(rule.resources, resource) && has(rule.verbs, verb));
}
