/**
 * The fields of an OCSF 1.x finding that the normaliser reads, as Security Hub sends them in
 * `Findings Imported V2` events (OCSF schema 1.x: Detection Finding 2004 and its siblings
 * Vulnerability 2002 and Compliance 2003, which share the Finding base: `finding_info`,
 * `severity_id`, `status_id`, `cloud`, `resources`; Security Hub User Guide, "OCSF findings").
 */
import * as z from 'zod';
import { accountId, count, identifier, region, text, typeText } from './schema-parts.ts';

/** The finding classes accepted; Detection Finding is the one GuardDuty and runtime tools produce. */
export const ocsfFindingClasses = [2002, 2003, 2004] as const;

const ocsfResourceSchema = z.object({
  uid: text(2048).optional(),
  type: text(256).optional(),
  region: region.optional(),
  cloud_partition: text(32).optional(),
  owner: z.object({ account: z.object({ uid: accountId.optional() }).optional() }).optional(),
});

export const ocsfFindingSchema = z.object({
  class_uid: z.union(ocsfFindingClasses.map((uid) => z.literal(uid)), {
    error: `must be an OCSF finding class: ${ocsfFindingClasses.join(', ')} (2004 is Detection Finding)`,
  }),
  finding_info: z.object({
    uid: identifier(512),
    types: z.array(typeText(256)).max(50).optional(),
    modified_time_dt: text(64).optional(),
  }),
  severity_id: z.int().min(0).max(99),
  severity: text(64).optional(),
  status_id: z.int().min(0).max(99).optional(),
  status: text(64).optional(),
  count: count.optional(),
  cloud: z.object({ account: z.object({ uid: accountId }), region: region.optional() }),
  metadata: z.object({ product: z.object({ name: text(256).optional() }).optional() }).optional(),
  resources: z.array(ocsfResourceSchema).max(32).optional(),
  compliance: z.object({ control: text(64).optional(), status_id: z.int().min(0).max(99).optional() }).optional(),
});

export type OcsfFinding = z.output<typeof ocsfFindingSchema>;
