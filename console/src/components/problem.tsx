import Alert from '@cloudscape-design/components/alert';
import { ApiProblem } from '../api/client.ts';

/** An API error as a person can act on it: the problem's title, detail and every named field. */
export function ProblemAlert({ error, header }: { readonly error: Error | undefined; readonly header?: string }) {
  if (error === undefined) return null;
  const problem = error instanceof ApiProblem ? error : undefined;
  return (
    <Alert type="error" header={header ?? problem?.title ?? 'Something went wrong'}>
      {problem === undefined ? error.message : problem.detail}
      {problem !== undefined && problem.errors.length > 0 ? (
        <ul>
          {problem.errors.map((fieldError) => (
            <li key={`${fieldError.path}:${fieldError.message}`}>
              <code>{fieldError.path}</code>: {fieldError.message}
            </li>
          ))}
        </ul>
      ) : null}
    </Alert>
  );
}
