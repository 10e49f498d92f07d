import type { JsonValue } from '#shared/json.ts';
import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import { iamPrincipalOf, type IamClients } from '../iam/iam-api.ts';
import { changed, keyChangeSchema, keyChanges, plannedKeyStatus, readUserKeys, setKeyStatus, userKeysStateSchema } from './user-keys.ts';

/** reactivate-access-keys: reactivates only the keys its deactivation made inactive, reporting drift first. */
export const reactivateAccessKeys: CloudAction<IamClients> = {
  type: 'reactivate-access-keys',
  undoes: 'deactivate-access-keys',

  async capture(context) {
    const deactivation = context.undoSource();
    const deactivationPrior = context.prior(userKeysStateSchema, deactivation);
    const deactivated = changed(context.changes(keyChangeSchema, deactivation), 'DeactivateAccessKey');
    const now = await readUserKeys(context, iamPrincipalOf(context.target, 'user'));
    const statusNow = new Map(now.accessKeys.map((key) => [key.accessKeyId, key.status]));
    const knownBefore = new Set(deactivationPrior.accessKeys.map((key) => key.accessKeyId));
    const drift: { [key: string]: JsonValue } = {
      // Keys the deactivation made inactive that someone reactivated or deleted since.
      reactivatedSince: deactivated.filter((id) => statusNow.get(id) === 'Active'),
      deletedSince: deactivated.filter((id) => !statusNow.has(id)),
      createdSince: now.accessKeys.filter((key) => !knownBefore.has(key.accessKeyId) && !deactivated.includes(key.accessKeyId)).map((key) => key.accessKeyId),
      ...(deactivationPrior.user.id !== '' && now.user.id !== deactivationPrior.user.id ? { userRecreated: true } : {}),
    };
    // The undo's own prior is the user as it is now, before the undo changes anything.
    await context.recordProgress({ prior: now, result: { user: iamPrincipalOf(context.target, 'user').label, drift } });
  },

  async apply(context) {
    const user = iamPrincipalOf(context.target, 'user');
    const toReactivate = changed(context.changes(keyChangeSchema, context.undoSource()), 'DeactivateAccessKey');
    // A retried apply keeps what an earlier attempt of this undo already reactivated.
    const reactivated = changed(context.changes(keyChangeSchema), 'ReactivateAccessKey');
    const before = context.prior(userKeysStateSchema);
    const alreadyActive: string[] = [];
    const deletedSince: string[] = [];
    for (const accessKeyId of toReactivate) {
      if (reactivated.includes(accessKeyId)) continue;
      const status = before.accessKeys.find((key) => key.accessKeyId === accessKeyId)?.status;
      if (status === undefined) {
        deletedSince.push(accessKeyId);
      } else if (status === 'Active') {
        // Someone reactivated it by hand since the deactivation: reported, not an error.
        alreadyActive.push(accessKeyId);
      } else if (await setKeyStatus(context, user, accessKeyId, 'Active')) {
        reactivated.push(accessKeyId);
        await context.recordProgress({ applied: keyChanges('ReactivateAccessKey', reactivated) });
      } else {
        deletedSince.push(accessKeyId);
      }
    }
    await context.recordProgress({
      applied: keyChanges('ReactivateAccessKey', reactivated),
      result: { ...context.result(), reactivated, alreadyActive, deletedSince },
    });
    return { pending: false };
  },

  async verify(context) {
    const user = iamPrincipalOf(context.target, 'user');
    const reactivated = changed(context.changes(keyChangeSchema), 'ReactivateAccessKey');
    const now = await readUserKeys(context, user);
    const notActive = reactivated.filter((id) => now.accessKeys.find((key) => key.accessKeyId === id)?.status !== 'Active');
    if (notActive.length > 0) {
      throw new ChangeNotVisibleError(`${notActive.join(', ')} of ${user.label} do not read back as Active after reactivating`);
    }
    return { ...context.result(), verified: true };
  },

  plan(context) {
    const user = iamPrincipalOf(context.target, 'user');
    const now = context.prior(userKeysStateSchema);
    // Only keys the deactivation made inactive that are still there and not active again (drift is left as found).
    const toReactivate = changed(context.changes(keyChangeSchema, context.undoSource()), 'DeactivateAccessKey').filter((accessKeyId) => {
      const status = now.accessKeys.find((key) => key.accessKeyId === accessKeyId)?.status;
      return status !== undefined && status !== 'Active';
    });
    return Promise.resolve(toReactivate.map((accessKeyId) => plannedKeyStatus(user, now.user.arn, accessKeyId, 'Active')));
  },
};
