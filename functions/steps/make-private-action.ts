/**
 * Lambda entry point of the private family's steps (make-cloud-resource-private and its undo, S3 and RDS): capture, apply, check, verify, one invocation each, and plans (`{ plan }`, nothing written).
 * Environment and permissions: see family-deps.ts; the member role's calls are the family's
 * entry in shared/actions/families.ts.
 */
import { privateFamily } from '#shared/actions/private/index.ts';
import { familyStepHandler } from './family-deps.ts';

export const handler = familyStepHandler(privateFamily);
