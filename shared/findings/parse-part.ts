/**
 * Parsing one part of a body with its schema, refusing with an InvalidFindingError whose errors name
 * each field in full (`detail.findings[0].Severity.Label`) in words a person can act on, instead of
 * zod's defaults.
 */
import type * as z from 'zod';
import { issuesAsFieldErrors } from './field-path.ts';
import { InvalidFindingError } from './invalid-finding-error.ts';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const expectedWords: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list',
};

/** zod's per-parse error map: one sentence for each way a field can be wrong. */
function findingMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'is required'
        : `must be ${expectedWords[issue.expected] ?? issue.expected}, not ${describe(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters long`;
      if (issue.origin === 'array') return `must have at most ${String(issue.maximum)} items`;
      return `must be at most ${String(issue.maximum)}`;
    case 'too_small':
      if (issue.origin === 'string') return issue.minimum === 1 ? 'must not be empty' : `must be at least ${String(issue.minimum)} characters long`;
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`;
      return `must be at least ${String(issue.minimum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return undefined;
  }
}

/**
 * The schema's output for `value`, found at `at` in the body; an InvalidFindingError naming every
 * bad field otherwise. `rename` maps a path of the parsed value back to the body's own keys.
 */
export function parsePart<T extends z.ZodType>(
  schema: T,
  value: unknown,
  at: readonly PropertyKey[],
  rename?: (path: readonly PropertyKey[]) => readonly PropertyKey[],
): z.output<T> {
  const parsed = schema.safeParse(value, { error: findingMessage });
  if (parsed.success) return parsed.data;
  throw new InvalidFindingError(issuesAsFieldErrors(parsed.error.issues, at, rename));
}
