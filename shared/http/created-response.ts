import type { CreateOutcome } from '#shared/approvals/ports.ts';
import type { ApiResult } from './api-handler.ts';

/**
 * 202 for a create, undo or re-execute: the record and its address, or, on a target under
 * APPROVAL_REQUIRED, `{ "approval" }` and the approval's address (API.md "Approvals").
 */
export function acceptedResponse(outcome: CreateOutcome): ApiResult {
  if ('approval' in outcome) {
    return { status: 202, body: { approval: outcome.approval }, headers: { location: `/v1/approvals/${outcome.approval.id}` } };
  }
  return { status: 202, body: outcome.record, headers: { location: `/v1/actions/${outcome.record.id}` } };
}
