/**
 * detach-instance-profile takes the IAM instance profile off an EC2 instance, so the role
 * credentials the instance (and anyone on it) gets from its metadata service stop being renewed
 * and the instance can no longer call AWS as that role; restore-instance-profile puts exactly
 * that profile back. Credentials already handed out stay valid until they expire (at most a few
 * hours); revoke-iam-role-sessions on the profile's role cuts those too.
 */
import {
  DisassociateIamInstanceProfileCommand,
  paginateDescribeIamInstanceProfileAssociations,
} from '@aws-sdk/client-ec2';
// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { CloudAction } from '../cloud-action.ts';
import { ChangeNotVisibleError } from '../errors.ts';
import type { Ec2Clients, Ec2Context, Ec2InstanceRef } from './ec2-api.ts';

/** An instance's profile association as recorded: which profile, by which association. */
const associationSchema = z.object({ associationId: z.string(), instanceProfileArn: z.string(), state: z.string() });
export type ProfileAssociation = z.infer<typeof associationSchema>;

/** `prior` of both types: the instance and the profile association it has (null: none). */
export const profileStateSchema = z.object({ instanceId: z.string(), association: z.nullable(associationSchema) });
export type ProfileState = z.infer<typeof profileStateSchema>;

/** One change in `applied`: the association this action removed, or the one its undo made. */
export const profileChangeSchema = z.object({
  action: z.enum(['DisassociateIamInstanceProfile', 'AssociateIamInstanceProfile']),
  associationId: z.string(),
  instanceProfileArn: z.string(),
});
export type ProfileChange = z.infer<typeof profileChangeSchema>;

/** States of an association that gives (or is about to give) the instance the profile's credentials. */
const liveStates = new Set(['associating', 'associated']);

/** The instance's live profile association, or null; EC2 allows one per instance. */
export async function readProfileState(context: Ec2Context, ref: Ec2InstanceRef): Promise<ProfileState> {
  // TargetNotFound for an instance that does not exist: the associations filter alone would answer nothing.
  await context.clients.ec2.describeInstance(ref);
  const pages = await context.clients.ec2.pages(ref.region, 'ec2:DescribeIamInstanceProfileAssociations', (config) =>
    paginateDescribeIamInstanceProfileAssociations(config, { Filters: [{ Name: 'instance-id', Values: [ref.instanceId] }] }),
  );
  const live = pages
    .flatMap((page) => page.IamInstanceProfileAssociations ?? [])
    .find((association) => association.AssociationId !== undefined && liveStates.has(association.State ?? ''));
  return {
    instanceId: ref.instanceId,
    association:
      live?.AssociationId === undefined
        ? null
        : { associationId: live.AssociationId, instanceProfileArn: live.IamInstanceProfile?.Arn ?? '', state: live.State ?? 'associated' },
  };
}

/** detach-instance-profile: disassociates the instance's profile, recording which one it was. */
export const detachInstanceProfile: CloudAction<Ec2Clients> = {
  type: 'detach-instance-profile',

  async capture(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    await context.recordProgress({ prior: await readProfileState(context, ref) });
  },

  async apply(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    // Decided on `prior` and this action's own `applied`: a retried apply records its own earlier change.
    const { association } = context.prior(profileStateSchema);
    if (association === null) {
      await context.recordProgress({
        applied: { changes: [] },
        result: { instanceId: ref.instanceId, alreadyDetached: true, message: `${ref.label} had no instance profile before this action; nothing was changed` },
      });
      return { pending: false };
    }
    if (context.changes(profileChangeSchema).length === 0) {
      // Already gone (an earlier attempt of this apply removed it before recording): the change is still this action's.
      await context.clients.ec2.attempt(
        ref.region,
        'ec2:DisassociateIamInstanceProfile',
        (client) => client.send(new DisassociateIamInstanceProfileCommand({ AssociationId: association.associationId })),
        ['InvalidAssociationID.NotFound'],
      );
      const change: ProfileChange = {
        action: 'DisassociateIamInstanceProfile',
        associationId: association.associationId,
        instanceProfileArn: association.instanceProfileArn,
      };
      await context.recordProgress({
        applied: { changes: [change] },
        result: { instanceId: ref.instanceId, alreadyDetached: false, instanceProfileArn: association.instanceProfileArn, associationId: association.associationId },
      });
    }
    return { pending: false };
  },

  async verify(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    const [detached] = context.changes(profileChangeSchema);
    const now = await readProfileState(context, ref);
    if (detached !== undefined && now.association?.associationId === detached.associationId) {
      throw new ChangeNotVisibleError(`${ref.label} still has ${detached.instanceProfileArn} (${now.association.state})`);
    }
    return { ...context.result(), verified: true };
  },

  plan(context) {
    const ref = context.clients.ec2.instanceOf(context.target);
    // Apply's own decision, on `prior`: nothing when the instance has no profile.
    const { association } = context.prior(profileStateSchema);
    if (association === null) return Promise.resolve([]);
    return Promise.resolve([
      {
        call: 'ec2:DisassociateIamInstanceProfile',
        target: context.target.arn,
        detail: `remove instance profile ${association.instanceProfileArn} (association ${association.associationId}) from ${ref.label}`,
      },
    ]);
  },
};

