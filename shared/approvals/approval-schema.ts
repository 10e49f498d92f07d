/**
 * What the approval routes and a record answer with, as zod: the OpenAPI document's `ActionRecord`,
 * `Approval` and `ApprovalAccepted` are generated from these, and `satisfies` holds them to the
 * TypeScript types the code returns.
 */
import * as z from 'zod';
import { categories, executors } from '#shared/catalogue/types.ts';
import type { ActionRecord, Trigger } from '#shared/history/record.ts';
import { actionStatuses } from '#shared/history/status.ts';
import { planSchema } from '#shared/plans/plan-schema.ts';
import type { PlaybookPlan } from '#shared/playbooks/plan-types.ts';
import { reportSchema } from '#shared/responders/protocol.ts';
import { approvalStatuses, type Approval } from './types.ts';

const jsonValueSchema = reportSchema.shape.result.unwrap();
const time = z.iso.datetime({ offset: true });
const resourceSchema = z.strictObject({ key: z.string(), kind: z.string() });

/** What set an action off: null for a person's direct request (API.md "Findings in"). */
export const triggerSchema = z.strictObject({
  source: z.enum(['guardduty', 'securityhub', 'falco', 'person']),
  eventId: z.string().nullable(),
  findingId: z.string().nullable(),
  findingType: z.string().nullable(),
  ruleId: z.string().nullable(),
  approvedBy: z.string().nullable().describe('Who approved it; null when no approval was needed'),
}) satisfies z.ZodType<Trigger>;

export const actionRecordSchema = z.strictObject({
  id: z.string(),
  type: z.string(),
  category: z.enum(categories),
  executor: z.enum(executors),
  inputs: z.record(z.string(), z.unknown()),
  reason: z.string().nullable(),
  resource: resourceSchema,
  resources: z.array(resourceSchema),
  status: z.enum(actionStatuses),
  statusHistory: z.array(z.strictObject({ status: z.enum(actionStatuses), at: time, detail: z.string().optional() })),
  createdBy: z.string(),
  createdAt: time,
  updatedAt: time,
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
  result: jsonValueSchema.nullable(),
  prior: jsonValueSchema.nullable(),
  applied: jsonValueSchema.nullable(),
  undo: z.strictObject({ available: z.boolean(), type: z.string().nullable(), actionId: z.string().nullable() }),
  undoOf: z.string().nullable(),
  reexecuteOf: z.string().nullable(),
  trigger: triggerSchema.nullable(),
  playbookRunId: z.string().nullable().describe('The playbook run this action is a step of; null for an action on its own'),
  warnings: z
    .array(z.strictObject({ code: z.literal('NoEvidenceFirst'), message: z.string(), evidenceTypes: z.array(z.string()) }))
    .describe('Cautions recorded when the action was accepted, e.g. a destructive action with no evidence gathered first'),
}) satisfies z.ZodType<ActionRecord>;

/**
 * A playbook's dry run (API.md "Playbooks"): here rather than beside the run's schema, which
 * answers approvals too, so the approval's schema can hold one without the two importing each other.
 */
export const playbookPlanSchema = z.strictObject({
  playbook: z.string(),
  steps: z.array(
    z.strictObject({
      id: z.string(),
      type: z.string(),
      phase: z.enum(['evidence', 'containment']),
      plan: planSchema.nullable().describe("The step's plan; null when it would be skipped or needs an earlier step's result"),
      note: z.string().nullable().describe('Why the step has no plan (skipped: ..., needs the result of step ...)'),
    }),
  ),
}) satisfies z.ZodType<PlaybookPlan>;

export const approvalSchema = z.strictObject({
  id: z.string(),
  status: z.enum(approvalStatuses),
  request: z.strictObject({
    type: z.string().optional(),
    playbook: z.string().optional(),
    inputs: z.record(z.string(), z.unknown()),
    reason: z.string().nullable(),
  }),
  plan: z
    .union([planSchema, playbookPlanSchema])
    .nullable()
    .describe("What approving would do, planned when it was requested: the action's plan, or every step's for a playbook"),
  requestedBy: z.string(),
  trigger: triggerSchema.nullable(),
  createdAt: time,
  expiresAt: time,
  decidedBy: z.string().nullable(),
  decidedAt: time.nullable(),
  decisionReason: z.string().nullable(),
  actionIds: z.array(z.string()),
  playbookRunId: z.string().nullable().describe('The playbook run approving created; null until then and for an action'),
  category: z.enum(categories),
}) satisfies z.ZodType<Approval>;

/** A create, undo or re-execute on a target under APPROVAL_REQUIRED: 202 with this and `Location: /v1/approvals/{id}`. */
export const approvalAcceptedSchema = z.strictObject({ approval: approvalSchema });

/** POST /v1/approvals/{id}/approve and /reject. */
export const decisionRequestSchema = z.strictObject({ reason: z.string().max(1000).nullable().optional() });
