/**
 * isolate-network: a NetworkPolicy selecting exactly the workload's pods (its own
 * `spec.selector`, matchExpressions included), governing the isolated direction(s) with no
 * allow rule except the optional exception. Because NetworkPolicies only add allowances, the
 * namespace's other policies that select those pods and allow traffic in an isolated direction
 * are reported as defeating the isolation; where the cluster serves a deny-capable policy API
 * (see deny-policies.ts) a deny policy is created in addition, so the isolation holds anyway.
 */
import type { JsonObject } from '#shared/json.ts';
import type { ResponderAction, ResponderActionContext } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { boundedList } from '#shared/responders/report-schemas/common.ts';
import { canonicalCidr } from '../cidr.ts';
import { callOptions } from '../cluster.ts';
import type { ClusterDeps } from '../deps.ts';
import { apiVersionOf, denyPolicyApis, denyPolicyPlan, discoverDenyPolicyKind, networkPolicyApi } from '../deny-policies.ts';
import type { DenyPolicyPlan, PolicyApi } from '../deny-policies.ts';
import { callApi, errorCodes, isAlreadyExists } from '../errors.ts';
import { optionalInteger, optionalText, requiredText, workloadOf } from '../inputs.ts';
import type { WorkloadRef } from '../inputs.ts';
import { companionsAnnotation, isManagedBy, objectName, ownershipLabels, workloadAnnotation } from '../naming.ts';
import { defeatingJson, defeatingPolicies, exceptionJson, isolationNetworkPolicy } from '../network-policies.ts';
import type { Direction, IsolationSpec, NetworkException, Protocol } from '../network-policies.ts';
import { createPolicy, policyRef, policyRefJson, readPolicy } from '../policy-store.ts';
import type { PolicyRef } from '../policy-store.ts';
import { checkWorkloadSelector, selectorJson, selectorQuery } from '../selectors.ts';
import { readWorkload, workloadText } from '../workloads.ts';

function directionsOf(value: string | undefined): Direction[] {
  if (value === 'INGRESS') return ['Ingress'];
  if (value === 'EGRESS') return ['Egress'];
  return ['Ingress', 'Egress'];
}

function exceptionOf(inputs: Readonly<Record<string, unknown>>): NetworkException | null {
  const cidr = optionalText(inputs, 'network.cidr');
  const protocol = optionalText(inputs, 'network.protocol') as Protocol | undefined;
  const port = optionalInteger(inputs, 'network.port');
  if (cidr === undefined && protocol === undefined && port === undefined) return null;
  return { cidr: cidr === undefined ? null : canonicalCidr(cidr), protocol: protocol ?? null, port: port ?? null };
}

/**
 * Creates a policy, or adopts the one this same action created before a crash (same
 * deterministic name, same action-id label). A same-named object of anyone else is a conflict.
 */
async function createOrAdopt(
  deps: ClusterDeps,
  context: ResponderActionContext,
  api: PolicyApi,
  ref: PolicyRef,
  body: JsonObject,
): Promise<void> {
  try {
    await createPolicy(deps.clients, api, ref.namespace ?? '', body, ref.name, context.signal);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    const existing = await readPolicy(deps.clients, ref, api, context.signal);
    if (existing === null || !isManagedBy(existing.labels, context.work.actionId)) {
      throw new ResponderActionError(
        errorCodes.conflict,
        `${ref.kind} ${ref.name} already exists and was not created by this action; delete or rename it, then re-execute`,
        { cause: error },
      );
    }
  }
}

function denyPolicyName(kind: DenyPolicyPlan['kind'], ref: WorkloadRef, actionId: string): string {
  // AdminNetworkPolicies are cluster-scoped: the namespace keeps names of different namespaces apart.
  return kind === 'AdminNetworkPolicy' ? objectName('ra-deny', [ref.namespace, ref.name], actionId) : objectName('ra-deny', [ref.name], actionId);
}

export function isolateNetworkAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'isolate-network',
    async execute(context) {
      const { inputs, actionId } = context.work;
      const ref = workloadOf(inputs);
      const { namespace } = ref;
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(namespace);
      const { signal } = context;
      const isolated = directionsOf(optionalText(inputs, 'network.direction'));
      const exception = exceptionOf(inputs);

      const workload = await readWorkload(deps.clients, ref, signal);
      const selector = checkWorkloadSelector(workload.selector, workloadText(ref));
      const pods = await callApi({ verb: 'list', resource: 'pods', group: '', namespace }, () =>
        deps.clients.core.listNamespacedPod({ namespace, labelSelector: selectorQuery(selector) }, callOptions(signal)),
      );
      const policies = await callApi({ verb: 'list', resource: 'networkpolicies', group: 'networking.k8s.io', namespace }, () =>
        deps.clients.networking.listNamespacedNetworkPolicy({ namespace }, callOptions(signal)),
      );
      const denyKind = await discoverDenyPolicyKind(deps.clients, deps.settings.denyPolicyKinds, signal);

      const name = objectName('ra-isolate', [ref.name], actionId);
      const labelSets = [workload.template?.metadata?.labels ?? {}, ...pods.items.map((pod) => pod.metadata?.labels ?? {})];
      const defeating = defeatingPolicies(policies.items, labelSets, isolated, name);
      const selecting = defeatingPolicies(policies.items, labelSets, ['Ingress', 'Egress'], name);
      const baseSpec: IsolationSpec = {
        namespace,
        selector,
        directions: isolated,
        exception,
        labels: ownershipLabels(actionId, 'isolate-network'),
        annotations: { [workloadAnnotation]: `${ref.type}/${ref.name}` },
      };
      const denyName = denyKind === null ? null : denyPolicyName(denyKind, ref, actionId);
      const plan = denyKind === null || denyName === null ? null : denyPolicyPlan(denyKind, denyName, baseSpec, deps.settings);
      const denyApi = plan === null ? null : denyPolicyApis[plan.kind];
      const denyRef = denyApi === null || denyName === null || plan === null || plan.covers.length === 0 ? null : policyRef(denyApi, denyName, namespace);

      // Lists the namespace can grow are cut to maxReportedItems (with their counts), so the report fits the route's body limit.
      const podNames = pods.items.map((pod) => pod.metadata?.name ?? '');
      const prior: JsonObject = {
        workload: { kind: workload.kind, name: ref.name, namespace, uid: workload.uid },
        pods: boundedList(podNames),
        // Policies that already allowed traffic to or from these pods before the isolation.
        allowingPolicies: boundedList(defeatingJson(selecting)),
      };
      await context.recordProgress({ prior });

      const ownRef = policyRef(networkPolicyApi, name, namespace);
      const companions: Record<string, string> = denyRef === null ? {} : { [companionsAnnotation]: JSON.stringify([policyRefJson(denyRef)]) };
      const networkPolicy = isolationNetworkPolicy(name, { ...baseSpec, annotations: { ...baseSpec.annotations, ...companions } });
      await createOrAdopt(deps, context, networkPolicyApi, ownRef, networkPolicy);
      const created: PolicyRef[] = [ownRef];
      await context.recordProgress({ prior, applied: { policies: created.map(policyRefJson) } });

      if (plan !== null && denyApi !== null && denyRef !== null) {
        await createOrAdopt(deps, context, denyApi, denyRef, plan.body);
        created.push(denyRef);
        await context.recordProgress({ prior, applied: { policies: created.map(policyRefJson) } });
      }

      const covered = denyRef === null || plan === null ? [] : plan.covers;
      const isolationHolds = defeating.every((policy) => policy.directions.every((direction) => covered.includes(direction)));
      return {
        prior,
        applied: { policies: created.map(policyRefJson) },
        result: {
          policy: policyRefJson(ownRef),
          denyPolicy: denyRef === null || plan === null ? null : { ...policyRefJson(denyRef), covers: [...plan.covers] },
          denyPolicyApi: denyApi === null ? null : apiVersionOf(denyApi),
          directions: [...isolated],
          exception: exceptionJson(exception),
          selector: selectorJson(selector),
          pods: boundedList(podNames),
          defeatingPolicies: boundedList(defeatingJson(defeating)),
          isolationHolds,
          limitations: plan === null ? [] : [...plan.limitations],
        },
      };
    },
  };
}
