/**
 * Approvals (API.md "Approvals"): a rule in `approval` mode, or any request on a target matched by
 * APPROVAL_REQUIRED, creates an approval instead of an action; a second person decides.
 */
import type { Category } from '#shared/catalogue/types.ts';
import type { Trigger } from '#shared/history/record.ts';
import type { Plan } from '#shared/plans/types.ts';
import type { PlaybookPlan } from '#shared/playbooks/plan-types.ts';

export const approvalStatuses = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];

export interface ApprovalRequestBody {
  /** The action type (or, with issue 13, `playbook` instead). */
  readonly type?: string;
  readonly playbook?: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly reason: string | null;
}

export interface Approval {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly request: ApprovalRequestBody;
  /** An action's plan, or for a playbook request every step's (issue 13). */
  readonly plan: Plan | PlaybookPlan | null;
  readonly requestedBy: string;
  readonly trigger: Trigger | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  /** Why it was approved or rejected, as the decider said. */
  readonly decisionReason: string | null;
  readonly actionIds: readonly string[];
  /** The playbook run approving created; null until then and for an action's approval. */
  readonly playbookRunId: string | null;
  /** The category of the requested action (a playbook's: containment if any step is): who may read and decide it. */
  readonly category: Category;
}
