/**
 * Field paths as a person reads them in a 400: `detail.findings[0].Resources[1].Id`. Keys that are
 * not plain names (Falco's `output_fields` keys hold dots) are quoted: `output_fields["proc.pid"]`.
 */
import type * as z from 'zod';
import type { FieldError } from '#shared/catalogue/types.ts';
import { quote } from '#shared/catalogue/validate.ts';

const plainKey = /^[A-Za-z_$][\w$-]*$/;

export function formatPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else {
      const key = String(segment);
      if (plainKey.test(key)) path += path === '' ? key : `.${key}`;
      else path += `[${quote(key)}]`;
    }
  }
  return path === '' ? '(body)' : path;
}

/** zod issues as field errors under `prefix` (the path of the value that was parsed). */
export function issuesAsFieldErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  rename: (path: readonly PropertyKey[]) => readonly PropertyKey[] = (path) => path,
): FieldError[] {
  return issues.map((issue) => {
    const full = [...prefix, ...rename(issue.path)];
    return { path: formatPath(full), message: issue.message };
  });
}
