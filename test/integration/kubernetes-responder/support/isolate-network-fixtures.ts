/** The isolate-network scenarios' workload, the namespace's existing policies, and the requests and policy they expect. */
import { actionId } from './harness.ts';
import { clusterName, deployment, namespace, objectMeta, ok, pod, webTemplateLabels } from './kubernetes-objects.ts';
import type { ExpectedRequest } from './test-api-server.ts';

export const deploymentPath = `/apis/apps/v1/namespaces/${namespace}/deployments/web`;
export const podsPath = `/api/v1/namespaces/${namespace}/pods`;
export const policiesPath = `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`;
export const npName = 'ra-isolate-web-3f2a9c1e';
export const labels = {
  'app.kubernetes.io/managed-by': 'response-actions',
  'response-actions.io/action-id': actionId,
  'response-actions.io/action-type': 'isolate-network',
};
export const inputs = {
  'kubernetes.cluster.name': clusterName,
  'kubernetes.namespace.name': namespace,
  'kubernetes.workload.name': 'web',
  'kubernetes.workload.type': 'deployment',
};
export const webSelector = { matchLabels: { app: 'web', tier: 'frontend' } };

export function networkPolicy(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: objectMeta(name, { generation: 1, ...extra }), spec };
}

export function list(kind: string, items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: kind === 'PodList' ? 'v1' : 'networking.k8s.io/v1', kind, metadata: { resourceVersion: '50123' }, items };
}

/** The namespace's existing policies: two defeat the isolation, two do not. */
const existingPolicies = [
  // Selects the web pods and allows ingress from the load balancer: defeats ingress isolation.
  networkPolicy('allow-from-lb', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'lb' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }], policyTypes: ['Ingress'] }),
  // Allows all egress of every pod of the namespace (empty selector, empty rule).
  networkPolicy('allow-all-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] }),
  // Selects other pods only.
  networkPolicy('db-ingress', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }], policyTypes: ['Ingress'] }),
  // Selects the web pods but allows nothing (a deny-all of its own).
  networkPolicy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
];

export function readsBeforeCreate(groups: Record<string, unknown>, extra: readonly ExpectedRequest[] = [], workload = deployment('web'), podLabelSelector = 'app=web,tier=frontend'): ExpectedRequest[] {
  return [
    { method: 'GET', path: deploymentPath, reply: ok(workload) },
    {
      method: 'GET',
      path: podsPath,
      query: { labelSelector: podLabelSelector },
      reply: ok(list('PodList', [pod('web-7d9f8c6b5-x8k2p'), pod('web-7d9f8c6b5-q4m7z', { labels: { ...webTemplateLabels, quarantine: 'pending' } })])),
    },
    { method: 'GET', path: policiesPath, reply: ok(list('NetworkPolicyList', existingPolicies)) },
    { method: 'GET', path: '/apis', reply: ok(groups) },
    ...extra,
  ];
}

export function expectedPolicy(spec: Record<string, unknown>, companions?: readonly Record<string, unknown>[]): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: npName,
      namespace,
      labels,
      annotations: {
        'response-actions.io/workload': 'deployment/web',
        ...(companions === undefined ? {} : { 'response-actions.io/companions': JSON.stringify(companions) }),
      },
    },
    spec,
  };
}

export const ownRef = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: npName, namespace };
