/**
 * A playbook's dry run and its steps' phases (API.md "Playbooks"): apart from types.ts so that an
 * approval (shared/approvals/types.ts) can carry a playbook's plan while types.ts's RunOutcome
 * carries an approval, without the two modules importing each other.
 */
import type { Plan } from '#shared/plans/types.ts';

export type StepPhase = 'evidence' | 'containment';

/** `?dryRun=true`: every step's plan (API.md); a step that cannot be planned yet says why. */
export interface PlaybookPlan {
  readonly playbook: string;
  readonly steps: readonly {
    readonly id: string;
    readonly type: string;
    readonly phase: StepPhase;
    /** Null when the step would be skipped or needs an earlier step's result; `note` says which. */
    readonly plan: Plan | null;
    readonly note: string | null;
  }[];
}
