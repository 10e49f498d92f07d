/**
 * Lambda entry point of the IAM sessions family's steps (revoke-iam-role-sessions, restore-iam-role-sessions): capture, apply, check, verify, one invocation each, and plans (`{ plan }`, nothing written).
 * Environment and permissions: see family-deps.ts; the member role's calls are the family's
 * entry in shared/actions/families.ts.
 */
import { iamSessionsFamily } from '#shared/actions/iam-sessions/index.ts';
import { familyStepHandler } from './family-deps.ts';

export const handler = familyStepHandler(iamSessionsFamily);
