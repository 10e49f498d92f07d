import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import { useMemo, useState } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { useApi, useApiGet } from '../../api/hooks.ts';
import type { ActionRecord, ActionType, ActionWarning, Category, Plan } from '../../api/types.ts';
import { execRefusal } from '../../auth/scopes.ts';
import { useSession } from '../../auth/session.ts';
import { ConfirmDialog } from '../../components/confirm.tsx';
import { JsonView } from '../../components/json.tsx';
import { PlanView } from '../../components/plan.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { fieldsOf, inputsFrom, queryFrom, SchemaForm, unknownQueryNames, valuesFromQuery, type FieldSpec } from '../../components/schema-form/index.ts';
import { ExecutionAlert, useExecution } from './execution.tsx';
import { AppLink } from '../../components/app-link.tsx';
import { actionPath, runPath } from '../paths.ts';

/** The query-string names the run form keeps for itself; every other one names an input. */
const reservedNames = ['type', 'reason'];

const categoryLabels: Record<Category, string> = { containment: 'Containment', 'data-gathering': 'Data gathering' };

/**
 * `/run?type=<type>&<input name>=<value>...`: one action, planned then confirmed. The address is
 * a deep link (a finding links to `/run?type=iam-quarantine&aws.resource.arn=...`): the type and
 * inputs it names are filled in. Each navigation (a new link, a new type) starts a fresh form.
 */
export function RunPage() {
  const location = useLocation();
  return <RunForm key={location.key} />;
}

function RunForm() {
  const [params, setParams] = useSearchParams();
  const session = useSession();
  const catalogue = useApiGet<ActionType[]>('/v1/action-types');
  const typeName = params.get('type') ?? '';
  const actionType = catalogue.data?.find((candidate) => candidate.type === typeName);
  const fields = useMemo(() => (actionType === undefined ? [] : fieldsOf(actionType.inputs)), [actionType]);
  const fromAddress = useMemo(() => valuesFromQuery(fields, params), [fields, params]);
  const [edits, setEdits] = useState<Record<string, string | boolean>>({});
  const values = useMemo(() => ({ ...fromAddress, ...edits }), [fromAddress, edits]);
  const [reason, setReason] = useState(params.get('reason') ?? '');
  const refusal = actionType === undefined ? null : execRefusal(session.scopes, actionType.category);
  const api = useApi();

  const body = () => ({ type: typeName, inputs: inputsFrom(fields, values), ...(reason.trim() === '' ? {} : { reason: reason.trim() }) });
  const execution = useExecution<Plan, ActionRecord>({
    fields,
    values,
    dryRun: async () => (await api.post<{ plan: Plan }>('/v1/actions', body(), { query: { dryRun: true } })).body.plan,
    create: (idempotencyKey) => api.create<ActionRecord>('/v1/actions', body(), { idempotencyKey }),
    pathOf: (record) => actionPath(record.id),
  });
  // The plan's cautions stay on the form after the dialog closes: they name the evidence to gather.
  const lastWarnings = execution.lastPlan?.warnings ?? [];

  const chooseType = (next: string): void => {
    const nextType = catalogue.data?.find((candidate) => candidate.type === next);
    // Inputs the new type shares with the old one (host.id, aws.resource.arn) are kept.
    const kept = nextType === undefined ? [] : queryFrom(fieldsOf(nextType.inputs), values);
    setParams(new URLSearchParams([['type', next], ...kept, ...(reason === '' ? [] : [['reason', reason] as [string, string]])]), { replace: true });
  };

  const unknown = actionType === undefined ? [] : unknownQueryNames(fields, params, reservedNames);
  const undoes = actionType === undefined ? undefined : catalogue.data?.find((candidate) => candidate.undoType === actionType.type);
  const executeRefusal = refusal ?? (actionType === undefined ? 'Choose an action type first.' : null);

  return (
    <SpaceBetween size="l">
      <Header variant="h1" description="Plan one action on one target, read the plan, then confirm it.">
        Run an action
      </Header>
      <ProblemAlert error={catalogue.error} header="The action types could not be read" />
      {catalogue.loading ? <Spinner size="large" /> : null}
      {catalogue.data === undefined ? null : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (executeRefusal === null && !execution.planning) execution.execute();
          }}
        >
          <Form
            actions={
              <SpaceBetween direction="horizontal" size="xs" alignItems="center">
                {executeRefusal === null ? null : <Box color="text-body-secondary">{executeRefusal}</Box>}
                <Button variant="primary" formAction="submit" disabled={executeRefusal !== null} disabledReason={executeRefusal ?? undefined} loading={execution.planning}>
                  Execute
                </Button>
              </SpaceBetween>
            }
          >
            <SpaceBetween size="l">
              <ExecutionAlert error={execution.error} fieldErrors={execution.fieldErrors} />
              <Container header={<Header variant="h2">Action</Header>}>
                <SpaceBetween size="l">
                  <FormField label="Action type" description="Grouped by category; types your sign-in may not run are shown disabled with the reason." stretch>
                    <Select
                      selectedOption={actionType === undefined ? null : optionOf(actionType, refusal)}
                      options={typeOptions(catalogue.data, session.scopes)}
                      onChange={({ detail }) => {
                        chooseType(detail.selectedOption.value ?? '');
                      }}
                      placeholder="Choose an action type"
                      filteringType="auto"
                      empty="No action type"
                    />
                  </FormField>
                  {typeName !== '' && actionType === undefined ? (
                    <Alert type="error" header="No such action type">
                      The page address names the type <code>{typeName}</code>, which the service does not have. Choose one above.
                    </Alert>
                  ) : null}
                  {actionType === undefined ? null : <TypeSummary actionType={actionType} undoes={undoes} />}
                </SpaceBetween>
              </Container>
              {actionType === undefined ? null : (
                // Its own SpaceBetween: a fragment counts as one child, so Inputs and Why would touch.
                <SpaceBetween size="l">
                  {actionType.effect === 'destructive' ? <EvidenceFirstAlert warnings={lastWarnings} catalogue={catalogue.data} values={values} fields={fields} /> : null}
                  {unknown.length > 0 ? (
                    <Alert type="info" header="Left out of the form">
                      The page address names {unknown.length === 1 ? 'a parameter' : 'parameters'} that {actionType.type} does not take: {unknown.join(', ')}.
                    </Alert>
                  ) : null}
                  <Container header={<Header variant="h2" description={`The inputs ${actionType.type} takes, named as in the API and in a page address that links here.`}>Inputs</Header>}>
                    <SchemaForm
                      fields={fields}
                      values={values}
                      errors={execution.fieldErrors.byField}
                      prefilled={new Set(Object.keys(fromAddress).filter((name) => edits[name] === undefined))}
                      onChange={(name, value) => {
                        setEdits((current) => ({ ...current, [name]: value }));
                      }}
                    />
                  </Container>
                  <Container header={<Header variant="h2">Why</Header>}>
                    <FormField label="Reason" description="Recorded with the action, for whoever reads its history (a ticket, a finding id)." constraintText="Optional.">
                      <Input
                        value={reason}
                        onChange={({ detail }) => {
                          setReason(detail.value);
                        }}
                      />
                    </FormField>
                  </Container>
                </SpaceBetween>
              )}
            </SpaceBetween>
          </Form>
        </form>
      )}
      <ConfirmDialog
        visible={execution.plan !== null}
        header={`Execute ${typeName}?`}
        canConfirm={execution.plan?.allowed === true}
        busy={execution.confirming}
        onConfirm={execution.confirm}
        onCancel={execution.cancel}
      >
        {execution.plan === null ? null : (
          <SpaceBetween size="m">
            <KeyValuePairs
              columns={2}
              items={[
                { label: 'Inputs', value: <JsonView value={inputsFrom(fields, values)} label="Inputs to send" /> },
                { label: 'Reason', value: reason.trim() === '' ? 'none' : reason.trim() },
              ]}
            />
            <PlanView plan={execution.plan} />
          </SpaceBetween>
        )}
      </ConfirmDialog>
    </SpaceBetween>
  );
}

function optionOf(actionType: ActionType, refusal: string | null): SelectProps.Option {
  return {
    value: actionType.type,
    label: actionType.type,
    description: actionType.title,
    tags: [actionType.effect],
    disabled: refusal !== null,
    ...(refusal === null ? {} : { disabledReason: refusal }),
  };
}

function typeOptions(catalogue: readonly ActionType[], scopes: ReadonlySet<string>): SelectProps.OptionGroup[] {
  return (['containment', 'data-gathering'] as const).map((category) => {
    const refusal = execRefusal(scopes, category);
    return {
      label: categoryLabels[category],
      options: catalogue.filter((actionType) => actionType.category === category).map((actionType) => optionOf(actionType, refusal)),
    };
  });
}

function TypeSummary({ actionType, undoes }: { readonly actionType: ActionType; readonly undoes: ActionType | undefined }) {
  return (
    <SpaceBetween size="s">
      <Box variant="p">
        <strong>{actionType.title}.</strong> {actionType.description}
      </Box>
      <KeyValuePairs
        columns={4}
        items={[
          { label: 'Category', value: categoryLabels[actionType.category] },
          { label: 'Effect', value: actionType.effect },
          { label: 'Runs on', value: actionType.executors.join(', ') },
          { label: 'Undo', value: actionType.undoType ?? 'none' },
        ]}
      />
      {undoes === undefined ? null : (
        <Alert type="info">
          {actionType.type} undoes {undoes.type}: on a resource, it reverses the newest Completed {undoes.type} not yet undone, from the state that action captured.
        </Alert>
      )}
    </SpaceBetween>
  );
}

/**
 * Before a destructive action: what it ends cannot be looked at afterwards. The plan's
 * `NoEvidenceFirst` warning names the evidence types; each links to its own run form with the
 * inputs it shares with this one.
 */
function EvidenceFirstAlert({
  warnings,
  catalogue,
  values,
  fields,
}: {
  readonly warnings: readonly ActionWarning[];
  readonly catalogue: readonly ActionType[];
  readonly values: Readonly<Record<string, string | boolean>>;
  readonly fields: readonly FieldSpec[];
}) {
  const evidenceTypes = [...new Set(warnings.flatMap((warning) => warning.evidenceTypes ?? []))];
  return (
    <Alert type="warning" header="Gather evidence first">
      <SpaceBetween size="xs">
        <span>
          This action is destructive: it ends processes, containers or pods, or deletes evidence, and what they held is gone afterwards. Gather evidence from the target before
          executing it.
        </span>
        {evidenceTypes.length === 0 ? (
          <span>Execute shows the plan first; it names the evidence types to run when none has Completed on this target in the last hour.</span>
        ) : (
          <span>
            The plan names no recent evidence on this target. Gather it with:{' '}
            {evidenceTypes.map((evidenceType, index) => (
              <span key={evidenceType}>
                {index > 0 ? ', ' : ''}
                <AppLink href={evidenceLink(evidenceType, catalogue, fields, values)}>{evidenceType}</AppLink>
              </span>
            ))}
            .
          </span>
        )}
      </SpaceBetween>
    </Alert>
  );
}

function evidenceLink(evidenceType: string, catalogue: readonly ActionType[], fields: readonly FieldSpec[], values: Readonly<Record<string, string | boolean>>): string {
  const definition = catalogue.find((candidate) => candidate.type === evidenceType);
  const names = new Set(definition === undefined ? [] : Object.keys(definition.inputs.properties ?? {}));
  const shared = queryFrom(
    fields.filter((field) => names.has(field.name)),
    values,
  );
  return runPath([['type', evidenceType], ...shared]);
}
