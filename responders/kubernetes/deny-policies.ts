/**
 * Deny-capable policies, created beside the isolation NetworkPolicy when the cluster serves one
 * (found by API discovery), so that other policies' allowances cannot defeat the isolation:
 *
 * 1. AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1): the upstream API; cluster-scoped,
 *    so someone with rights only in the workload's namespace cannot remove it. Its rules are
 *    evaluated before every NetworkPolicy: an Allow rule for the exception, then Deny.
 * 2. Calico NetworkPolicy (projectcalico.org/v3): ordered before Kubernetes NetworkPolicies
 *    (`order` below 1000): Allow the exception, then Deny. Expresses the exception exactly.
 * 3. CiliumNetworkPolicy (cilium.io/v2) with ingressDeny/egressDeny: deny rules win over every
 *    allow, so the exception is carved out of the denied ranges with CIDR `except`.
 *
 * What a kind cannot express is returned as `limitations` and reported in the action's result.
 */
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { KubernetesClients } from './cluster.ts';
import { callOptions } from './cluster.ts';
import { callApi } from './errors.ts';
import type { Direction, IsolationSpec, NetworkException } from './network-policies.ts';
import { calicoSelector, selectorJson } from './selectors.ts';

export const denyPolicyKinds = ['AdminNetworkPolicy', 'CalicoNetworkPolicy', 'CiliumNetworkPolicy'] as const;
export type DenyPolicyKind = (typeof denyPolicyKinds)[number];

export function isDenyPolicyKind(value: string): value is DenyPolicyKind {
  return (denyPolicyKinds as readonly string[]).includes(value);
}

/** Where a policy kind is served. */
export interface PolicyApi {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export const networkPolicyApi: PolicyApi = { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true };

export const denyPolicyApis: Readonly<Record<DenyPolicyKind, PolicyApi>> = {
  AdminNetworkPolicy: { group: 'policy.networking.k8s.io', version: 'v1alpha1', plural: 'adminnetworkpolicies', kind: 'AdminNetworkPolicy', namespaced: false },
  CalicoNetworkPolicy: { group: 'projectcalico.org', version: 'v3', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true },
  CiliumNetworkPolicy: { group: 'cilium.io', version: 'v2', plural: 'ciliumnetworkpolicies', kind: 'CiliumNetworkPolicy', namespaced: true },
};

export function apiVersionOf(api: PolicyApi): string {
  return `${api.group}/${api.version}`;
}

/**
 * The first of `preferred` that the cluster serves: `GET /apis` lists the groups, then the
 * group version's resource list must contain the policy resource (a group can exist without it).
 */
export async function discoverDenyPolicyKind(
  clients: KubernetesClients,
  preferred: readonly DenyPolicyKind[],
  signal: AbortSignal,
): Promise<DenyPolicyKind | null> {
  if (preferred.length === 0) return null;
  const groups = await callApi({ verb: 'get', resource: 'API discovery (/apis)', group: '' }, () => clients.apis.getAPIVersions(callOptions(signal)));
  for (const kind of preferred) {
    const api = denyPolicyApis[kind];
    const served = groups.groups.find((group) => group.name === api.group)?.versions.some((version) => version.version === api.version) ?? false;
    if (!served) continue;
    const resources = await callApi({ verb: 'get', resource: `API discovery (/apis/${apiVersionOf(api)})`, group: api.group }, () =>
      clients.custom.getAPIResources({ group: api.group, version: api.version }, callOptions(signal)),
    );
    if (resources.resources.some((resource) => resource.name === api.plural)) return kind;
  }
  return null;
}

/** A deny policy to create, what it covers, and what it cannot express. */
export interface DenyPolicyPlan {
  readonly kind: DenyPolicyKind;
  readonly body: JsonObject;
  /** The isolated directions this policy denies in. */
  readonly covers: readonly Direction[];
  readonly limitations: readonly string[];
}

export interface DenyPolicySettings {
  readonly adminNetworkPolicyPriority: number;
  readonly calicoPolicyOrder: number;
}

function metadata(name: string, spec: IsolationSpec, namespaced: boolean): JsonObject {
  return {
    name,
    ...(namespaced ? { namespace: spec.namespace } : {}),
    labels: { ...spec.labels },
    annotations: { ...spec.annotations },
  };
}

const allNetworks = ['0.0.0.0/0', '::/0'];

function anpPorts(exception: NetworkException): JsonValue[] | null {
  if (exception.port !== null) return [{ portNumber: { protocol: exception.protocol ?? 'TCP', port: exception.port } }];
  if (exception.protocol !== null) return [{ portRange: { protocol: exception.protocol, start: 1, end: 65535 } }];
  return null;
}

function adminNetworkPolicy(name: string, spec: IsolationSpec, settings: DenyPolicySettings): DenyPolicyPlan {
  const { exception } = spec;
  const limitations: string[] = [];
  const everyPod: JsonObject = { namespaces: {} };
  const everywhere: JsonValue[] = [{ namespaces: {} }, { networks: [...allNetworks] }];
  const withPorts = (rule: JsonObject, ports: JsonValue[] | null): JsonObject => (ports === null ? rule : { ...rule, ports });
  const ingress: JsonValue[] = [];
  const egress: JsonValue[] = [];
  if (spec.directions.includes('Ingress')) {
    limitations.push(
      'AdminNetworkPolicy ingress rules match only traffic from pods in the cluster: ingress from outside the cluster is still governed by NetworkPolicies alone',
    );
    if (exception !== null && exception.cidr === null) {
      ingress.push(withPorts({ name: 'response-actions-allow-exception', action: 'Allow', from: [everyPod] }, anpPorts(exception)));
    }
    if (exception?.cidr != null) {
      limitations.push(
        `AdminNetworkPolicy ingress peers cannot be address ranges: the exception ${exception.cidr.text} is let in only from outside the cluster; pods inside the cluster in that range are denied`,
      );
    }
    ingress.push({ name: 'response-actions-deny-ingress', action: 'Deny', from: [everyPod] });
  }
  if (spec.directions.includes('Egress')) {
    if (exception !== null) {
      const to: JsonValue[] = exception.cidr === null ? everywhere : [{ networks: [exception.cidr.text] }];
      egress.push(withPorts({ name: 'response-actions-allow-exception', action: 'Allow', to }, anpPorts(exception)));
    }
    egress.push({ name: 'response-actions-deny-egress', action: 'Deny', to: everywhere });
  }
  const body: JsonObject = {
    apiVersion: apiVersionOf(denyPolicyApis.AdminNetworkPolicy),
    kind: 'AdminNetworkPolicy',
    metadata: metadata(name, spec, false),
    spec: {
      priority: settings.adminNetworkPolicyPriority,
      subject: { pods: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': spec.namespace } }, podSelector: selectorJson(spec.selector) } },
      ...(ingress.length > 0 ? { ingress } : {}),
      ...(egress.length > 0 ? { egress } : {}),
    },
  };
  return { kind: 'AdminNetworkPolicy', body, covers: [...spec.directions], limitations };
}

function calicoNetworkPolicy(name: string, spec: IsolationSpec, settings: DenyPolicySettings): DenyPolicyPlan {
  const { exception } = spec;
  const allow = (direction: Direction): JsonObject[] => {
    if (exception === null) return [];
    const nets: JsonObject = exception.cidr === null ? {} : { nets: [exception.cidr.text] };
    const ports: JsonObject = exception.port === null ? {} : { ports: [exception.port] };
    const rule: JsonObject = { action: 'Allow' };
    if (exception.protocol !== null) rule['protocol'] = exception.protocol;
    if (direction === 'Ingress' && exception.cidr !== null) rule['source'] = nets;
    const destination: JsonObject = direction === 'Ingress' ? ports : { ...nets, ...ports };
    if (Object.keys(destination).length > 0) rule['destination'] = destination;
    return [rule];
  };
  const rules = (direction: Direction): JsonValue[] => [...allow(direction), { action: 'Deny' }];
  const body: JsonObject = {
    apiVersion: apiVersionOf(denyPolicyApis.CalicoNetworkPolicy),
    kind: 'NetworkPolicy',
    metadata: metadata(name, spec, true),
    spec: {
      order: settings.calicoPolicyOrder,
      selector: calicoSelector(spec.selector),
      types: [...spec.directions],
      ...(spec.directions.includes('Ingress') ? { ingress: rules('Ingress') } : {}),
      ...(spec.directions.includes('Egress') ? { egress: rules('Egress') } : {}),
    },
  };
  return { kind: 'CalicoNetworkPolicy', body, covers: [...spec.directions], limitations: [] };
}

function ciliumNetworkPolicy(name: string, spec: IsolationSpec): DenyPolicyPlan {
  const { exception } = spec;
  const limitations: string[] = [];
  const covers: Direction[] = [];
  const rulesFor = (direction: Direction): JsonValue[] | null => {
    const [entities, cidrSet] = direction === 'Ingress' ? ['fromEntities', 'fromCIDRSet'] : ['toEntities', 'toCIDRSet'];
    if (exception === null) return [{ [entities]: ['all'] }];
    if (exception.cidr === null) {
      limitations.push(
        `Cilium deny rules override every allow and cannot leave out a port or protocol alone, so ${direction.toLowerCase()} is not denied by the CiliumNetworkPolicy (the exception names no address range); it is governed by NetworkPolicies alone`,
      );
      return null;
    }
    const cidr = exception.cidr;
    if (exception.port !== null || exception.protocol !== null) {
      limitations.push(
        `Cilium deny rules cannot leave out one port: ${cidr.text} passes the deny layer on every port, so other policies allowing that range on other ports still apply`,
      );
    }
    limitations.push(`the CiliumNetworkPolicy denies every in-cluster peer, so the exception ${cidr.text} applies only to addresses outside the cluster`);
    return [
      { [entities]: ['cluster'] },
      {
        [cidrSet]: [
          { cidr: '0.0.0.0/0', ...(cidr.family === 4 ? { except: [cidr.text] } : {}) },
          { cidr: '::/0', ...(cidr.family === 6 ? { except: [cidr.text] } : {}) },
        ],
      },
    ];
  };
  const denySpec: JsonObject = { endpointSelector: selectorJson(spec.selector) };
  for (const direction of spec.directions) {
    const rules = rulesFor(direction);
    if (rules === null) continue;
    denySpec[direction === 'Ingress' ? 'ingressDeny' : 'egressDeny'] = rules;
    covers.push(direction);
  }
  const body: JsonObject = {
    apiVersion: apiVersionOf(denyPolicyApis.CiliumNetworkPolicy),
    kind: 'CiliumNetworkPolicy',
    metadata: metadata(name, spec, true),
    spec: denySpec,
  };
  return { kind: 'CiliumNetworkPolicy', body, covers, limitations };
}

/** The deny policy of `kind` for an isolation; `covers` is empty when it would deny nothing. */
export function denyPolicyPlan(kind: DenyPolicyKind, name: string, spec: IsolationSpec, settings: DenyPolicySettings): DenyPolicyPlan {
  switch (kind) {
    case 'AdminNetworkPolicy':
      return adminNetworkPolicy(name, spec, settings);
    case 'CalicoNetworkPolicy':
      return calicoNetworkPolicy(name, spec, settings);
    case 'CiliumNetworkPolicy':
      return ciliumNetworkPolicy(name, spec);
  }
}
