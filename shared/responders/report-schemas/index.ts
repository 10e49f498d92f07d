/**
 * The schemas a responder's report must meet before any of it reaches a record, one per action
 * type (host.ts, kubernetes.ts). `applied` and `prior` are what an undo later acts on, so a report
 * that a stolen responder token forged (an unknown field, a quarantine path that climbs out with
 * `..`, a mode given as text) is refused as a whole, and stored records are checked again before
 * an undo is built from them.
 */
import type * as z from 'zod';
import type { ActionInputs, FieldError } from '#shared/catalogue/types.ts';
import { none } from './common.ts';
import { hostReportSchemas } from './host.ts';
import { kubernetesReportSchemas } from './kubernetes.ts';
import { reportParts, type ReportParts, type ReportSchemas } from './types.ts';

export { hostReportSchemas, quarantineApplied } from './host.ts';
export { isolationApplied, kubernetesReportSchemas, maxReplicas, snapshotsApplied } from './kubernetes.ts';
export type { ReportPart, ReportParts, ReportSchemas } from './types.ts';

/** What the checks need of an action: its type, who runs it, and its validated inputs. */
export interface ReportedAction {
  readonly type: string;
  readonly executor: string;
  readonly inputs: ActionInputs;
}

/** The schemas of a type as the given executor runs it (get-logs reports differently on a host and in a cluster). */
export function reportSchemasFor(type: string, executor: string): ReportSchemas | undefined {
  const table = executor === 'host' ? hostReportSchemas : executor === 'kubernetes' ? kubernetesReportSchemas : undefined;
  return table !== undefined && Object.hasOwn(table, type) ? table[type] : undefined;
}

/** Zod issues as field errors, under `prefix` (`applied`); an unknown key is named itself. */
export function fieldErrorsOf(issues: readonly z.core.$ZodIssue[], prefix?: string): FieldError[] {
  const join = (path: readonly PropertyKey[]) => [...(prefix === undefined ? [] : [prefix]), ...path.map(String)].join('.') || 'body';
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'is not a field of this request' }))
      : [{ path: join(issue.path), message: issue.message }],
  );
}

/**
 * Every way the reported parts (absent ones left out) break the action type's schemas or
 * disagree with the action's own inputs; empty when the report may be stored.
 */
export function reportProblems(action: ReportedAction, parts: ReportParts): FieldError[] {
  const schemas = reportSchemasFor(action.type, action.executor);
  const errors: FieldError[] = [];
  const parsed: Record<string, unknown> = {};
  for (const part of reportParts) {
    const value = parts[part];
    if (value === undefined) continue;
    if (schemas === undefined || schemas[part] === none) {
      errors.push({ path: part, message: `is not reported by ${action.type} (${action.executor})` });
      continue;
    }
    const result = schemas[part].safeParse(value);
    if (result.success) parsed[part] = result.data;
    else errors.push(...fieldErrorsOf(result.error.issues, part));
  }
  if (errors.length > 0 || schemas?.agrees === undefined) return errors;
  return schemas.agrees(action.inputs, parsed);
}

/** The same checks on what a record holds (null means the part was never reported). */
export function storedReportProblems(record: ReportedAction & { readonly prior: unknown; readonly applied: unknown; readonly result: unknown }): FieldError[] {
  return reportProblems(record, {
    ...(record.prior === null ? {} : { prior: record.prior }),
    ...(record.applied === null ? {} : { applied: record.applied }),
    ...(record.result === null ? {} : { result: record.result }),
  });
}
