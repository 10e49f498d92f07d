/**
 * The plan as zod: the OpenAPI document's `Plan` and `PlanResponse` are generated from it, and the
 * tests hold every plan the service answers with to it, so the document cannot drift from the code.
 */
import * as z from 'zod';
import { reportSchema } from '#shared/responders/protocol.ts';
import type { Plan } from './types.ts';

/** Any JSON value: the responder report's own schema of one (its `result`), reused rather than written again. */
const jsonValueSchema = reportSchema.shape.result.unwrap();

const text = z.string().min(1);

/** A caution a record carries (the record's `warnings`): what a plan says the create would record. */
export const actionWarningSchema = z.strictObject({
  code: z.literal('NoEvidenceFirst'),
  message: text,
  evidenceTypes: z.array(text).describe('The evidence types that would have preserved what the action destroys'),
});

export const planSchema = z.strictObject({
  type: text.describe('The action type planned (for a directly posted undo type: that undo)'),
  resource: z.strictObject({ key: text, kind: text }),
  allowed: z.boolean().describe('False when a guard (or the target itself) refuses: `refusal` says why and `changes` is empty'),
  refusal: z
    .strictObject({
      code: text.describe('The code the action would end in Error with: TargetAccountNotAllowed, ProtectedTarget, TargetNotFound, ...'),
      message: text,
    })
    .nullable(),
  prior: jsonValueSchema.nullable().describe('The state that would be captured now; null when the responder captures it at run time'),
  changes: z.array(
    z.strictObject({
      call: text.describe('iam:AttachUserPolicy, host:kill-process, kubernetes:create NetworkPolicy, ...'),
      target: text.describe('An ARN or a resource key'),
      detail: text,
    }),
  ),
  undo: z.strictObject({ type: text, restores: text }).nullable().describe('The undo type and what it would restore; null when the type has no undo'),
  warnings: z
    .array(actionWarningSchema)
    .describe('The cautions the record would carry if the action were created now (NoEvidenceFirst: no evidence gathered on its resource in the hour before); empty when none'),
}) satisfies z.ZodType<Plan>;

/** The body of `POST /v1/actions?dryRun=true`, `POST /v1/actions/{id}/undo?dryRun=true` and `POST /v1/actions/{id}/reexecute?dryRun=true`. */
export const planResponseSchema = z.strictObject({ plan: planSchema });
