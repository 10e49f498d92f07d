/**
 * What deactivate-access-keys and its undo record and read: the user and every access key it
 * has, and the call that sets a key's status.
 */
import { GetUserCommand, UpdateAccessKeyCommand, paginateListAccessKeys } from '@aws-sdk/client-iam';
import * as z from 'zod';
import type { JsonValue } from '#shared/json.ts';
import type { PlannedChange } from '#shared/plans/types.ts';
import type { CloudActionContext } from '../cloud-action.ts';
import { TargetNotFoundError } from '../errors.ts';
import { iamAttempt, iamCall, iamPages, type IamClients, type IamPrincipalName } from '../iam/iam-api.ts';

export type KeysContext = CloudActionContext<IamClients>;

const accessKeySchema = z.object({
  accessKeyId: z.string(),
  status: z.enum(['Active', 'Inactive', 'Expired']),
  createDate: z.string().nullable(),
});
type AccessKey = z.infer<typeof accessKeySchema>;

/** `prior` of both types: the user and every access key it has, with its status. */
export const userKeysStateSchema = z.object({
  user: z.object({ name: z.string(), arn: z.string(), id: z.string() }),
  accessKeys: z.array(accessKeySchema),
});
export type UserKeysState = z.infer<typeof userKeysStateSchema>;

/** One change in `applied` of both types: a key this action changed, in the order it changed them. */
export const keyChangeSchema = z.object({ action: z.enum(['DeactivateAccessKey', 'ReactivateAccessKey']), accessKeyId: z.string() });
type KeyChange = z.infer<typeof keyChangeSchema>;

/** The user and every access key it has; changes nothing. */
export async function readUserKeys(context: KeysContext, user: IamPrincipalName): Promise<UserKeysState> {
  const { iam } = context.clients;
  const { User: found } = await iamCall(context.target, user, 'iam:GetUser', () => iam.send(new GetUserCommand({ UserName: user.name })));
  if (found?.Arn === undefined) {
    throw new TargetNotFoundError(`${user.label} does not exist in account ${context.target.accountId}`);
  }
  const pages = await iamPages(context.target, user, 'iam:ListAccessKeys', () => paginateListAccessKeys({ client: iam }, { UserName: user.name }));
  const accessKeys: AccessKey[] = pages.flatMap((page) =>
    (page.AccessKeyMetadata ?? []).flatMap((key) => {
      if (key.AccessKeyId === undefined) return [];
      const status = key.Status === 'Active' || key.Status === 'Inactive' || key.Status === 'Expired' ? key.Status : 'Inactive';
      return [{ accessKeyId: key.AccessKeyId, status, createDate: key.CreateDate?.toISOString() ?? null }];
    }),
  );
  return { user: { name: user.name, arn: found.Arn, id: found.UserId ?? '' }, accessKeys };
}

/** Sets a key's status; false when the key does not exist (any more). */
export async function setKeyStatus(context: KeysContext, user: IamPrincipalName, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<boolean> {
  const updated = await iamAttempt(context.target, user, `iam:UpdateAccessKey (${status})`, () =>
    context.clients.iam.send(new UpdateAccessKeyCommand({ UserName: user.name, AccessKeyId: accessKeyId, Status: status })),
  );
  if (updated.ok) return true;
  // NoSuchEntity is either the user or the key: a user that is still there means the latter.
  await readUserKeys(context, user);
  return false;
}

/** The keys the listed changes did with `action`. */
export function changed(changes: readonly KeyChange[], action: KeyChange['action']): string[] {
  return changes.filter((change) => change.action === action).map((change) => change.accessKeyId);
}

/** `applied` listing one change per key, written whole. */
export function keyChanges(action: KeyChange['action'], accessKeyIds: readonly string[]): JsonValue {
  return { changes: accessKeyIds.map((accessKeyId) => ({ action, accessKeyId })) };
}

/** The status change a plan lists for one key. */
export function plannedKeyStatus(user: IamPrincipalName, userArn: string, accessKeyId: string, status: 'Active' | 'Inactive'): PlannedChange {
  return { call: 'iam:UpdateAccessKey', target: userArn, detail: `set access key ${accessKeyId} of ${user.label} to ${status}` };
}
