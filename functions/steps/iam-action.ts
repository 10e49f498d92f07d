/**
 * Lambda entry point of the IAM family's steps (iam-quarantine, iam-unquarantine): capture, apply, check, verify, one invocation each, and plans (`{ plan }`, nothing written).
 * Environment and permissions: see family-deps.ts; the member role's calls are the family's
 * entry in shared/actions/families.ts.
 */
import { iamFamily } from '#shared/actions/iam/index.ts';
import { familyStepHandler } from './family-deps.ts';

export const handler = familyStepHandler(iamFamily);
