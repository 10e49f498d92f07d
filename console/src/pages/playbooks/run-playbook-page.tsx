import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import Table from '@cloudscape-design/components/table';
import { useMemo, useState } from 'react';
import { useLocation, useParams, useSearchParams } from 'react-router';
import { useApi, useApiGet } from '../../api/hooks.ts';
import type { ActionType, PlaybookPlan, PlaybookRun } from '../../api/types.ts';
import { useSession } from '../../auth/session.ts';
import { ConfirmDialog } from '../../components/confirm.tsx';
import { JsonView } from '../../components/json.tsx';
import { PlaybookPlanView } from '../../components/plan.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { fieldsOf, inputsFrom, SchemaForm, unknownQueryNames, valuesFromQuery } from '../../components/schema-form/index.ts';
import { ExecutionAlert, useExecution } from '../run/execution.tsx';
import { runRefusal, type ListedPlaybook } from './shared.ts';
import { AppLink } from '../../components/app-link.tsx';
import { playbookRunPath } from '../paths.ts';

/**
 * `/playbooks/:name?<input name>=<value>...`: a playbook's steps and inputs form; `Execute` shows
 * every step's plan, `Confirm` starts the run and opens it. The address pre-fills the inputs.
 */
export function RunPlaybookPage() {
  const location = useLocation();
  return <PlaybookForm key={location.key} />;
}

function PlaybookForm() {
  const { name = '' } = useParams();
  const [params] = useSearchParams();
  const session = useSession();
  const api = useApi();
  const playbooks = useApiGet<ListedPlaybook[]>('/v1/playbooks');
  const catalogue = useApiGet<ActionType[]>('/v1/action-types');
  const playbook = playbooks.data?.find((candidate) => candidate.name === name);
  const fields = useMemo(() => (playbook === undefined ? [] : fieldsOf(playbook.inputs)), [playbook]);
  const fromAddress = useMemo(() => valuesFromQuery(fields, params), [fields, params]);
  const [edits, setEdits] = useState<Record<string, string | boolean>>({});
  const values = useMemo(() => ({ ...fromAddress, ...edits }), [fromAddress, edits]);
  const [reason, setReason] = useState(params.get('reason') ?? '');
  const refusal = playbook === undefined ? 'No such playbook.' : runRefusal(playbook.steps.map((step) => step.type), catalogue.data, session.scopes);
  const path = `/v1/playbooks/${encodeURIComponent(name)}/runs`;

  const body = () => ({ inputs: inputsFrom(fields, values), ...(reason.trim() === '' ? {} : { reason: reason.trim() }) });
  const execution = useExecution<PlaybookPlan, PlaybookRun>({
    fields,
    values,
    dryRun: async () => (await api.post<{ plan: PlaybookPlan }>(path, body(), { query: { dryRun: true } })).body.plan,
    create: (idempotencyKey) => api.create<PlaybookRun>(path, body(), { idempotencyKey }),
    pathOf: (run) => playbookRunPath(run.id),
  });
  const refused = execution.plan?.steps.filter((step) => step.plan !== null && !step.plan.allowed) ?? [];
  const unknown = playbook === undefined ? [] : unknownQueryNames(fields, params, ['reason']);

  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={playbook?.title ?? 'Run a playbook'}>
        {name}
      </Header>
      <ProblemAlert error={playbooks.error} header="The playbooks could not be read" />
      <ProblemAlert error={catalogue.error} header="The action types could not be read" />
      {playbooks.loading ? <Spinner size="large" /> : null}
      {playbooks.data !== undefined && playbook === undefined ? (
        <Alert type="error" header="No such playbook">
          The service has no playbook named <code>{name}</code>. <AppLink href="/playbooks">See the playbooks</AppLink>
        </Alert>
      ) : null}
      {playbook === undefined ? null : (
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
              <Table
                header={<Header variant="h2" description={playbook.description}>Steps</Header>}
                items={[...playbook.steps]}
                trackBy="id"
                wrapLines
                ariaLabels={{ tableLabel: 'Steps' }}
                columnDefinitions={[
                  { id: 'order', header: '#', cell: (step) => playbook.steps.indexOf(step) + 1 },
                  { id: 'id', header: 'Step', cell: (step) => step.id },
                  { id: 'type', header: 'Action type', cell: (step) => <code>{step.type}</code> },
                  { id: 'phase', header: 'Phase', cell: (step) => step.phase },
                  { id: 'effect', header: 'Effect', cell: (step) => step.effect ?? '—' },
                  { id: 'when', header: 'Runs when', cell: (step) => (step.when === undefined || step.when.length === 0 ? 'always' : step.when.join('; ')) },
                  { id: 'onError', header: 'On error', cell: (step) => (step.continueOnError ? 'the run continues' : 'the run stops') },
                ]}
              />
              {unknown.length > 0 ? (
                <Alert type="info" header="Left out of the form">
                  The page address names {unknown.length === 1 ? 'a parameter' : 'parameters'} that {playbook.name} does not take: {unknown.join(', ')}.
                </Alert>
              ) : null}
              <Container header={<Header variant="h2" description="The steps take their inputs from these.">Inputs</Header>}>
                <SchemaForm
                  fields={fields}
                  values={values}
                  errors={execution.fieldErrors.byField}
                  prefilled={new Set(Object.keys(fromAddress).filter((field) => edits[field] === undefined))}
                  onChange={(field, value) => {
                    setEdits((current) => ({ ...current, [field]: value }));
                  }}
                />
              </Container>
              <Container header={<Header variant="h2">Why</Header>}>
                <FormField label="Reason" description="Recorded with the run and each of its actions." constraintText="Optional.">
                  <Input
                    value={reason}
                    onChange={({ detail }) => {
                      setReason(detail.value);
                    }}
                  />
                </FormField>
              </Container>
            </SpaceBetween>
          </Form>
        </form>
      )}
      <ConfirmDialog
        visible={execution.plan !== null}
        header={`Run ${name}?`}
        canConfirm={execution.plan !== null && refused.length === 0}
        busy={execution.confirming}
        onConfirm={execution.confirm}
        onCancel={execution.cancel}
      >
        {execution.plan === null ? null : (
          <SpaceBetween size="m">
            {refused.length > 0 ? (
              <Alert type="error" header="A step is refused">
                The run would stop at {refused.map((step) => step.id).join(', ')}: change the inputs.
              </Alert>
            ) : null}
            <Box>The steps run in this order; a step that fails stops the run unless it continues on error.</Box>
            <JsonView value={inputsFrom(fields, values)} label="Inputs to send" />
            <PlaybookPlanView plan={execution.plan} />
          </SpaceBetween>
        )}
      </ConfirmDialog>
    </SpaceBetween>
  );
}
