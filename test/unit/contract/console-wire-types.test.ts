/**
 * The console declares the API's answers itself (console/src/api/types.ts, written from API.md: it
 * is a client of the HTTP contract, built for the browser without the service's modules). These
 * checks hold that copy to the service's own types: every answer the service can send must fit what
 * the console reads, so a field renamed or retyped on one side fails `npm run typecheck` here
 * instead of showing `undefined` on a page.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as Console from '../../../console/src/api/types.ts';
import type { ConsoleAuthConfig as ConsoleConfigRead } from '../../../console/src/config.ts';
import { execScope as consoleExecScope, personScopes as consolePersonScopes, readScope as consoleReadScope } from '../../../console/src/auth/scopes.ts';
import { personScopes } from '#functions/auth/person-groups.ts';
import { execScopes, readScopes } from '#shared/auth/scopes.ts';
import { categories } from '#shared/catalogue/types.ts';
import type { ConsoleAuthSettings as ConsoleConfigWritten } from '#local/console/console-auth-config.ts';
import type { Approval } from '#shared/approvals/types.ts';
import type { DecisionPage } from '#shared/automation/types.ts';
import type { ActionTypeDescription } from '#shared/catalogue/catalogue.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { Plan } from '#shared/plans/types.ts';
import type { PlaybookPlan } from '#shared/playbooks/plan-types.ts';
import type { PlaybookDescription, PlaybookRun } from '#shared/playbooks/types.ts';
import type { EvidenceObject } from '#shared/ports.ts';

describe("the console's wire types", () => {
  it('take every answer the service sends', () => {
    // `Fits<Sent, Read>` compiles only when everything of type Sent is assignable to Read (plain assignability:
    // both sides' JSON values are recursive, which expect-type's deep comparison does not follow).
    const fits: readonly true[] = [
      // The service types recorded inputs as unknown values (each type's schema knows them); on the wire
      // they are JSON, which is how the console reads them: everything else must fit as it is.
      true satisfies Fits<Omit<ActionRecord, 'inputs'>, Omit<Console.ActionRecord, 'inputs'>>,
      true satisfies Fits<Plan, Console.Plan>,
      true satisfies Fits<PlaybookPlan, Console.PlaybookPlan>,
      true satisfies Fits<PlaybookRun, Console.PlaybookRun>,
      true satisfies Fits<Omit<Approval, 'request'>, Omit<Console.Approval, 'request'>>,
      true satisfies Fits<Omit<Approval['request'], 'inputs'>, Omit<Console.Approval['request'], 'inputs'>>,
      true satisfies Fits<DecisionPage['items'][number], Console.DecisionRecord>,
      true satisfies Fits<EvidenceObject & { downloadUrl: string; downloadUrlExpiresAt: string }, Console.EvidenceObject>,
      // The inputs' JSON Schema is zod's own type; the console reads it field by field (schema-form).
      true satisfies Fits<Omit<ActionTypeDescription, 'inputs'>, Omit<Console.ActionType, 'inputs'>>,
      true satisfies Fits<Omit<PlaybookDescription, 'inputs'>, Omit<Console.Playbook, 'inputs'>>,
      // /console-config.json: what npm start writes (console-site.ts) is what the console parses, and nothing it cannot.
      true satisfies Fits<ConsoleConfigWritten, ConsoleConfigRead>,
      true satisfies Fits<ConsoleConfigRead, ConsoleConfigWritten>,
    ];
    expect(fits).not.toContain(false);
  });

  it('know every status and outcome the service has, and no other', () => {
    expectTypeOf<Console.ActionStatus>().toEqualTypeOf<ActionRecord['status']>();
    expectTypeOf<Console.RunStatus>().toEqualTypeOf<PlaybookRun['status']>();
    expectTypeOf<Console.PlaybookStepStatus>().toEqualTypeOf<PlaybookRun['steps'][number]['status']>();
    expectTypeOf<Console.ApprovalStatus>().toEqualTypeOf<Approval['status']>();
    expectTypeOf<Console.DecisionOutcome>().toEqualTypeOf<DecisionPage['items'][number]['outcome']>();
    expectTypeOf<Console.Category>().toEqualTypeOf<ActionRecord['category']>();
    expectTypeOf<Console.Effect>().toEqualTypeOf<ActionTypeDescription['effect']>();
  });

  it('offer the person scopes the service grants, in the same order, and name each category\'s scopes as the service does', () => {
    // Assess
    expect(consolePersonScopes).toEqual(personScopes);
    for (const category of categories) {
      expect(consoleExecScope(category)).toBe(execScopes[category]);
      expect(consoleReadScope(category)).toBe(readScopes[category]);
    }
  });
});

/** `true` when every `Sent` is a `Read`; `never` otherwise, so `true satisfies Fits<...>` fails to compile. */
type Fits<Sent, Read> = [Sent] extends [Read] ? true : never;
