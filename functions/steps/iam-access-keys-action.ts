/**
 * Lambda entry point of the IAM access keys family's steps (deactivate-access-keys, reactivate-access-keys): capture, apply, check, verify, one invocation each, and plans (`{ plan }`, nothing written).
 * Environment and permissions: see family-deps.ts; the member role's calls are the family's
 * entry in shared/actions/families.ts.
 */
import { iamAccessKeysFamily } from '#shared/actions/iam-access-keys/index.ts';
import { familyStepHandler } from './family-deps.ts';

export const handler = familyStepHandler(iamAccessKeysFamily);
