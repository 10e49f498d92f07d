/**
 * The IAM access keys family: deactivate-access-keys makes every active access key of an IAM user
 * inactive, and its undo reactivate-access-keys makes active again exactly the keys the
 * deactivation made inactive: never a key that was inactive before, never one created since.
 */
import {
  GetUserCommand,
  ListAccessKeysCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import * as z from 'zod';
import type { JsonValue } from '#shared/json.ts';
import type { CloudAction, CloudActionContext, CloudActionFamily } from './cloud-action.ts';
import {
  ChangeNotVisibleError,
  TargetNotFoundError,
  UndoSourceMissingError,
  fromAwsError,
} from './errors.ts';
import { createIamClients, iamCall, iamPrincipalOf, type IamPrincipalName } from './iam-common.ts';

// A type alias, not an interface, so it fits SessionClients' index signature.
export type IamAccessKeysClients = { readonly iam: IAMClient };

type KeysContext = CloudActionContext<IamAccessKeysClients>;

const accessKeySchema = z.object({
  accessKeyId: z.string(),
  status: z.enum(['Active', 'Inactive', 'Expired']),
  createDate: z.string().nullable(),
});
type AccessKey = z.infer<typeof accessKeySchema>;

/** `prior` of both types: the user and every access key it has, with its status. */
const userKeysStateSchema = z.object({
  user: z.object({ name: z.string(), arn: z.string(), id: z.string() }),
  accessKeys: z.array(accessKeySchema),
});
type UserKeysState = z.infer<typeof userKeysStateSchema>;

/** `applied` of both types: exactly the keys this action changed, in the order it changed them. */
const appliedSchema = z.object({
  changes: z.array(z.object({ action: z.enum(['DeactivateAccessKey', 'ReactivateAccessKey']), accessKeyId: z.string() })),
});
type Applied = z.infer<typeof appliedSchema>;

/** The user and every access key it has; changes nothing. */
async function readUserKeys(context: KeysContext, user: IamPrincipalName): Promise<UserKeysState> {
  const { iam } = context.clients;
  const { User: found } = await iamCall(context.target, user, 'iam:GetUser', () => iam.send(new GetUserCommand({ UserName: user.name })));
  if (found?.Arn === undefined) {
    throw new TargetNotFoundError(`${user.label} does not exist in account ${context.target.accountId}`);
  }
  const accessKeys: AccessKey[] = [];
  let marker: string | undefined;
  do {
    const Marker: string | undefined = marker;
    const page = await iamCall(context.target, user, 'iam:ListAccessKeys', () => iam.send(new ListAccessKeysCommand({ UserName: user.name, Marker })));
    for (const key of page.AccessKeyMetadata ?? []) {
      if (key.AccessKeyId === undefined) continue;
      const status = key.Status === 'Active' || key.Status === 'Inactive' || key.Status === 'Expired' ? key.Status : 'Inactive';
      accessKeys.push({ accessKeyId: key.AccessKeyId, status, createDate: key.CreateDate?.toISOString() ?? null });
    }
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);
  return { user: { name: user.name, arn: found.Arn, id: found.UserId ?? '' }, accessKeys };
}

/** Sets a key's status; false when the key does not exist (any more). */
async function setKeyStatus(context: KeysContext, user: IamPrincipalName, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<boolean> {
  try {
    await context.clients.iam.send(new UpdateAccessKeyCommand({ UserName: user.name, AccessKeyId: accessKeyId, Status: status }));
    return true;
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) {
      throw fromAwsError(error, { accountId: context.target.accountId, operation: `iam:UpdateAccessKey (${status}) on ${user.label}` });
    }
    // NoSuchEntity is either the user or the key: a user that is still there means the latter.
    await readUserKeys(context, user);
    return false;
  }
}

function parseState(record: { id: string; prior: JsonValue | null }): UserKeysState {
  const parsed = userKeysStateSchema.safeParse(record.prior);
  if (!parsed.success) {
    throw new UndoSourceMissingError(`action ${record.id} recorded no access key state, so there is nothing to compare or reverse`);
  }
  return parsed.data;
}

function parseApplied(record: { id: string; applied: JsonValue | null }): Applied {
  if (record.applied === null) return { changes: [] };
  const parsed = appliedSchema.safeParse(record.applied);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded changes this service cannot read`);
  return parsed.data;
}

function changed(applied: Applied, action: Applied['changes'][number]['action']): string[] {
  return applied.changes.filter((change) => change.action === action).map((change) => change.accessKeyId);
}

function keyChanges(action: Applied['changes'][number]['action'], accessKeyIds: readonly string[]): JsonValue {
  return { changes: accessKeyIds.map((accessKeyId) => ({ action, accessKeyId })) };
}

function objectResult(result: JsonValue | null): { [key: string]: JsonValue } {
  return typeof result === 'object' && result !== null && !Array.isArray(result) ? result : {};
}

function undoSource(context: KeysContext): { id: string; prior: JsonValue | null; applied: JsonValue | null } {
  if (context.undoing === null) {
    throw new UndoSourceMissingError(`action ${context.record.id} (${context.record.type}) does not name the action it undoes`);
  }
  return context.undoing;
}

/** deactivate-access-keys: makes every active key of the user inactive, recording each one as it goes. */
export const deactivateAccessKeys: CloudAction<IamAccessKeysClients> = {
  type: 'deactivate-access-keys',

  async capture(context) {
    const prior = await readUserKeys(context, iamPrincipalOf(context.target, 'user'));
    await context.recordProgress({ prior });
  },

  async apply(context) {
    const user = iamPrincipalOf(context.target, 'user');
    const prior = parseState(context.record);
    const now = await readUserKeys(context, user);
    // Keys active at capture are deactivated whatever they say now (a retried apply must still
    // record its own earlier change); keys created and active since capture are deactivated too.
    const activeBefore = prior.accessKeys.filter((key) => key.status === 'Active').map((key) => key.accessKeyId);
    const activeSince = now.accessKeys
      .filter((key) => key.status === 'Active' && !prior.accessKeys.some((known) => known.accessKeyId === key.accessKeyId))
      .map((key) => key.accessKeyId);
    const deactivated = changed(parseApplied(context.record), 'DeactivateAccessKey');
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
    const deactivated = changed(parseApplied(context.record), 'DeactivateAccessKey');
    const now = await readUserKeys(context, user);
    const stillActive = now.accessKeys.filter((key) => deactivated.includes(key.accessKeyId) && key.status === 'Active');
    if (stillActive.length > 0) {
      throw new ChangeNotVisibleError(
        `${stillActive.map((key) => key.accessKeyId).join(', ')} of ${user.label} still read back as Active after deactivating`,
      );
    }
    return { ...objectResult(context.record.result), verified: true };
  },
};

/** reactivate-access-keys: reactivates only the keys its deactivation made inactive, reporting drift first. */
export const reactivateAccessKeys: CloudAction<IamAccessKeysClients> = {
  type: 'reactivate-access-keys',
  undoes: 'deactivate-access-keys',

  async capture(context) {
    const deactivation = undoSource(context);
    const deactivationPrior = parseState(deactivation);
    const deactivated = changed(parseApplied(deactivation), 'DeactivateAccessKey');
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
    const toReactivate = changed(parseApplied(undoSource(context)), 'DeactivateAccessKey');
    // A retried apply keeps what an earlier attempt of this undo already reactivated.
    const reactivated = changed(parseApplied(context.record), 'ReactivateAccessKey');
    const before = parseState(context.record);
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
      result: { ...objectResult(context.record.result), reactivated, alreadyActive, deletedSince },
    });
    return { pending: false };
  },

  async verify(context) {
    const user = iamPrincipalOf(context.target, 'user');
    const reactivated = changed(parseApplied(context.record), 'ReactivateAccessKey');
    const now = await readUserKeys(context, user);
    const notActive = reactivated.filter((id) => now.accessKeys.find((key) => key.accessKeyId === id)?.status !== 'Active');
    if (notActive.length > 0) {
      throw new ChangeNotVisibleError(`${notActive.join(', ')} of ${user.label} do not read back as Active after reactivating`);
    }
    return { ...objectResult(context.record.result), verified: true };
  },
};

/** The IAM access keys family; in member accounts its function needs iam:GetUser, iam:ListAccessKeys and iam:UpdateAccessKey on users. */
export const iamAccessKeysFamily: CloudActionFamily<IamAccessKeysClients> = {
  name: 'iam-access-keys',
  actions: [deactivateAccessKeys, reactivateAccessKeys],
  createClients: createIamClients,
};
