/**
 * Lambda entry point of the EC2 family's steps (cloud-volume-snapshot, isolate-ec2-instance and their undos): capture, apply, check, verify, one invocation each, and plans (`{ plan }`, nothing written).
 * Environment and permissions: see family-deps.ts; the member role's calls are the family's
 * entry in shared/actions/families.ts.
 */
import { ec2Family } from '#shared/actions/ec2/index.ts';
import { familyStepHandler } from './family-deps.ts';

export const handler = familyStepHandler(ec2Family);
