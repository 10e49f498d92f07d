/**
 * Exemption labels (API.md "Safety, always on"): work an automation rule created carries its
 * `ruleId` inside the signed order, and the cluster responder refuses it with `Exempt`, before any
 * action reads or changes anything, when the pod or workload it names, that workload's pod
 * template or pods, or any controller above carries `response-actions.io/exempt: "true"`. Only
 * the cluster can see these labels, so the service defers this check to the responder. A person's
 * work (no `ruleId`) is not held back: the label guards against automation, not against people.
 */
import type { V1OwnerReference } from '@kubernetes/client-node';
import { exemptLabel } from '#shared/automation/types.ts';
import { ResponderActionError, type ResponderAction, type WorkOrder } from '#shared/responders/protocol.ts';
import { callOptions } from './cluster.ts';
import type { ClusterDeps } from './deps.ts';
import { callApi, errorCodes } from './errors.ts';
import { namespaceOf, optionalText, requiredText, workloadOf } from './inputs.ts';
import { checkWorkloadSelector, selectorQuery } from './selectors.ts';
import { ownerChain, readWorkload, workloadText } from './workloads.ts';

/** The action, refusing a rule's work on an exempt pod or workload before it runs. */
export function refusingExemptTargets(action: ResponderAction, deps: ClusterDeps): ResponderAction {
  return {
    type: action.type,
    async execute(context) {
      const { ruleId } = context.work;
      if (ruleId !== undefined) await refuseIfExempt(deps, context.work, ruleId, context.signal);
      return action.execute(context);
    },
  };
}

/** Any spelling of true, as the service reads the AWS tag; the key is exact. */
function isExempt(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[exemptLabel.key]?.toLowerCase() === exemptLabel.value;
}

async function refuseIfExempt(deps: ClusterDeps, work: WorkOrder, ruleId: string, signal: AbortSignal): Promise<void> {
  const { inputs } = work;
  const podName = optionalText(inputs, 'kubernetes.pod.name');
  // Nodes, claims, policies and snapshots carry no exemption: API.md names the pod or workload.
  if (podName === undefined && optionalText(inputs, 'kubernetes.workload.name') === undefined) return;
  // Protected targets keep their own refusal, and are never read.
  deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
  const namespace = namespaceOf(inputs);
  deps.guard.checkNamespace(namespace, podName);
  const refuse = (what: string): never => {
    throw new ResponderActionError(
      errorCodes.exempt,
      `${what} carries the label ${exemptLabel.key}: "${exemptLabel.value}", so rule ${ruleId} does not act on it; nothing was changed`,
    );
  };

  let owners: readonly V1OwnerReference[] | undefined;
  if (podName !== undefined) {
    const pod = await callApi({ verb: 'get', resource: 'pods', group: '', namespace, name: podName }, () =>
      deps.clients.core.readNamespacedPod({ namespace, name: podName }, callOptions(signal)),
    );
    if (isExempt(pod.metadata?.labels)) refuse(`pod ${podName} in namespace ${namespace}`);
    owners = pod.metadata?.ownerReferences;
  } else {
    const ref = workloadOf(inputs);
    const workload = await readWorkload(deps.clients, ref, signal);
    if (isExempt(workload.labels)) refuse(workloadText(ref));
    // Every pod the workload makes would carry the label: acting on the workload acts on them.
    if (isExempt(workload.template?.metadata?.labels)) refuse(`the pod template of ${workloadText(ref)}`);
    // A pod labelled by hand is exempt too; a selector that cannot name the pods refuses (UnsupportedSelector).
    const selector = checkWorkloadSelector(workload.selector, workloadText(ref));
    const pods = await callApi({ verb: 'list', resource: 'pods', group: '', namespace }, () =>
      deps.clients.core.listNamespacedPod({ namespace, labelSelector: selectorQuery(selector) }, callOptions(signal)),
    );
    const labelled = pods.items.find((pod) => isExempt(pod.metadata?.labels));
    if (labelled !== undefined) refuse(`pod ${labelled.metadata?.name ?? '(unnamed)'} of ${workloadText(ref)}`);
    owners = workload.ownerReferences;
  }
  for (const link of await ownerChain(deps.clients, namespace, owners, signal)) {
    if (link.state === 'not-read') {
      throw new ResponderActionError(
        errorCodes.exemptionUnreadable,
        `${link.kind} ${link.name} (${link.apiVersion}) controls the target and this responder may not read it, so whether it is exempt cannot be told; rule ${ruleId} does not act blindly, nothing was changed`,
      );
    }
    if (isExempt(link.labels)) refuse(`${link.kind} ${link.name} in namespace ${namespace}, which controls the target,`);
  }
}
