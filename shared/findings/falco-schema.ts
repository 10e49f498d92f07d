/**
 * A Falco alert as Falco's JSON output writes it (`json_output: true`; falcosidekick's webhook
 * output posts it unchanged): `rule, priority, time, output, output_fields, hostname?, source?,
 * tags?, uuid?` (falco.org, "Outputs": JSON output; falcosidekick README, "Webhook").
 */
import * as z from 'zod';
import { falcoPriorityOf } from './severity.ts';
import { identifier, text, timestamp } from './schema-parts.ts';

/** A rule name: any text without control characters (Falco's names have spaces and punctuation). */
const ruleName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}]+$/u, { error: 'must not contain control characters' });

const fieldValue = z.union([text(65_536), z.number(), z.boolean(), z.null(), z.array(z.union([text(4096), z.number()])).max(256)], {
  error: 'must be a string, a number, true, false, null or a list of strings and numbers',
});

export const falcoAlertSchema = z.object({
  uuid: identifier(64).optional(),
  rule: ruleName,
  priority: z
    .string()
    .max(32)
    .refine((priority) => falcoPriorityOf(priority) !== undefined, {
      error: "must be one of Falco's priorities: Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug",
    }),
  time: timestamp,
  output: text(65_536),
  output_fields: z.record(z.string().max(256), fieldValue),
  hostname: text(253).optional(),
  source: text(64).optional(),
  tags: z.array(text(256)).max(64).optional(),
});

export type FalcoAlert = z.output<typeof falcoAlertSchema>;
