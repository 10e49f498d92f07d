import type * as z from 'zod';
import type { ActionInputs, FieldError } from '#shared/catalogue/types.ts';

/** The three parts of a report that reach the record; absent ones are left out. */
export interface ReportParts {
  readonly prior?: unknown;
  readonly applied?: unknown;
  readonly result?: unknown;
}
export type ReportPart = keyof ReportParts;
export const reportParts: readonly ReportPart[] = ['prior', 'applied', 'result'];

/** What one action type may report, part by part, and how that must agree with its own inputs. */
export interface ReportSchemas {
  readonly prior: z.ZodType;
  readonly applied: z.ZodType;
  readonly result: z.ZodType;
  /** Fields that must name what the action's inputs name (the same path, pid, container). */
  readonly agrees?: (inputs: ActionInputs, parts: ReportParts) => FieldError[];
}

/** The value at a dotted path of the parts (`applied.path`), or undefined. */
function valueAt(parts: ReportParts, path: string): unknown {
  let value: unknown = parts;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Each reported field, where present, equals the input `input`. */
export function sameAsInput(input: string, fields: readonly string[]): NonNullable<ReportSchemas['agrees']> {
  return (inputs, parts) =>
    fields.flatMap((field) => {
      const value = valueAt(parts, field);
      return value === undefined || value === inputs[input] ? [] : [{ path: field, message: `must be the ${input} the action was given` }];
    });
}

/**
 * Each reported container id, where present, is the container `container.id` names (the input
 * may be a unique prefix of the full id); with `nullWithout`, null when no container was named.
 */
export function containerMatches(fields: readonly string[], options: { nullWithout?: boolean } = {}): NonNullable<ReportSchemas['agrees']> {
  return (inputs, parts) =>
    fields.flatMap((field) => {
      const value = valueAt(parts, field);
      const given = inputs['container.id'];
      if (value === undefined) return [];
      if (typeof given === 'string') {
        return typeof value === 'string' && value.startsWith(given) ? [] : [{ path: field, message: `must be the container ${given} the action was given` }];
      }
      if (options.nullWithout === true && inputs['container.name'] === undefined && value !== null) {
        return [{ path: field, message: 'must be null: the action names no container' }];
      }
      return [];
    });
}
