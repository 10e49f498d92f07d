import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Pagination from '@cloudscape-design/components/pagination';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { useApiGet } from '../../api/hooks.ts';
import type { Page, PlaybookRun } from '../../api/types.ts';
import { ProblemAlert } from '../../components/problem.tsx';
import { StatusText } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { runStatuses, type ListedPlaybook } from './shared.ts';
import { AppLink } from '../../components/app-link.tsx';
import { useCursorPages } from '../paging.ts';
import { playbookRunPath } from '../paths.ts';

const anyOption: SelectProps.Option = { value: '', label: 'Any' };

/**
 * `/playbook-runs?playbook=&status=&createdBy=`: runs newest first. The filters live in the page
 * address (a link shares them); paged as every list is (useCursorPages).
 */
export function PlaybookRunsPage() {
  const location = useLocation();
  return <RunList key={location.key} />;
}

function RunList() {
  const [params, setParams] = useSearchParams();
  const playbook = params.get('playbook') ?? '';
  const status = params.get('status') ?? '';
  const createdBy = params.get('createdBy') ?? '';
  const [createdByText, setCreatedByText] = useState(createdBy);
  const pages = useCursorPages(JSON.stringify([playbook, status, createdBy]));
  const playbooks = useApiGet<ListedPlaybook[]>('/v1/playbooks');
  const runs = useApiGet<Page<PlaybookRun>>('/v1/playbook-runs', { playbook, status, createdBy, cursor: pages.cursor });

  const filter = (name: string, value: string): void => {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(name);
    else next.set(name, value);
    setParams(next);
  };

  return (
    <SpaceBetween size="l">
      <ProblemAlert error={runs.error} header="The runs could not be read" />
      <Table
        variant="full-page"
        header={
          <Header variant="h1" description="Newest first. A run's page follows it until it ends.">
            Playbook runs
          </Header>
        }
        filter={
          <SpaceBetween direction="horizontal" size="m">
            <FormField label="Playbook">
              <Select
                selectedOption={playbook === '' ? anyOption : { value: playbook, label: playbook }}
                options={[anyOption, ...(playbooks.data ?? []).map((listed) => ({ value: listed.name, label: listed.name }))]}
                onChange={({ detail }) => {
                  filter('playbook', detail.selectedOption.value ?? '');
                }}
              />
            </FormField>
            <FormField label="Status">
              <Select
                selectedOption={status === '' ? anyOption : { value: status, label: status }}
                options={[anyOption, ...runStatuses.map((value) => ({ value, label: value }))]}
                onChange={({ detail }) => {
                  filter('status', detail.selectedOption.value ?? '');
                }}
              />
            </FormField>
            <FormField label="Created by" constraintText="Enter to apply.">
              <Input
                type="search"
                value={createdByText}
                placeholder="sub, or automation:<rule id>"
                onChange={({ detail }) => {
                  setCreatedByText(detail.value);
                }}
                onKeyDown={({ detail }) => {
                  if (detail.key === 'Enter') filter('createdBy', createdByText.trim());
                }}
              />
            </FormField>
          </SpaceBetween>
        }
        pagination={
          <Pagination
            {...pages.pagination(runs.data?.nextCursor)}
            disabled={runs.loading}
            ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (page) => `Page ${page}` }}
          />
        }
        loading={runs.loading}
        loadingText="Reading the runs"
        items={runs.data?.items ?? []}
        trackBy="id"
        ariaLabels={{ tableLabel: 'Playbook runs' }}
        empty={<Box>No run{playbook === '' && status === '' && createdBy === '' ? '' : ' matches these filters'}.</Box>}
        columnDefinitions={[
          { id: 'id', header: 'Run', cell: (run) => <AppLink href={playbookRunPath(run.id)}>{run.id}</AppLink> },
          { id: 'playbook', header: 'Playbook', cell: (run) => run.playbook },
          { id: 'status', header: 'Status', cell: (run) => <StatusText status={run.status} /> },
          { id: 'createdBy', header: 'Created by', cell: (run) => run.createdBy },
          { id: 'createdAt', header: 'Created', cell: (run) => <Time value={run.createdAt} /> },
          {
            id: 'undo',
            header: 'Undo',
            cell: (run) =>
              run.undoOf !== null ? (
                <>
                  undoes <AppLink href={playbookRunPath(run.undoOf)}>{run.undoOf}</AppLink>
                </>
              ) : run.undo.runId !== null ? (
                <>
                  undone by <AppLink href={playbookRunPath(run.undo.runId)}>{run.undo.runId}</AppLink>
                </>
              ) : (
                '—'
              ),
          },
        ]}
      />
    </SpaceBetween>
  );
}
