import { ApprovalService, type ApprovalServiceDeps } from '#shared/approvals/approval-service.ts';
import { ActionService, type ActionServiceDeps } from './action-service.ts';

export interface ActionServicesDeps extends Omit<ActionServiceDeps, 'approvals'> {
  readonly approvalStore: ApprovalServiceDeps['store'];
  /** APPROVAL_TTL_SECONDS */
  readonly approvalTtlSeconds: number;
  readonly onApproved?: ApprovalServiceDeps['onApproved'];
  /** Starts an approved playbook run (issue 13); a closure over the PlaybookRunService, which needs `approvals` first. */
  readonly runs?: ApprovalServiceDeps['runs'];
}

/**
 * The action and approval use cases, wired to each other: a gated create requests an approval,
 * and approving creates the action. Every runtime builds the pair here.
 */
export function createActionServices(deps: ActionServicesDeps): { readonly actions: ActionService; readonly approvals: ApprovalService } {
  const { approvalStore, approvalTtlSeconds, onApproved, runs, ...actionDeps } = deps;
  const approvals: ApprovalService = new ApprovalService({
    store: approvalStore,
    clock: deps.clock,
    ttlSeconds: approvalTtlSeconds,
    ...(onApproved === undefined ? {} : { onApproved }),
    ...(runs === undefined ? {} : { runs }),
    actions: {
      // `actions` is built just below: approvals are only decided once both exist.
      createOnBehalf: (principal, request, options) => actions.createOnBehalf(principal, request, options),
    },
  });
  const actions: ActionService = new ActionService({ ...actionDeps, approvals });
  return { actions, approvals };
}
