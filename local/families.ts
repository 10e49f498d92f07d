import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { iamFamily } from '#shared/actions/iam-quarantine.ts';
import { privateFamily } from '#shared/actions/make-private.ts';
import type { EvidenceStore } from '#shared/ports.ts';

/** What families may need from the local runtime (the CloudTrail family writes evidence). */
export interface LocalFamilyDeps {
  readonly evidence: EvidenceStore;
}

/** Every cloud action family the local runtime runs (in AWS, one state machine and function each). */
export function localCloudActionFamilies(_deps: LocalFamilyDeps): CloudActionFamily[] {
  return [iamFamily, privateFamily];
}
