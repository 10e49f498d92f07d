import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import { iamPrincipalOf, type IamClients } from '../iam/iam-api.ts';
import {
  changeSchema,
  putRevokePolicy,
  readRevokePolicy,
  readRoleState,
  revokeOlderSessionsPolicy,
  revokePolicyName,
  roleSessionsStateSchema,
  samePolicyDocument,
  writtenPolicy,
} from './revoke-policy.ts';

/** revoke-iam-role-sessions: denies everything to the role's sessions issued before now. */
export const revokeIamRoleSessions: CloudAction<IamClients> = {
  type: 'revoke-iam-role-sessions',

  async capture(context) {
    const prior = await readRoleState(context, iamPrincipalOf(context.target, 'role'));
    await context.recordProgress({ prior });
  },

  async apply(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const prior = context.prior(roleSessionsStateSchema);
    const revokedBefore = context.clock.now().toISOString();
    const document = revokeOlderSessionsPolicy(revokedBefore);
    await putRevokePolicy(context, role, document);
    await context.recordProgress({
      applied: { changes: [{ action: 'PutRolePolicy', policyName: revokePolicyName, document }] },
      result: {
        role: role.label,
        policyName: revokePolicyName,
        revokedBefore,
        // A policy of our name was there before (an earlier revoke): the undo puts its document back.
        replacedPolicy: prior.policy !== null,
      },
    });
    return { pending: false };
  },

  async verify(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const written = writtenPolicy(context.changes(changeSchema));
    const now = await readRevokePolicy(context, role);
    if (written === null || now === null || !samePolicyDocument(now.document, written.document)) {
      throw new ChangeNotVisibleError(`${revokePolicyName} on ${role.label} does not read back as written yet`);
    }
    return { ...context.result(), verified: true };
  },

  plan(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const prior = context.prior(roleSessionsStateSchema);
    // Always a write, as apply does: a later cut-off is a new change even on a role revoked before.
    const replacing = prior.policy === null ? '' : ' (replacing the policy of that name there now, whose document undo puts back)';
    return Promise.resolve([
      {
        call: 'iam:PutRolePolicy',
        target: prior.role.arn,
        detail: `put inline policy ${revokePolicyName} on ${role.label}, denying every action to its sessions issued before ${context.clock.now().toISOString()}${replacing}`,
      },
    ]);
  },
};
