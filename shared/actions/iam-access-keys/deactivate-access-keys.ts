import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import { iamPrincipalOf, type IamClients } from '../iam/iam-api.ts';
import { changed, keyChangeSchema, keyChanges, plannedKeyStatus, readUserKeys, setKeyStatus, userKeysStateSchema } from './user-keys.ts';

/** deactivate-access-keys: makes every active key of the user inactive, recording each one as it goes. */
export const deactivateAccessKeys: CloudAction<IamClients> = {
  type: 'deactivate-access-keys',

  async capture(context) {
    const prior = await readUserKeys(context, iamPrincipalOf(context.target, 'user'));
    await context.recordProgress({ prior });
  },

  async apply(context) {
    const user = iamPrincipalOf(context.target, 'user');
    const prior = context.prior(userKeysStateSchema);
    const now = await readUserKeys(context, user);
    // Keys active at capture are deactivated whatever they say now (a retried apply must still
    // record its own earlier change); keys created and active since capture are deactivated too.
    const activeBefore = prior.accessKeys.filter((key) => key.status === 'Active').map((key) => key.accessKeyId);
    const activeSince = now.accessKeys
      .filter((key) => key.status === 'Active' && !prior.accessKeys.some((known) => known.accessKeyId === key.accessKeyId))
      .map((key) => key.accessKeyId);
    const deactivated = changed(context.changes(keyChangeSchema), 'DeactivateAccessKey');
    const goneSince: string[] = [];
    for (const accessKeyId of [...activeBefore, ...activeSince]) {
      if (deactivated.includes(accessKeyId)) continue;
      if (await setKeyStatus(context, user, accessKeyId, 'Inactive')) {
        deactivated.push(accessKeyId);
        await context.recordProgress({ applied: keyChanges('DeactivateAccessKey', deactivated) });
      } else {
        // Deleted since capture: nothing left to deactivate; reported, not an error.
        goneSince.push(accessKeyId);
      }
    }
    const alreadyInactive = prior.accessKeys.filter((key) => key.status !== 'Active').map((key) => key.accessKeyId);
    await context.recordProgress({
      applied: keyChanges('DeactivateAccessKey', deactivated),
      result: {
        user: user.label,
        deactivated,
        alreadyInactive,
        ...(activeSince.length > 0 ? { createdSinceCapture: activeSince } : {}),
        ...(goneSince.length > 0 ? { deletedSinceCapture: goneSince } : {}),
      },
    });
    return { pending: false };
  },

  async verify(context) {
    const user = iamPrincipalOf(context.target, 'user');
    const deactivated = changed(context.changes(keyChangeSchema), 'DeactivateAccessKey');
    const now = await readUserKeys(context, user);
    const stillActive = now.accessKeys.filter((key) => deactivated.includes(key.accessKeyId) && key.status === 'Active');
    if (stillActive.length > 0) {
      throw new ChangeNotVisibleError(
        `${stillActive.map((key) => key.accessKeyId).join(', ')} of ${user.label} still read back as Active after deactivating`,
      );
    }
    return { ...context.result(), verified: true };
  },

  plan(context) {
    const user = iamPrincipalOf(context.target, 'user');
    // Captured just now, so no key can have been created since: the keys active in `prior` are all apply would change.
    const prior = context.prior(userKeysStateSchema);
    return Promise.resolve(
      prior.accessKeys.filter((key) => key.status === 'Active').map((key) => plannedKeyStatus(user, prior.user.arn, key.accessKeyId, 'Inactive')),
    );
  },
};
