import type { JsonValue } from '#shared/json.ts';
import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import { iamPrincipalOf, type IamClients } from './iam-api.ts';
import { detachPolicy, plannedPolicyCall, policyChangeSchema, principalStateSchema, quarantineDrift, readPrincipal } from './principal-policies.ts';

/** iam-unquarantine: detaches only what its quarantine attached, reporting drift first. */
export const iamUnquarantine: CloudAction<IamClients> = {
  type: 'iam-unquarantine',
  undoes: 'iam-quarantine',

  async capture(context) {
    const quarantine = context.undoSource();
    const principal = iamPrincipalOf(context.target, 'user', 'role');
    const now = await readPrincipal(context, principal);
    const drift = quarantineDrift(context.prior(principalStateSchema, quarantine), context.changes(policyChangeSchema, quarantine), now);
    // The undo's own prior is the principal as it is now, before the undo changes anything.
    await context.recordProgress({ prior: now, result: { principal: principal.label, drift } });
  },

  async apply(context) {
    const principal = iamPrincipalOf(context.target, 'user', 'role');
    const quarantine = context.undoSource();
    const toDetach = context
      .changes(policyChangeSchema, quarantine)
      .filter((change) => change.action === 'AttachPolicy')
      .map((change) => change.policyArn);
    // A retried apply keeps what an earlier attempt of this undo already detached.
    const detached = context
      .changes(policyChangeSchema)
      .filter((change) => change.action === 'DetachPolicy')
      .map((change) => change.policyArn);
    const alreadyDetached: string[] = [];
    const before = context.prior(principalStateSchema);
    const result = context.result();
    for (const policyArn of toDetach) {
      if (detached.includes(policyArn)) continue;
      const attached = before.attachedPolicies.some((policy) => policy.policyArn === policyArn);
      if (attached && (await detachPolicy(context, principal, policyArn))) {
        detached.push(policyArn);
        await context.recordProgress({ applied: detachChanges(detached) });
      } else {
        // Someone detached it by hand since the quarantine: reported, not an error.
        alreadyDetached.push(policyArn);
      }
    }
    await context.recordProgress({ applied: detachChanges(detached), result: { ...result, detached, alreadyDetached } });
    return { pending: false };
  },

  async verify(context) {
    const principal = iamPrincipalOf(context.target, 'user', 'role');
    const detached = context.changes(policyChangeSchema).map((change) => change.policyArn);
    const now = await readPrincipal(context, principal);
    const still = now.attachedPolicies.filter((policy) => detached.includes(policy.policyArn));
    if (still.length > 0) {
      throw new ChangeNotVisibleError(
        `${still.map((policy) => policy.policyArn).join(', ')} still listed on ${principal.label} after detaching`,
      );
    }
    return { ...context.result(), verified: true };
  },

  plan(context) {
    const principal = iamPrincipalOf(context.target, 'user', 'role');
    const now = context.prior(principalStateSchema);
    // What the quarantine attached and is still attached now; one detached by hand since is drift, left alone.
    const toDetach = context
      .changes(policyChangeSchema, context.undoSource())
      .filter((change) => change.action === 'AttachPolicy' && now.attachedPolicies.some((policy) => policy.policyArn === change.policyArn));
    return Promise.resolve(toDetach.map((change) => plannedPolicyCall('Detach', principal, now.principal.arn, change.policyArn)));
  },
};

function detachChanges(policyArns: readonly string[]): JsonValue {
  return { changes: policyArns.map((policyArn) => ({ action: 'DetachPolicy', policyArn })) };
}
