/**
 * A playbook rule's mode, once every guard passed (issue 13): dry-run plans every step, approval
 * requests the run with that plan, enforce starts it as `automation:<rule id>`. A run counts as one
 * action towards the rule's limits, however many steps it has.
 */
import type { RunApprovalRequests } from '#shared/approvals/ports.ts';
import type { Clock } from '#shared/clock.ts';
import { categoriesOf } from '#shared/playbooks/definitions/index.ts';
import type { PlaybookDefinition, PlaybookPlan, PlaybookRuns } from '#shared/playbooks/types.ts';
import { refusalOf } from './decision-guards.ts';
import { actedBy, countAsOf, decision, reasonFor, triggerOf, unexplained, type Context, type Decided } from './decisions.ts';
import type { MappedRun } from './playbook-inputs.ts';
import type { RateLimiter } from './types.ts';

export interface PlaybookModeDeps {
  readonly runs: Pick<PlaybookRuns, 'plan' | 'createOnBehalf'>;
  readonly approvals: RunApprovalRequests;
  readonly rates: Pick<RateLimiter, 'take'>;
  readonly clock: Clock;
}

export async function playbookMode(
  deps: PlaybookModeDeps,
  context: Context,
  playbook: PlaybookDefinition,
  mapped: Extract<MappedRun, { ok: true }>,
  note: string,
): Promise<Decided> {
  const { event, finding, rule } = context;
  const target = `playbook ${playbook.name} on ${mapped.targets.map((each) => each.key).join(', ')}`;
  const request = { inputs: { ...mapped.inputs }, reason: reasonFor(rule, event, finding) };
  const trigger = triggerOf(context);
  try {
    if (rule.mode !== 'enforce') {
      const plan = await deps.runs.plan(null, playbook.name, request);
      const refused = refusedStep(plan);
      if (refused !== null) return { decision: decision(rule, 'refused', `the plan refuses ${target}: ${refused}`, { plan }) };
      if (rule.mode === 'dry-run') return { decision: decision(rule, 'planned', `dry-run: planned ${target}; nothing was changed${note}`, { plan }) };
      const categories = categoriesOf(playbook);
      const approval = await deps.approvals.requestRun({
        playbook: playbook.name,
        ...request,
        requestedBy: actedBy(rule),
        trigger,
        category: categories.includes('containment') ? 'containment' : 'data-gathering',
        categories,
        plan,
        countAs: countAsOf(context),
      });
      const reason = `approval mode: ${target} waits for a person to approve approval ${approval.id}${note}`;
      return { decision: decision(rule, 'awaiting-approval', reason, { approvalId: approval.id, plan }) };
    }
    const allowance = await deps.rates.take(rule, { accountId: finding.accountId, region: finding.region }, deps.clock.now());
    if (!allowance.allowed) return { decision: decision(rule, 'rate-limited', allowance.reason) };
    // No countAs: the take above counted this run, so approving a gated one must not count it again.
    const outcome = await deps.runs.createOnBehalf(actedBy(rule), playbook.name, request, { trigger, approved: false }).catch((error: unknown) => {
      if (refusalOf(error) !== null) throw error;
      // The run may be written and started already: the claim is kept, so a retried delivery never starts a second.
      return { mayHaveActed: unexplained(rule, error, 'creating the playbook run failed, perhaps after it was written', true) };
    });
    if ('mayHaveActed' in outcome) return outcome.mayHaveActed;
    if ('approval' in outcome) {
      const reason = `${target} names a target APPROVAL_REQUIRED matches: it waits for a person to approve approval ${outcome.approval.id}${note}`;
      return { decision: decision(rule, 'awaiting-approval', reason, { approvalId: outcome.approval.id }) };
    }
    const reason = `started ${target} (run ${outcome.run.id}); its steps' actions carry playbookRunId ${outcome.run.id}${note}`;
    return { decision: decision(rule, 'executed', reason, { playbookRunId: outcome.run.id }) };
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal === null) throw error;
    return { decision: decision(rule, 'refused', `${target} was refused: ${refusal}`) };
  }
}

/** The first step the plan refuses, said as a reason; null when every planned step is allowed. */
function refusedStep(plan: PlaybookPlan): string | null {
  for (const step of plan.steps) {
    if (step.plan === null || step.plan.allowed) continue;
    const { refusal } = step.plan;
    return `step ${step.id} (${step.type} on ${step.plan.resource.key}): ${refusal?.code ?? 'Refused'}: ${refusal?.message ?? 'no reason given'}`;
  }
  return null;
}
