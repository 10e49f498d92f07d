import type { RunOutcome } from '#shared/playbooks/types.ts';
import type { ApiResult } from './api-handler.ts';

/**
 * 202 for a playbook run or a run's undo: the run and its address, or, on a target under
 * APPROVAL_REQUIRED, `{ "approval" }` and the approval's address, as acceptedResponse does for actions.
 */
export function runAcceptedResponse(outcome: RunOutcome): ApiResult {
  if ('approval' in outcome) {
    return { status: 202, body: { approval: outcome.approval }, headers: { location: `/v1/approvals/${outcome.approval.id}` } };
  }
  return { status: 202, body: outcome.run, headers: { location: `/v1/playbook-runs/${outcome.run.id}` } };
}
