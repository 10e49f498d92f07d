import Alert from '@cloudscape-design/components/alert';
import type { ReactNode } from 'react';
import { ApiProblem } from '../api/client.ts';

/**
 * An API error as a person can act on it: the problem's title, detail and every named field.
 * `notFound`, when given, replaces a 404's terse detail ("no action x") with what to do next.
 */
export function ProblemAlert({ error, header, notFound }: { readonly error: Error | undefined; readonly header?: string; readonly notFound?: ReactNode }) {
  if (error === undefined) return null;
  const problem = error instanceof ApiProblem ? error : undefined;
  if (problem?.status === 404 && notFound !== undefined) {
    return (
      <Alert type="error" header="Not found">
        {notFound}
      </Alert>
    );
  }
  return (
    <Alert type="error" header={header ?? problem?.title ?? 'Something went wrong'}>
      {problem === undefined ? error.message : problem.detail}
      {problem === undefined ? null : <FieldErrorList errors={problem.errors} />}
    </Alert>
  );
}

/** Messages about named fields or parameters, as `path: message` lines (nothing when there are none). */
export function FieldErrorList({ errors }: { readonly errors: readonly { readonly path: string; readonly message: string }[] }) {
  if (errors.length === 0) return null;
  return (
    <ul>
      {errors.map((fieldError) => (
        <li key={`${fieldError.path}:${fieldError.message}`}>
          <code>{fieldError.path}</code>: {fieldError.message}
        </li>
      ))}
    </ul>
  );
}
