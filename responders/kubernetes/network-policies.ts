/**
 * The isolation NetworkPolicy, and which other NetworkPolicies defeat it. Plain NetworkPolicies
 * only ever add allowances: once a pod is selected by any policy of a direction, traffic is
 * allowed if any one of them allows it. So another policy that selects the isolated pods and
 * allows traffic in an isolated direction punches a hole in the isolation.
 */
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { Cidr } from './cidr.ts';
import { selectorJson, selectorMatches } from './selectors.ts';
import type { LabelSelector } from './selectors.ts';

export const directions = ['Ingress', 'Egress'] as const;
export type Direction = (typeof directions)[number];
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** The one allowed peer (for forensics): each part optional, absent meaning any. */
export interface NetworkException {
  readonly cidr: Cidr | null;
  readonly protocol: Protocol | null;
  readonly port: number | null;
}

/** Everything the isolation policies are built from. */
export interface IsolationSpec {
  readonly namespace: string;
  /** The workload's `spec.selector`: the policies select exactly the pods the workload selects. */
  readonly selector: LabelSelector;
  readonly directions: readonly Direction[];
  readonly exception: NetworkException | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export function exceptionJson(exception: NetworkException | null): JsonObject | null {
  if (exception === null) return null;
  return { cidr: exception.cidr?.text ?? null, protocol: exception.protocol, port: exception.port };
}

/** The NetworkPolicy that isolates: no rule in an isolated direction except the exception's. */
export function isolationNetworkPolicy(name: string, spec: IsolationSpec): JsonObject {
  const { exception } = spec;
  const rule = (peerKey: 'from' | 'to'): JsonObject => {
    const json: JsonObject = {};
    if (exception?.cidr != null) json[peerKey] = [{ ipBlock: { cidr: exception.cidr.text } }];
    if (exception !== null && (exception.protocol !== null || exception.port !== null)) {
      const port: JsonObject = {};
      if (exception.protocol !== null) port['protocol'] = exception.protocol;
      if (exception.port !== null) port['port'] = exception.port;
      json['ports'] = [port];
    }
    return json;
  };
  const rules = (peerKey: 'from' | 'to'): JsonValue[] => (exception === null ? [] : [rule(peerKey)]);
  const policySpec: JsonObject = { podSelector: selectorJson(spec.selector), policyTypes: [...spec.directions] };
  if (spec.directions.includes('Ingress')) policySpec['ingress'] = rules('from');
  if (spec.directions.includes('Egress')) policySpec['egress'] = rules('to');
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: spec.namespace, labels: { ...spec.labels }, annotations: { ...spec.annotations } },
    spec: policySpec,
  };
}

/** What the defeat check reads of a NetworkPolicy (the client's model: `_from` is the wire's `from`). */
export interface NetworkPolicyLike {
  readonly metadata?: { readonly name?: string };
  readonly spec?: {
    readonly podSelector?: LabelSelector;
    readonly policyTypes?: readonly string[];
    readonly ingress?: readonly { readonly _from?: readonly unknown[]; readonly ports?: readonly unknown[] }[];
    readonly egress?: readonly { readonly to?: readonly unknown[]; readonly ports?: readonly unknown[] }[];
  };
}

/** The directions a policy governs: `policyTypes`, or as the API server defaults them when absent. */
export function policyDirections(policy: NetworkPolicyLike): Direction[] {
  const types = policy.spec?.policyTypes;
  if (types !== undefined && types.length > 0) return directions.filter((direction) => types.includes(direction));
  return (policy.spec?.egress?.length ?? 0) > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** One other policy that lets traffic reach or leave the isolated pods. */
export interface DefeatingPolicy {
  readonly name: string;
  /** The isolated directions in which it allows some traffic. */
  readonly directions: readonly Direction[];
  /** The directions in which one of its rules allows everything (no peers, no ports). */
  readonly allowsAllIn: readonly Direction[];
}

/**
 * The policies of `policies` (other than `ownName`) that select any of the given label sets and
 * allow traffic in an isolated direction. The label sets are the workload's pod template labels
 * (every pod it makes) and the labels of its pods now (pods can be relabelled).
 */
export function defeatingPolicies(
  policies: readonly NetworkPolicyLike[],
  labelSets: readonly Readonly<Record<string, string>>[],
  isolated: readonly Direction[],
  ownName: string,
): DefeatingPolicy[] {
  const found: DefeatingPolicy[] = [];
  for (const policy of policies) {
    const name = policy.metadata?.name ?? '';
    if (name === ownName || policy.spec === undefined) continue;
    const selector: LabelSelector = policy.spec.podSelector ?? {};
    if (!labelSets.some((labels) => selectorMatches(selector, labels))) continue;
    const governed = policyDirections(policy);
    const rulesOf = (direction: Direction) =>
      direction === 'Ingress'
        ? (policy.spec?.ingress ?? []).map((rule) => ({ peers: rule._from ?? [], ports: rule.ports ?? [] }))
        : (policy.spec?.egress ?? []).map((rule) => ({ peers: rule.to ?? [], ports: rule.ports ?? [] }));
    const allowing = isolated.filter((direction) => governed.includes(direction) && rulesOf(direction).length > 0);
    if (allowing.length === 0) continue;
    const allowsAllIn = allowing.filter((direction) => rulesOf(direction).some((rule) => rule.peers.length === 0 && rule.ports.length === 0));
    found.push({ name, directions: allowing, allowsAllIn });
  }
  return found;
}

export function defeatingJson(policies: readonly DefeatingPolicy[]): JsonObject[] {
  return policies.map((policy) => ({ name: policy.name, directions: [...policy.directions], allowsAllIn: [...policy.allowsAllIn] }));
}
