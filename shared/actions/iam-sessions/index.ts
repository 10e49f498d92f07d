/**
 * The IAM sessions family: revoke-iam-role-sessions puts an inline policy on a role that denies
 * everything to every session issued before now, exactly as the IAM console's "Revoke active
 * sessions" does (its `AWSRevokeOlderSessions` policy, here under a name of our own), and its undo
 * restore-iam-role-sessions puts the role back as it was: it deletes that policy, or, when a policy
 * of that name was there before the revoke, puts back that document.
 *
 * A revoke on a role that already carries our policy still writes it: a later cut-off is a new
 * change (sessions issued since the earlier revoke are cut off too), and `prior` keeps the earlier
 * document so the undo can put it back.
 */
import type { CloudActionFamily } from '../cloud-action.ts';
import { createIamClients, type IamClients } from '../iam/iam-api.ts';
import { restoreIamRoleSessions } from './restore-iam-role-sessions.ts';
import { revokeIamRoleSessions } from './revoke-iam-role-sessions.ts';

export { revokeOlderSessionsPolicy, revokePolicyName, samePolicyDocument } from './revoke-policy.ts';
export { restoreIamRoleSessions, revokeIamRoleSessions };

/**
 * The IAM sessions family. In member accounts its function needs iam:GetRole, iam:GetRolePolicy,
 * iam:PutRolePolicy and iam:DeleteRolePolicy on roles (IAM has no condition key for an inline
 * policy's name, so the name is fixed in code, not in the policy).
 */
export const iamSessionsFamily: CloudActionFamily<IamClients> = {
  name: 'iam-sessions',
  actions: [revokeIamRoleSessions, restoreIamRoleSessions],
  createClients: createIamClients,
};
