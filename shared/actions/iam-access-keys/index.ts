/**
 * The IAM access keys family: deactivate-access-keys makes every active access key of an IAM user
 * inactive, and its undo reactivate-access-keys makes active again exactly the keys the
 * deactivation made inactive: never a key that was inactive before, never one created since.
 */
import type { CloudActionFamily } from '../cloud-action.ts';
import { createIamClients, type IamClients } from '../iam/iam-api.ts';
import { deactivateAccessKeys } from './deactivate-access-keys.ts';
import { reactivateAccessKeys } from './reactivate-access-keys.ts';

export { deactivateAccessKeys, reactivateAccessKeys };

/** The IAM access keys family; in member accounts its function needs iam:GetUser, iam:ListAccessKeys and iam:UpdateAccessKey on users. */
export const iamAccessKeysFamily: CloudActionFamily<IamClients> = {
  name: 'iam-access-keys',
  actions: [deactivateAccessKeys, reactivateAccessKeys],
  createClients: createIamClients,
};
