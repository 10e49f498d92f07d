/**
 * The run form's two steps, shared by the action and playbook forms: `Execute` asks the service
 * for a dry run of the same body, the plan is shown in the confirmation dialog, and `Confirm`
 * creates with an Idempotency-Key drawn when the dialog opened (a double click or a retry after a
 * lost answer creates once). The service validates; its 400 lands on the fields it names. Only an
 * empty required field is caught here, before asking (a request sure to fail is not sent).
 * The form around them (inputs from the address, the reason, the Execute button) is shared too.
 */
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useCallback, useMemo, useRef, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { ApiProblem } from '../../api/client.ts';
import { useApi } from '../../api/hooks.ts';
import type { JsonValue } from '../../api/types.ts';
import { FieldErrorList, ProblemAlert } from '../../components/problem.tsx';
import { inputsFrom, placeErrors, SchemaForm, valuesFromQuery, type FieldErrors, type FieldSpec, type FormValues } from '../../components/schema-form/index.ts';
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

export interface ExecutionSteps<R> {
  readonly fields: readonly FieldSpec[];
  /** What the form holds: a required field left empty is named before any request. */
  readonly values: FormValues;
  /** Where both steps POST: the dry run with `?dryRun=true`, the create without. */
  readonly path: string;
  /** The request body, the same for both steps. */
  readonly body: () => Readonly<Record<string, JsonValue>>;
  /** Where the created record is shown. */
  readonly pathOf: (record: R) => string;
}

/** Execute → plan in the dialog → Confirm → the new record's page (or the approval it waits for). */
export function useExecution<P, R>(steps: ExecutionSteps<R>): Execution<P> {
  const api = useApi();
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
    const { path, body } = stepsRef.current;
    api.post<{ plan: P }>(path, body(), { query: { dryRun: true } }).then(
      ({ body: { plan: planned } }) => {
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
  }, [api, fail]);

  const confirm = useCallback(() => {
    setConfirming(true);
    const { path, body } = stepsRef.current;
    api.create<R>(path, body(), { idempotencyKey: idempotencyKey.current }).then(
      (created) => {
        void navigate(created.kind === 'approval' ? approvalPath(created.approval.id) : stepsRef.current.pathOf(created.value));
      },
      (failure: unknown) => {
        setConfirming(false);
        setPlan(null);
        fail(failure);
      },
    );
  }, [api, fail, navigate]);

  const cancel = useCallback(() => {
    setPlan(null);
  }, []);

  return { plan, lastPlan, planning, confirming, error, fieldErrors, execute, confirm, cancel };
}

function emptyRequired(fields: readonly FieldSpec[], values: FormValues): string[] {
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
        <FieldErrorList errors={fieldErrors.other} />
      </Alert>
    );
  }
  return <ProblemAlert error={error} header={error instanceof ApiProblem && error.status === 403 ? 'Not allowed' : undefined} />;
}


export interface FormInputs {
  /** The address's values with the person's edits on top. */
  readonly values: FormValues;
  /** The inputs whose value still comes from the page address. */
  readonly prefilled: ReadonlySet<string>;
  readonly change: (name: string, value: string | boolean) => void;
  readonly reason: string;
  readonly setReason: (reason: string) => void;
  /** What both steps send: the inputs, and the reason when one is given. */
  readonly body: () => { readonly inputs: Record<string, JsonValue>; readonly reason?: string };
}

/** The form's values: the page address pre-fills the inputs and `reason`; edits win over it. */
export function useFormInputs(fields: readonly FieldSpec[], params: URLSearchParams): FormInputs {
  const fromAddress = useMemo(() => valuesFromQuery(fields, params), [fields, params]);
  const [edits, setEdits] = useState<Record<string, string | boolean>>({});
  const values = useMemo(() => ({ ...fromAddress, ...edits }), [fromAddress, edits]);
  const [reason, setReason] = useState(params.get('reason') ?? '');
  return {
    values,
    prefilled: new Set(Object.keys(fromAddress).filter((name) => edits[name] === undefined)),
    change: (name, value) => {
      setEdits((current) => ({ ...current, [name]: value }));
    },
    reason,
    setReason,
    body: () => ({ inputs: inputsFrom(fields, values), ...(reason.trim() === '' ? {} : { reason: reason.trim() }) }),
  };
}

/**
 * The form of both run pages: `Execute` (disabled, with the reason shown beside it, when this
 * sign-in may not run it), the last failure, then `children` and the Inputs and Why sections
 * (left out while `showInputs` is false: no action type is chosen yet).
 */
export function ExecuteForm({
  refusal,
  execution,
  fields,
  form,
  inputsDescription,
  reasonDescription,
  showInputs = true,
  children,
}: {
  readonly refusal: string | null;
  readonly execution: Execution<unknown>;
  readonly fields: readonly FieldSpec[];
  readonly form: FormInputs;
  readonly inputsDescription: string;
  readonly reasonDescription: string;
  readonly showInputs?: boolean;
  readonly children?: ReactNode;
}) {
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (refusal === null && !execution.planning) execution.execute();
      }}
    >
      <Form
        actions={
          <SpaceBetween direction="horizontal" size="xs" alignItems="center">
            {refusal === null ? null : <Box color="text-body-secondary">{refusal}</Box>}
            <Button variant="primary" formAction="submit" disabled={refusal !== null} disabledReason={refusal ?? undefined} loading={execution.planning}>
              Execute
            </Button>
          </SpaceBetween>
        }
      >
        <SpaceBetween size="l">
          <ExecutionAlert error={execution.error} fieldErrors={execution.fieldErrors} />
          {children}
          {showInputs ? (
            <Container header={<Header variant="h2" description={inputsDescription}>Inputs</Header>}>
              <SchemaForm fields={fields} values={form.values} errors={execution.fieldErrors.byField} prefilled={form.prefilled} onChange={form.change} />
            </Container>
          ) : null}
          {showInputs ? (
            <Container header={<Header variant="h2">Why</Header>}>
              <ReasonField description={reasonDescription} value={form.reason} onChange={form.setReason} />
            </Container>
          ) : null}
        </SpaceBetween>
      </Form>
    </form>
  );
}

/** The optional reason recorded with what is started (an action, a run, an undo run). */
export function ReasonField({ description, value, onChange }: { readonly description: string; readonly value: string; readonly onChange: (value: string) => void }) {
  return (
    <FormField label="Reason" description={description} constraintText="Optional.">
      <Input
        value={value}
        onChange={({ detail }) => {
          onChange(detail.value);
        }}
      />
    </FormField>
  );
}

/** The page address's parameters that name no input of `taker` (shown, so a mistyped link is noticed). */
export function UnknownParametersAlert({ names, taker }: { readonly names: readonly string[]; readonly taker: string }) {
  if (names.length === 0) return null;
  return (
    <Alert type="info" header="Left out of the form">
      The page address names {names.length === 1 ? 'a parameter' : 'parameters'} that {taker} does not take: {names.join(', ')}.
    </Alert>
  );
}
