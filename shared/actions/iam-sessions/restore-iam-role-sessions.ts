import type { JsonValue } from '#shared/json.ts';
import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import { iamPrincipalOf, type IamClients } from '../iam/iam-api.ts';
import {
  changeSchema,
  deleteRevokePolicy,
  policyDrift,
  putRevokePolicy,
  readRevokePolicy,
  readRoleState,
  revokePolicyName,
  roleSessionsStateSchema,
  samePolicyDocument,
  writtenPolicy,
} from './revoke-policy.ts';

/**
 * restore-iam-role-sessions: deletes the policy the revoke wrote, or puts back the document a
 * policy of that name had before the revoke. A policy someone removed or changed since is
 * reported as drift and left as found: it is no longer what the revoke wrote.
 */
export const restoreIamRoleSessions: CloudAction<IamClients> = {
  type: 'restore-iam-role-sessions',
  undoes: 'revoke-iam-role-sessions',

  async capture(context) {
    const revoke = context.undoSource();
    const revokePrior = context.prior(roleSessionsStateSchema, revoke);
    const written = writtenPolicy(context.changes(changeSchema, revoke));
    const now = await readRoleState(context, iamPrincipalOf(context.target, 'role'));
    const drift: { [key: string]: JsonValue } = {
      policy: policyDrift(written, now.policy),
      ...(now.policy !== null && written !== null && !samePolicyDocument(now.policy.document, written.document)
        ? { documentNow: now.policy.document }
        : {}),
      ...(revokePrior.role.id !== '' && now.role.id !== revokePrior.role.id ? { roleRecreated: true } : {}),
    };
    // The undo's own prior is the role as it is now, before the undo changes anything.
    await context.recordProgress({ prior: now, result: { role: iamPrincipalOf(context.target, 'role').label, policyName: revokePolicyName, drift } });
  },

  async apply(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const revoke = context.undoSource();
    const revokePrior = context.prior(roleSessionsStateSchema, revoke);
    const written = writtenPolicy(context.changes(changeSchema, revoke));
    const result = context.result();
    // A retried apply keeps what an earlier attempt of this undo already did.
    if (context.changes(changeSchema).length > 0) return { pending: false };
    const before = context.prior(roleSessionsStateSchema);
    const drift = policyDrift(written, before.policy);
    if (drift !== 'asWritten') {
      const restored = drift === 'nothingWritten' ? 'nothingToRestore' : 'leftAsFound';
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored } });
      return { pending: false };
    }
    if (revokePrior.policy !== null) {
      // Exact prior state: the role had a policy of this name before the revoke; its document goes back.
      await putRevokePolicy(context, role, revokePrior.policy.document);
      await context.recordProgress({
        applied: { changes: [{ action: 'PutRolePolicy', policyName: revokePolicyName, document: revokePrior.policy.document }] },
        result: { ...result, restored: 'priorPolicyPutBack' },
      });
      return { pending: false };
    }
    if (await deleteRevokePolicy(context, role)) {
      await context.recordProgress({
        applied: { changes: [{ action: 'DeleteRolePolicy', policyName: revokePolicyName }] },
        result: { ...result, restored: 'policyDeleted' },
      });
    } else {
      // Removed by someone between this undo's capture and its apply: reported, not an error.
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored: 'alreadyRemoved' } });
    }
    return { pending: false };
  },

  async verify(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const [change] = context.changes(changeSchema);
    if (change !== undefined) {
      const now = await readRevokePolicy(context, role);
      const visible =
        change.action === 'DeleteRolePolicy' ? now === null : now !== null && samePolicyDocument(now.document, change.document);
      if (!visible) throw new ChangeNotVisibleError(`${revokePolicyName} on ${role.label} does not read back as restored yet`);
    }
    return { ...context.result(), verified: true };
  },

  plan(context) {
    const role = iamPrincipalOf(context.target, 'role');
    const revoke = context.undoSource();
    const written = writtenPolicy(context.changes(changeSchema, revoke));
    const now = context.prior(roleSessionsStateSchema);
    // Apply's own decision: a policy removed or changed since the revoke is left as found.
    if (policyDrift(written, now.policy) !== 'asWritten') return Promise.resolve([]);
    const change =
      context.prior(roleSessionsStateSchema, revoke).policy === null
        ? { call: 'iam:DeleteRolePolicy', detail: `delete inline policy ${revokePolicyName} from ${role.label}` }
        : { call: 'iam:PutRolePolicy', detail: `put back the document inline policy ${revokePolicyName} had on ${role.label} before the revoke` };
    return Promise.resolve([{ ...change, target: now.role.arn }]);
  },
};
