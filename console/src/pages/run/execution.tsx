/**
 * The run form's two steps, shared by the action and playbook forms: `Execute` asks the service
 * for a dry run of the same body, the plan is shown in the confirmation dialog, and `Confirm`
 * creates with an Idempotency-Key drawn when the dialog opened (a double click or a retry after a
 * lost answer creates once). The service validates; its 400 lands on the fields it names. Only an
 * empty required field is caught here, before asking (a request sure to fail is not sent).
 */
import Alert from '@cloudscape-design/components/alert';
import { useCallback, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiProblem } from '../../api/client.ts';
import type { Created } from '../../api/types.ts';
import { ProblemAlert } from '../../components/problem.tsx';
import { placeErrors, type FieldErrors, type FieldSpec, type FormValues } from '../../components/schema-form/index.ts';
import { approvalPath } from '../paths.ts';

const noFieldErrors: FieldErrors = { byField: {}, other: [] };

export interface Execution<P> {
  /** The plan shown in the dialog; null while the dialog is closed. */
  readonly plan: P | null;
  /** The newest plan, kept after the dialog closes (its warnings still say what to gather first). */
  readonly lastPlan: P | null;
  readonly planning: boolean;
  readonly confirming: boolean;
  /** The last failure of either step. */
  readonly error: Error | undefined;
  readonly fieldErrors: FieldErrors;
  readonly execute: () => void;
  readonly confirm: () => void;
  readonly cancel: () => void;
}

export interface ExecutionSteps<P, R> {
  readonly fields: readonly FieldSpec[];
  /** What the form holds: a required field left empty is named before any request. */
  readonly values?: FormValues;
  readonly dryRun: () => Promise<P>;
  readonly create: (idempotencyKey: string) => Promise<Created<R>>;
  /** Where the created record is shown. */
  readonly pathOf: (record: R) => string;
}

/** Execute → plan in the dialog → Confirm → the new record's page (or the approval it waits for). */
export function useExecution<P, R>(steps: ExecutionSteps<P, R>): Execution<P> {
  const navigate = useNavigate();
  const [plan, setPlan] = useState<P | null>(null);
  const [lastPlan, setLastPlan] = useState<P | null>(null);
  const [planning, setPlanning] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>(noFieldErrors);
  // One key per opening of the dialog: Confirm twice sends the same key, a new Execute a new one.
  const idempotencyKey = useRef<string>('');
  const stepsRef = useRef(steps);
  stepsRef.current = steps;

  const fail = useCallback((failure: unknown) => {
    const problem = failure instanceof Error ? failure : new Error(String(failure));
    setError(problem);
    setFieldErrors(problem instanceof ApiProblem && problem.status === 400 ? placeErrors(stepsRef.current.fields, problem.errors) : noFieldErrors);
  }, []);

  const execute = useCallback(() => {
    setError(undefined);
    const missing = emptyRequired(stepsRef.current.fields, stepsRef.current.values);
    if (missing.length > 0) {
      setFieldErrors({ byField: Object.fromEntries(missing.map((name) => [name, 'Empty: fill this in, then Execute.'])), other: [] });
      return;
    }
    setPlanning(true);
    setFieldErrors(noFieldErrors);
    stepsRef.current.dryRun().then(
      (planned) => {
        idempotencyKey.current = crypto.randomUUID();
        setPlan(planned);
        setLastPlan(planned);
        setPlanning(false);
      },
      (failure: unknown) => {
        fail(failure);
        setPlanning(false);
      },
    );
  }, [fail]);

  const confirm = useCallback(() => {
    setConfirming(true);
    stepsRef.current.create(idempotencyKey.current).then(
      (created) => {
        void navigate(created.kind === 'approval' ? approvalPath(created.approval.id) : stepsRef.current.pathOf(created.value));
      },
      (failure: unknown) => {
        setConfirming(false);
        setPlan(null);
        fail(failure);
      },
    );
  }, [fail, navigate]);

  const cancel = useCallback(() => {
    setPlan(null);
  }, []);

  return { plan, lastPlan, planning, confirming, error, fieldErrors, execute, confirm, cancel };
}

function emptyRequired(fields: readonly FieldSpec[], values: FormValues | undefined): string[] {
  if (values === undefined) return [];
  return fields.filter((field) => field.requirement.kind === 'required' && field.kind !== 'boolean' && String(values[field.name] ?? '').trim() === '').map((field) => field.name);
}

/**
 * A failure of the form: a 400's messages that no field took (the fields show theirs), or any
 * other problem (403: the scope; 409; the service unreachable) as the service put it.
 */
export function ExecutionAlert({ error, fieldErrors }: { readonly error: Error | undefined; readonly fieldErrors: FieldErrors }) {
  if (error === undefined) return null;
  if (error instanceof ApiProblem && error.status === 400) {
    const placed = Object.keys(fieldErrors.byField).length;
    return (
      <Alert type="error" header={error.title}>
        {error.detail}
        {placed > 0 ? ` ${placed === 1 ? 'One field says' : `${placed} fields say`} what to change.` : ''}
        {fieldErrors.other.length > 0 ? (
          <ul>
            {fieldErrors.other.map((fieldError) => (
              <li key={`${fieldError.path}:${fieldError.message}`}>
                <code>{fieldError.path}</code>: {fieldError.message}
              </li>
            ))}
          </ul>
        ) : null}
      </Alert>
    );
  }
  return <ProblemAlert error={error} header={error instanceof ApiProblem && error.status === 403 ? 'Not allowed' : undefined} />;
}

