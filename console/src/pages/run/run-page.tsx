import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import { useMemo } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { useApiGet } from '../../api/hooks.ts';
import type { ActionRecord, ActionType, ActionWarning, Category, Plan } from '../../api/types.ts';
import { execRefusal } from '../../auth/scopes.ts';
import { useSession } from '../../auth/session.ts';
import { ConfirmDialog } from '../../components/confirm.tsx';
import { JsonView } from '../../components/json.tsx';
import { PlanView } from '../../components/plan.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { fieldsOf, inputsFrom, queryFrom, unknownQueryNames, type FieldSpec } from '../../components/schema-form/index.ts';
import { ExecuteForm, UnknownParametersAlert, useExecution, useFormInputs } from './execution.tsx';
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
  const form = useFormInputs(fields, params);
  const { values, reason } = form;
  const refusal = actionType === undefined ? null : execRefusal(session.scopes, actionType.category);

  const execution = useExecution<Plan, ActionRecord>({
    fields,
    values,
    path: '/v1/actions',
    body: () => ({ type: typeName, ...form.body() }),
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
        <ExecuteForm
          refusal={executeRefusal}
          execution={execution}
          fields={fields}
          form={form}
          inputsDescription={`The inputs ${typeName} takes, named as in the API and in a page address that links here.`}
          reasonDescription="Recorded with the action, for whoever reads its history (a ticket, a finding id)."
          showInputs={actionType !== undefined}
        >
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
          {actionType?.effect === 'destructive' ? <EvidenceFirstAlert warnings={lastWarnings} catalogue={catalogue.data} values={values} fields={fields} /> : null}
          <UnknownParametersAlert names={unknown} taker={typeName} />
        </ExecuteForm>
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
