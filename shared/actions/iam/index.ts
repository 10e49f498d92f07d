/**
 * The IAM family: iam-quarantine attaches AWS's managed deny-all policy to a user or role, and
 * its undo iam-unquarantine detaches exactly what the quarantine attached.
 */
import type { CloudActionFamily } from '../cloud-action.ts';
import { createIamClients, type IamClients } from './iam-api.ts';
import { iamQuarantine } from './iam-quarantine.ts';
import { iamUnquarantine } from './iam-unquarantine.ts';

export { denyAllPolicyArn } from './principal-policies.ts';
export { iamQuarantine, iamUnquarantine };

/** The IAM family; its function needs iam:Get*, iam:List*, iam:Attach*Policy and iam:Detach*Policy in member accounts. */
export const iamFamily: CloudActionFamily<IamClients> = {
  name: 'iam',
  actions: [iamQuarantine, iamUnquarantine],
  // No endpoint: the SDK follows AWS_ENDPOINT_URL by itself, as every target-account call must.
  createClients: createIamClients,
};
