/**
 * restore-instance-profile re-associates exactly the instance profile detach-instance-profile
 * removed. A profile associated since is drift: it is reported and left as found, never replaced.
 */
import { AssociateIamInstanceProfileCommand } from '@aws-sdk/client-ec2';
import type { JsonObject } from '#shared/json.ts';
import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import {
  profileChangeSchema,
  profileStateSchema,
  readProfileState,
  type ProfileChange,
  type ProfileState,
} from './detach-instance-profile.ts';
import type { Ec2Clients } from './ec2-api.ts';

/** What the instance's profile is now, against what the detach left (no profile). */
export function instanceProfileDrift(detached: ProfileChange | undefined, now: ProfileState): JsonObject {
  if (detached === undefined || now.association === null) return { associatedSince: null };
  return {
    associatedSince: { instanceProfileArn: now.association.instanceProfileArn, associationId: now.association.associationId },
    sameProfile: now.association.instanceProfileArn === detached.instanceProfileArn,
  };
}

/** restore-instance-profile: the profile the detach removed goes back, unless one is associated since. */
export const restoreInstanceProfile: CloudAction<Ec2Clients> = {
  type: 'restore-instance-profile',
  undoes: 'detach-instance-profile',

  async capture(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const [detached] = context.changes(profileChangeSchema, context.undoSource());
    const now = await readProfileState(context, ref);
    // The undo's own prior is the instance as it is now, before the undo changes anything.
    await context.recordProgress({ prior: now, result: { instanceId: ref.instanceId, drift: instanceProfileDrift(detached, now) } });
  },

  async apply(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const [detached] = context.changes(profileChangeSchema, context.undoSource());
    const result = context.result();
    // A retried apply keeps what an earlier attempt of this undo did.
    if (context.changes(profileChangeSchema).length > 0) return { pending: false };
    if (detached === undefined) {
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored: 'nothingToRestore' } });
      return { pending: false };
    }
    const { association } = context.prior(profileStateSchema);
    if (association !== null) {
      // The same profile back by hand is what the undo wants; another one is not ours to replace.
      const restored = association.instanceProfileArn === detached.instanceProfileArn ? 'alreadyRestored' : 'leftAsFound';
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored } });
      return { pending: false };
    }
    // Needs iam:PassRole on the profile's role; the member role is denied it on its own and the service's roles.
    const { IamInstanceProfileAssociation: made } = await context.clients.ec2.call(
      ref.region,
      'ec2:AssociateIamInstanceProfile',
      (client) =>
        client.send(new AssociateIamInstanceProfileCommand({ InstanceId: ref.instanceId, IamInstanceProfile: { Arn: detached.instanceProfileArn } })),
      `${ref.label} or instance profile ${detached.instanceProfileArn}`,
    );
    const change: ProfileChange = {
      action: 'AssociateIamInstanceProfile',
      associationId: made?.AssociationId ?? '',
      instanceProfileArn: detached.instanceProfileArn,
    };
    await context.recordProgress({
      applied: { changes: [change] },
      result: { ...result, restored: 'profileAssociated', instanceProfileArn: detached.instanceProfileArn, associationId: change.associationId },
    });
    return { pending: false };
  },

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const [associated] = context.changes(profileChangeSchema);
    if (associated !== undefined) {
      const now = await readProfileState(context, ref);
      if (now.association?.instanceProfileArn !== associated.instanceProfileArn) {
        throw new ChangeNotVisibleError(`${ref.label} does not show ${associated.instanceProfileArn} yet`);
      }
    }
    return { ...context.result(), verified: true };
  },

  plan(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const [detached] = context.changes(profileChangeSchema, context.undoSource());
    // Nothing when the detach removed nothing, or a profile (the same one or another) is associated now.
    if (detached === undefined || context.prior(profileStateSchema).association !== null) return Promise.resolve([]);
    return Promise.resolve([
      { call: 'ec2:AssociateIamInstanceProfile', target: context.target.arn, detail: `associate instance profile ${detached.instanceProfileArn} with ${ref.label} again` },
    ]);
  },
};
