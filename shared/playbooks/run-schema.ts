/**
 * What the playbook routes take and answer, as zod: the OpenAPI document's playbook schemas are
 * generated from these, `satisfies` holds them to the TypeScript types the service returns, and the
 * tests parse every answer with them (strict: no internal field of a stored run can leak).
 */
import * as z from 'zod';
import { approvalAcceptedSchema, playbookPlanSchema, triggerSchema } from '#shared/approvals/approval-schema.ts';
import { effects } from '#shared/catalogue/types.ts';
import { actionStatuses } from '#shared/history/status.ts';
import { reportSchema } from '#shared/responders/protocol.ts';
import { runStatuses, type PlaybookDescription, type PlaybookRun, type PlaybookRunStep } from './types.ts';

const jsonValueSchema = reportSchema.shape.result.unwrap();
const time = z.iso.datetime({ offset: true });
const phase = z.enum(['evidence', 'containment']).describe('evidence: the step gathers; containment: it contains (preserving or destructive)');
const errorSchema = z.strictObject({ code: z.string(), message: z.string() });

export const playbookRunStepSchema = z.strictObject({
  id: z.string(),
  type: z.string(),
  phase,
  actionId: z.string().nullable().describe("The step's action (its record carries playbookRunId); null until the step starts"),
  status: z.enum(['Pending', 'Skipped', ...actionStatuses]).describe("Pending, Skipped, or the step's action's status now"),
  skipReason: z.string().nullable().describe('Why it was Skipped: its condition, or the run stopping before it'),
  error: errorSchema.nullable().describe("Why the step failed before it had an action (its inputs were refused); an action's own error is on the action"),
  continueOnError: z.boolean(),
}) satisfies z.ZodType<PlaybookRunStep>;

export const playbookRunSchema = z.strictObject({
  id: z.string(),
  playbook: z.string(),
  inputs: z.record(z.string(), jsonValueSchema),
  reason: z.string().nullable(),
  status: z.enum(runStatuses),
  steps: z.array(playbookRunStepSchema),
  createdBy: z.string(),
  createdAt: time,
  updatedAt: time,
  deadline: time.describe('When the run ends in Error (RunDeadlineExceeded) if it has not finished'),
  error: errorSchema
    .nullable()
    .describe('Why the run ended in Error: StepFailed, EvidenceNotSecured, RunDeadlineExceeded, ExecutionFailed, StartFailed'),
  undo: z.strictObject({
    available: z.boolean().describe('The run is finished and has Completed containment steps with an undo, none undone yet'),
    runId: z.string().nullable().describe('The run that undoes this one'),
  }),
  undoOf: z.string().nullable().describe('The run this one undoes; null for a playbook\'s own run'),
  trigger: triggerSchema.nullable(),
}) satisfies z.ZodType<PlaybookRun>;

/** POST /v1/playbooks/{name}/runs (and a run's undo): 202 with the run, or with the approval it needs first. */
export const playbookRunAcceptedSchema = z.union([playbookRunSchema, approvalAcceptedSchema]);

/** The dry run's answer: one schema with the approval's, which carries a playbook's plan too. */
export { playbookPlanSchema };

/** POST /v1/playbooks/{name}/runs?dryRun=true */
export const playbookPlanResponseSchema = z.strictObject({ plan: playbookPlanSchema });

export const playbookDescriptionSchema = z.strictObject({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  source: z.enum(['built-in', 'custom']),
  inputs: z.record(z.string(), z.unknown()).describe("JSON Schema of the run's inputs object"),
  steps: z.array(
    z.strictObject({
      id: z.string(),
      type: z.string(),
      phase,
      effect: z.enum(effects),
      continueOnError: z.boolean(),
      when: z.array(z.string()).describe("The step's conditions in words; empty when it always runs"),
    }),
  ),
}) satisfies z.ZodType<PlaybookDescription>;

/** GET /v1/playbooks */
export const playbookListSchema = z.array(playbookDescriptionSchema);

/** GET /v1/playbook-runs */
export const playbookRunPageSchema = z.strictObject({ items: z.array(playbookRunSchema), nextCursor: z.string().nullable() });

const reasonSchema = z.string().max(1000).nullable().optional();

/** The body of POST /v1/playbooks/{name}/runs: strict (an unknown field is a 400 naming it). */
export const playbookRunRequestSchema = z.strictObject({
  inputs: z.record(z.string(), z.unknown()).describe("The playbook's inputs (GET /v1/playbooks: its inputs' JSON Schema)"),
  reason: reasonSchema,
});

/** The body of POST /v1/playbook-runs/{id}/undo. */
export const playbookRunUndoRequestSchema = z.strictObject({ reason: reasonSchema });
