import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { cloudTrailFamily } from '#shared/actions/cloudtrail/index.ts';
import { ec2Family } from '#shared/actions/ec2/index.ts';
import { iamAccessKeysFamily } from '#shared/actions/iam-access-keys/index.ts';
import { iamFamily } from '#shared/actions/iam/index.ts';
import { iamSessionsFamily } from '#shared/actions/iam-sessions/index.ts';
import { privateFamily } from '#shared/actions/private/index.ts';
import type { EvidenceStore } from '#shared/ports.ts';

/** What families may need from the local runtime (the CloudTrail family writes evidence). */
export interface LocalFamilyDeps {
  readonly evidence: EvidenceStore;
}

/** Every cloud action family the local runtime runs (in AWS, one state machine and function each). */
export function localCloudActionFamilies(deps: LocalFamilyDeps): CloudActionFamily[] {
  return [iamFamily, iamSessionsFamily, iamAccessKeysFamily, privateFamily, ec2Family, cloudTrailFamily({ evidence: deps.evidence })];
}
