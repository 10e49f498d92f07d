/**
 * delete-network-policy: removes the policies an isolation created, and nothing else. As an
 * undo it deletes exactly `undoOf.applied.policies` (the NetworkPolicy and its deny-capable
 * companion), each only while it still carries the original action's labels. Named directly,
 * it deletes the NetworkPolicy and the companions its annotation lists, and refuses a policy
 * this service did not label. Every target is checked before anything is deleted.
 */
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import type { ClusterDeps } from '../deps.ts';
import { networkPolicyApi } from '../deny-policies.ts';
import type { PolicyApi } from '../deny-policies.ts';
import { errorCodes } from '../errors.ts';
import { namespaceOf, requiredText } from '../inputs.ts';
import { actionIdLabel, companionsAnnotation, isManagedBy, managedByLabel, managedByValue } from '../naming.ts';
import { deletePolicy, parsePolicyRefs, policyApiOf, policyRef, policyRefJson, policyText, readPolicy } from '../policy-store.ts';
import type { PolicyObject, PolicyRef } from '../policy-store.ts';

interface Target {
  readonly ref: PolicyRef;
  readonly api: PolicyApi;
  readonly found: PolicyObject | null;
}

function isRecord(value: JsonValue | null): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseCompanions(annotation: string | undefined): PolicyRef[] {
  if (annotation === undefined) return [];
  try {
    return parsePolicyRefs(JSON.parse(annotation) as JsonValue) ?? [];
  } catch {
    return [];
  }
}

function notManaged(ref: PolicyRef, why: string): ResponderActionError {
  return new ResponderActionError(
    errorCodes.notManaged,
    `${policyText(ref)}${ref.namespace === null ? '' : ` in namespace ${ref.namespace}`} ${why}: delete-network-policy only removes policies isolate-network created (label ${managedByLabel}=${managedByValue}); nothing was deleted`,
  );
}

export function deleteNetworkPolicyAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'delete-network-policy',
    async execute(context) {
      const { inputs, undoOf } = context.work;
      const namespace = namespaceOf(inputs);
      const name = requiredText(inputs, 'kubernetes.networkpolicy.name');
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(namespace);
      const { signal } = context;
      const named = policyRef(networkPolicyApi, name, namespace);

      let refs: PolicyRef[];
      // The label value every target must carry: the isolating action's id.
      let owner: string | undefined;
      // Objects already read (the named policy, when named directly).
      const read = new Map<PolicyRef, PolicyObject>();
      if (undoOf !== null) {
        const applied = parsePolicyRefs(isRecord(undoOf.applied) ? undoOf.applied['policies'] : undefined);
        if (applied === null || applied.length === 0) {
          throw new ResponderActionError(errorCodes.nothingToUndo, `action ${undoOf.actionId} (${undoOf.type}) recorded no policy it created; there is nothing to delete`);
        }
        const mismatch =
          !applied.some((ref) => ref.apiVersion === named.apiVersion && ref.kind === named.kind && ref.name === name && ref.namespace === namespace) ||
          applied.some((ref) => ref.namespace !== null && ref.namespace !== namespace);
        if (mismatch) {
          throw new ResponderActionError(
            errorCodes.undoMismatch,
            `NetworkPolicy ${name} in namespace ${namespace} is not what action ${undoOf.actionId} created (${applied.map(policyText).join(', ')}); nothing was deleted`,
          );
        }
        refs = applied;
        owner = undoOf.actionId;
      } else {
        const found = await readPolicy(deps.clients, named, networkPolicyApi, signal);
        if (found === null) {
          throw new ResponderActionError(errorCodes.targetNotFound, `NetworkPolicy ${name} does not exist in namespace ${namespace}`);
        }
        if (!isManagedBy(found.labels)) throw notManaged(named, 'was not created by response-actions');
        owner = found.labels[actionIdLabel];
        read.set(named, found);
        refs = [named, ...parseCompanions(found.annotations[companionsAnnotation])];
      }

      const targets: Target[] = [];
      for (const ref of refs) {
        const api = policyApiOf(ref);
        if (api === undefined) {
          throw new ResponderActionError(errorCodes.undoMismatch, `${policyText(ref)} (${ref.apiVersion}) is not a policy kind isolate-network creates; nothing was deleted`);
        }
        const found = read.get(ref) ?? (await readPolicy(deps.clients, ref, api, signal));
        if (found !== null && !isManagedBy(found.labels, owner)) {
          throw notManaged(ref, owner === undefined ? 'was not created by response-actions' : `was not created by action ${owner}`);
        }
        targets.push({ ref, api, found });
      }
      const prior: JsonObject = {
        policies: targets.map(({ ref, found }) => ({ ...policyRefJson(ref), uid: found?.uid ?? null, present: found !== null })),
      };
      await context.recordProgress({ prior });

      // Companions first: until the NetworkPolicy goes, the pods stay isolated (fail closed).
      const outcomes = new Map<PolicyRef, 'deleted' | 'already-gone'>();
      const deleted: JsonObject[] = [];
      for (const target of [...targets].reverse()) {
        const outcome = target.found === null ? 'already-gone' : await deletePolicy(deps.clients, target.ref, target.api, target.found.uid, signal);
        outcomes.set(target.ref, outcome);
        if (outcome === 'deleted') {
          deleted.push(policyRefJson(target.ref));
          await context.recordProgress({ prior, applied: { deleted: [...deleted] } });
        }
      }
      return {
        prior,
        applied: { deleted },
        result: { policies: targets.map(({ ref }) => ({ ...policyRefJson(ref), outcome: outcomes.get(ref) ?? 'already-gone' })) },
      };
    },
  };
}
