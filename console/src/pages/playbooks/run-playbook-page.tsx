import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import Table from '@cloudscape-design/components/table';
import { useMemo } from 'react';
import { useLocation, useParams, useSearchParams } from 'react-router';
import { useApiGet } from '../../api/hooks.ts';
import type { ActionType, PlaybookPlan, PlaybookRun } from '../../api/types.ts';
import { useSession } from '../../auth/session.ts';
import { ConfirmDialog } from '../../components/confirm.tsx';
import { JsonView } from '../../components/json.tsx';
import { PlaybookPlanView } from '../../components/plan.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { fieldsOf, inputsFrom, unknownQueryNames } from '../../components/schema-form/index.ts';
import { ExecuteForm, UnknownParametersAlert, useExecution, useFormInputs } from '../run/execution.tsx';
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
  const playbooks = useApiGet<ListedPlaybook[]>('/v1/playbooks');
  const catalogue = useApiGet<ActionType[]>('/v1/action-types');
  const playbook = playbooks.data?.find((candidate) => candidate.name === name);
  const fields = useMemo(() => (playbook === undefined ? [] : fieldsOf(playbook.inputs)), [playbook]);
  const form = useFormInputs(fields, params);
  const refusal = playbook === undefined ? 'No such playbook.' : runRefusal(playbook.steps.map((step) => step.type), catalogue.data, session.scopes);

  const execution = useExecution<PlaybookPlan, PlaybookRun>({
    fields,
    values: form.values,
    path: `/v1/playbooks/${encodeURIComponent(name)}/runs`,
    body: form.body,
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
        <ExecuteForm
          refusal={refusal}
          execution={execution}
          fields={fields}
          form={form}
          inputsDescription="The steps take their inputs from these."
          reasonDescription="Recorded with the run and each of its actions."
        >
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
          <UnknownParametersAlert names={unknown} taker={playbook.name} />
        </ExecuteForm>
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
            <JsonView value={inputsFrom(fields, form.values)} label="Inputs to send" />
            <PlaybookPlanView plan={execution.plan} />
          </SpaceBetween>
        )}
      </ConfirmDialog>
    </SpaceBetween>
  );
}
