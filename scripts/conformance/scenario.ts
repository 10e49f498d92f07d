/**
 * A conformance scenario as data (conformance/scenarios/*.yaml): the finding event, the rules in
 * force, the target to set up, the steps (posts, approvals, resets, restarts) with the answers
 * each must get, and the action records and target state expected at the end and after undo.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import * as z from 'zod';
import { decisionOutcomes } from '#shared/automation/types.ts';

/** conformance/ in this checkout. */
const conformanceRoot = new URL('../../conformance/', import.meta.url).pathname;
/** Fixture paths in scenarios are relative to this folder (the repository's own copies, so CI has them). */
export const fixturesRoot = new URL('../../test/fixtures/findings/', import.meta.url).pathname;

const tags = z.record(z.string(), z.string()).default({});

/** A target the runner creates before the scenario and reads after each part of it. */
export const targetSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('iam-user'),
    /** Active access keys to create. */
    accessKeys: z.number().int().min(0).max(2).default(1),
    /** Managed policy ARNs to attach. */
    policies: z.array(z.string()).default([]),
    tags,
  }),
  z.strictObject({ kind: z.literal('ec2-instance'), tags }),
  z.strictObject({ kind: z.literal('s3-bucket'), tags }),
  /** A `sleep` started by the runner on this machine. */
  z.strictObject({ kind: z.literal('host-process') }),
  /** A file written by the runner in a temporary directory on this machine. */
  z.strictObject({ kind: z.literal('host-file'), content: z.string().default('#!/bin/sh\necho dropped\n') }),
]);
export type TargetSpec = z.infer<typeof targetSchema>;

/**
 * A body to post: a fixture file (under test/fixtures/findings/), or inline JSON, or raw text; then
 * `set` (dotted paths, `[n]` for list items, to values; `{{name}}` in strings is filled from the
 * targets and the run) and `remove` (paths deleted).
 */
export const eventSchema = z
  .strictObject({
    fixture: z.string().regex(/^[\w.-]+(?:\/[\w.-]+)*\.json$/, 'a .json path under test/fixtures/findings/').optional(),
    inline: z.record(z.string(), z.unknown()).optional(),
    text: z.string().optional(),
    set: z.record(z.string(), z.unknown()).default({}),
    remove: z.array(z.string()).default([]),
  })
  .refine((event) => [event.fixture, event.inline, event.text].filter((body) => body !== undefined).length === 1, {
    message: 'give exactly one of fixture, inline or text',
  });
export type EventSpec = z.infer<typeof eventSchema>;

const decisionSchema = z.strictObject({
  ruleId: z.string().optional(),
  outcome: z.enum(decisionOutcomes),
  /**
   * The type of the action the decision names: created (executed), planned (planned), waiting for a
   * person (awaiting-approval), or, for a duplicate, the one the first decision created. Absent: none.
   */
  action: z.string().optional(),
  /** A substring the decision's reason must contain. */
  reason: z.string().optional(),
});
export type DecisionExpectation = z.infer<typeof decisionSchema>;

/** Per target: `unchanged` (deep-equal to the state read before the scenario), or fields that must equal. */
const stateSchema = z.record(z.string(), z.union([z.literal('unchanged'), z.record(z.string(), z.unknown())]));
export type StateExpectation = z.infer<typeof stateSchema>;

const stepSchema = z.union([
  z.strictObject({
    /** The name of an event under `events`. */
    post: z.string(),
    expect: z.strictObject({
      status: z.number().int(),
      /** Every decision of every finding in the answer, in order. */
      decisions: z.array(decisionSchema).optional(),
      /** For a 4xx: the `errors[].path` values of the problem, in any order. */
      problemPaths: z.array(z.string()).optional(),
    }),
  }),
  z.strictObject({
    /** Decides the approval the newest awaiting-approval decision named, as another person (`as`). */
    approve: z.strictObject({ as: z.string().default('approver-2') }),
    expect: z.strictObject({ status: z.number().int(), approvalStatus: z.string() }),
  }),
  z.strictObject({
    reject: z.strictObject({ as: z.string().default('approver-2') }),
    expect: z.strictObject({ status: z.number().int(), approvalStatus: z.string() }),
  }),
  z.strictObject({ reset: z.string(), expect: z.strictObject({ status: z.number().int() }) }),
  /** Stops the service and starts it again on the same DATA_DIR. */
  z.strictObject({ restart: z.literal(true) }),
  /** Checks the targets, the action count and rules' breakers (GET /v1/automation-rules) now, mid-scenario. */
  z.strictObject({
    check: z.strictObject({
      state: stateSchema.optional(),
      actions: z.number().int().min(0).optional(),
      tripped: z.record(z.string(), z.boolean()).optional(),
    }),
  }),
]);
export type Step = z.infer<typeof stepSchema>;

const actionSchema = z.strictObject({
  type: z.string(),
  status: z.string(),
  createdBy: z.string(),
  /** Fields the record's trigger must have; eventId and findingId are checked against the answers. */
  trigger: z.record(z.string(), z.unknown()).nullable(),
  /** The target (name under `targets`) whose resource key the record must carry. */
  target: z.string(),
});
export type ActionExpectation = z.infer<typeof actionSchema>;

const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  about: z.string().min(1),
  /** Settings beyond the runner's own (TARGET_ACCOUNTS, AUTOMATION_RULES, ...), e.g. APPROVAL_REQUIRED. */
  env: z.record(z.string(), z.string()).default({}),
  rules: z.array(z.record(z.string(), z.unknown())),
  targets: z.record(z.string().regex(/^[a-z][a-z0-9]*$/), targetSchema),
  events: z.record(z.string(), eventSchema),
  steps: z.array(stepSchema).min(1),
  expect: z.strictObject({
    /** Every action record in the service at the end (oldest first), undo actions excluded. */
    actions: z.array(actionSchema),
    /** The outcome of every decision GET /v1/events lists, in any order (decisions of one event share a time). */
    recorded: z.array(z.enum(decisionOutcomes)),
    state: stateSchema,
    /** Undo every action created (each must complete); then every target must be as it was before. */
    undo: z.boolean(),
  }),
});
export type Scenario = z.infer<typeof scenarioSchema> & { readonly file: string };

/** Every scenario file, sorted by name; a file that does not parse stops the run naming the file and field. */
export async function loadScenarios(directory = join(conformanceRoot, 'scenarios')): Promise<Scenario[]> {
  const files = (await readdir(directory)).filter((file) => /\.ya?ml$/.test(file)).sort();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const parsed = scenarioSchema.safeParse(parse(await readFile(join(directory, file), 'utf8')));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
      throw new Error(`conformance/scenarios/${file} is not a valid scenario: ${problems.join('; ')}`);
    }
    scenarios.push({ ...parsed.data, file });
  }
  return scenarios;
}
