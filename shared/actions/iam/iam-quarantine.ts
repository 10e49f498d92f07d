import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import { iamPrincipalOf, type IamClients } from './iam-api.ts';
import { attachPolicy, denyAllPolicyArn, plannedPolicyCall, principalStateSchema, readPrincipal } from './principal-policies.ts';

/** iam-quarantine: attaches AWSDenyAll unless the principal already has it. */
export const iamQuarantine: CloudAction<IamClients> = {
  type: 'iam-quarantine',

  async capture(context) {
    const prior = await readPrincipal(context, iamPrincipalOf(context.target, 'user', 'role'));
    await context.recordProgress({ prior });
  },

  async apply(context) {
    const principal = iamPrincipalOf(context.target, 'user', 'role');
    const policyArn = denyAllPolicyArn(context.target.partition);
    // Decided on `prior` (the first capture), not on what is attached now: a retried apply
    // after its own attach must still record that attach, never "nothing changed".
    const prior = context.prior(principalStateSchema);
    if (prior.attachedPolicies.some((policy) => policy.policyArn === policyArn)) {
      await context.recordProgress({
        applied: { changes: [] },
        result: {
          principal: principal.label,
          denyAllPolicyArn: policyArn,
          alreadyDenied: true,
          message: `AWSDenyAll was already attached to ${principal.label} before this action; nothing was changed`,
        },
      });
      return { pending: false };
    }
    await attachPolicy(context, principal, policyArn);
    await context.recordProgress({
      applied: { changes: [{ action: 'AttachPolicy', policyArn }] },
      result: { principal: principal.label, denyAllPolicyArn: policyArn, alreadyDenied: false },
    });
    return { pending: false };
  },

  async verify(context) {
    const principal = iamPrincipalOf(context.target, 'user', 'role');
    const policyArn = denyAllPolicyArn(context.target.partition);
    const now = await readPrincipal(context, principal);
    if (!now.attachedPolicies.some((policy) => policy.policyArn === policyArn)) {
      throw new ChangeNotVisibleError(`AWSDenyAll is not listed on ${principal.label} yet`);
    }
    return { ...context.result(), verified: true };
  },

  plan(context) {
    const principal = iamPrincipalOf(context.target, 'user', 'role');
    const policyArn = denyAllPolicyArn(context.target.partition);
    // Apply's own decision: on `prior`, nothing when AWSDenyAll is already attached.
    const prior = context.prior(principalStateSchema);
    if (prior.attachedPolicies.some((policy) => policy.policyArn === policyArn)) return Promise.resolve([]);
    return Promise.resolve([plannedPolicyCall('Attach', principal, prior.principal.arn, policyArn)]);
  },
};
