import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useApiGet } from '../../api/hooks.ts';
import { ProblemAlert } from '../../components/problem.tsx';
import type { ListedPlaybook } from './shared.ts';
import { AppLink } from '../../components/app-link.tsx';
import { playbookPath } from '../paths.ts';

/** `/playbooks`: the built-in and custom playbooks, each step with its phase, and a link to run one. */
export function PlaybooksPage() {
  const playbooks = useApiGet<ListedPlaybook[]>('/v1/playbooks');
  return (
    <SpaceBetween size="l">
      <ProblemAlert error={playbooks.error} header="The playbooks could not be read" />
      <Table
        variant="full-page"
        header={
          <Header variant="h1" counter={playbooks.data === undefined ? undefined : `(${playbooks.data.length})`} description="Each step is an ordinary action, recorded with its run; a run is undone as one, and the evidence it gathered stays.">
            Playbooks
          </Header>
        }
        loading={playbooks.loading}
        loadingText="Reading the playbooks"
        items={playbooks.data ?? []}
        trackBy="name"
        wrapLines
        ariaLabels={{ tableLabel: 'Playbooks' }}
        empty={<Box>No playbook.</Box>}
        columnDefinitions={[
          {
            id: 'name',
            header: 'Playbook',
            cell: (playbook) => (
              <SpaceBetween size="xxxs">
                <AppLink href={playbookPath(playbook.name)}>{playbook.name}</AppLink>
                <Box variant="small">{playbook.title}</Box>
              </SpaceBetween>
            ),
          },
          { id: 'description', header: 'What it does', cell: (playbook) => playbook.description },
          { id: 'steps', header: 'Steps', cell: (playbook) => <StepList steps={playbook.steps} /> },
          {
            id: 'run',
            header: 'Run',
            cell: (playbook) => (
              <AppLink href={playbookPath(playbook.name)} ariaLabel={`Run ${playbook.name}`}>
                Run
              </AppLink>
            ),
          },
        ]}
      />
    </SpaceBetween>
  );
}

function StepList({ steps }: { readonly steps: ListedPlaybook['steps'] }) {
  return (
    <ol>
      {steps.map((step) => (
        <li key={step.id}>
          <code>{step.type}</code> ({step.phase}
          {step.continueOnError ? ', continues on error' : ''}
          {step.when !== undefined && step.when.length > 0 ? `, when ${step.when.join(' and ')}` : ''})
        </li>
      ))}
    </ol>
  );
}
