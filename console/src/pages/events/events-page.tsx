import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Pagination from '@cloudscape-design/components/pagination';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { useApiGet } from '../../api/hooks.ts';
import type { DecisionOutcome, DecisionRecord, Page } from '../../api/types.ts';
import { ListHeader } from '../../components/list-header.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { Time } from '../../components/time.tsx';
import { useCursorPages } from '../paging.ts';
import { AppLink } from '../../components/app-link.tsx';
import { Wrapped } from '../../components/wrapped.tsx';
import { isRfc3339 } from '../actions/filters.ts';
import { actionPath, approvalPath, eventsPath, playbookRunPath } from '../paths.ts';

/** API.md's outcomes, each with the icon that only repeats its word. */
const outcomes: Readonly<Record<DecisionOutcome, StatusIndicatorProps.Type>> = {
  executed: 'success',
  planned: 'info',
  'awaiting-approval': 'pending',
  deduplicated: 'stopped',
  exempt: 'stopped',
  'rate-limited': 'warning',
  suppressed: 'stopped',
  unmapped: 'warning',
  refused: 'error',
};
const isOutcome = (value: string | null): value is DecisionOutcome => value !== null && Object.hasOwn(outcomes, value);
const outcomeOptions: readonly SelectProps.Option[] = [{ value: '', label: 'Any outcome' }, ...Object.keys(outcomes).map((outcome) => ({ value: outcome, label: outcome }))];

const timeProblem = (value: string): string | undefined => (value === '' || isRfc3339(value) ? undefined : 'An RFC 3339 time such as 2026-11-20T10:00:00Z');

type Filters = Readonly<Record<'findingId' | 'ruleId' | 'outcome' | 'from' | 'to', string>>;

/** The filters the address holds (`?findingId=&ruleId=&outcome=&from=&to=`); a value the service would refuse is left out. */
function filtersOf(params: URLSearchParams): Filters {
  const outcome = params.get('outcome');
  const time = (name: 'from' | 'to'): string => {
    const value = params.get(name) ?? '';
    return timeProblem(value) === undefined ? value : '';
  };
  return {
    findingId: (params.get('findingId') ?? '').slice(0, 1024),
    ruleId: (params.get('ruleId') ?? '').slice(0, 64),
    outcome: isOutcome(outcome) ? outcome : '',
    from: time('from'),
    to: time('to'),
  };
}

/** The outcome as its word, as API.md names it. */
function OutcomeText({ outcome }: { readonly outcome: DecisionOutcome }) {
  return <StatusIndicator type={outcomes[outcome]} wrapText={false}>
      {outcome}
    </StatusIndicator>;
}

/** `/events`: every decision the automation rules made on a finding, newest first. */
export function EventsPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = filtersOf(searchParams);
  const filterKey = JSON.stringify(filters);
  const pages = useCursorPages(filterKey);
  const { data, error, loading, reload } = useApiGet<Page<DecisionRecord>>('/v1/events', { ...filters, cursor: pages.cursor });
  const items = data?.items ?? [];

  const apply = (next: Filters): void => {
    setSearchParams(Object.fromEntries(Object.entries(next).filter(([, value]) => value !== '')));
  };

  return (
    <SpaceBetween size="l">
      <ProblemAlert error={error} header="The decisions could not be loaded" />
      <Table
        variant="full-page"
        items={[...items]}
        loading={loading}
        loadingText="Loading decisions"
        trackBy={(record) => `${record.eventId}|${record.findingId}|${record.ruleId}|${record.receivedAt}|${record.outcome}`}
        wrapLines
        ariaLabels={{ tableLabel: 'Automation decisions' }}
        header={<ListHeader title="Automation decisions" noun="decisions" description="What each automation rule decided on each finding it matched, whatever the outcome, newest first." shown={data === undefined ? undefined : items.length} more={data !== undefined && data.nextCursor !== null} loading={loading} reload={reload} />}
        filter={<FilterForm key={filterKey} filters={filters} onApply={apply} />}
        pagination={<Pagination {...pages.pagination(data?.nextCursor)} disabled={loading} ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (n) => `Page ${n}` }} />}
        empty={
          <Box textAlign="center" color="inherit" padding="m">
            {Object.values(filters).some((value) => value !== '') ? 'No decision matches these filters.' : 'No finding has been decided yet.'}
          </Box>
        }
        columnDefinitions={[
          { id: 'received', header: 'Received', minWidth: 110, cell: (record) => <Time value={record.receivedAt} /> },
          {
            id: 'finding',
            header: 'Finding',
            minWidth: 200,
            // Finding fields are the finding source's (or an attacker's) text: shown as text only.
            cell: (record) => (
              <SpaceBetween size="xxxs">
                <Wrapped>{`${record.source} · ${record.findingType}`}</Wrapped>
                <AppLink href={eventsPath({ findingId: record.findingId })} ariaLabel={`Decisions on finding ${record.findingId}`}>
                  <Wrapped>{record.findingId}</Wrapped>
                </AppLink>
              </SpaceBetween>
            ),
          },
          { id: 'rule', header: 'Rule', minWidth: 150, cell: (record) => <Wrapped>{record.ruleId}</Wrapped> },
          { id: 'outcome', header: 'Outcome', minWidth: 190, cell: (record) => <OutcomeText outcome={record.outcome} /> },
          { id: 'reason', header: 'Reason', minWidth: 180, cell: (record) => <Wrapped>{record.reason}</Wrapped> },
          { id: 'created', header: 'Created', minWidth: 150, cell: (record) => <CreatedLinks record={record} /> },
        ]}
      />
    </SpaceBetween>
  );
}

/** What the decision made: the actions, the approval waiting, the playbook run. */
function CreatedLinks({ record }: { readonly record: DecisionRecord }) {
  const links = [
    ...record.actionIds.map((id) => ({ href: actionPath(id), text: `Action ${id}` })),
    ...(record.approvalId === null ? [] : [{ href: approvalPath(record.approvalId), text: `Approval ${record.approvalId}` }]),
    ...(record.playbookRunId === null ? [] : [{ href: playbookRunPath(record.playbookRunId), text: `Playbook run ${record.playbookRunId}` }]),
  ];
  if (links.length === 0) return <span>—</span>;
  return (
    <SpaceBetween size="xxxs">
      {links.map((link) => (
        <AppLink key={link.href} href={link.href}>
          <Wrapped>{link.text}</Wrapped>
        </AppLink>
      ))}
    </SpaceBetween>
  );
}

/** The filters as a form: typed values apply on `Apply filters` (or Enter) and go into the address. */
function FilterForm({ filters, onApply }: { readonly filters: Filters; readonly onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState<Filters>(filters);
  const [submitted, setSubmitted] = useState(false);
  const problems = { from: timeProblem(draft.from.trim()), to: timeProblem(draft.to.trim()) };
  const order = problems.from === undefined && problems.to === undefined && draft.from.trim() !== '' && draft.to.trim() !== '' && Date.parse(draft.from.trim()) > Date.parse(draft.to.trim()) ? 'Must not be after To' : undefined;
  const set = (name: keyof Filters) => ({ detail }: { readonly detail: { readonly value: string } }) => {
    setDraft((current) => ({ ...current, [name]: detail.value }));
  };
  const valid = problems.from === undefined && problems.to === undefined && order === undefined;
  const typed: Filters = { findingId: draft.findingId.trim(), ruleId: draft.ruleId.trim(), outcome: draft.outcome, from: draft.from.trim(), to: draft.to.trim() };
  const submit = (event: { preventDefault: () => void }): void => {
    event.preventDefault();
    setSubmitted(true);
    if (valid) onApply(typed);
  };
  const shown = (problem: string | undefined): string | undefined => (submitted ? problem : undefined);

  return (
    <form onSubmit={submit} aria-label="Filter the decisions">
      <Form
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button
              formAction="none"
              variant="link"
              onClick={() => {
                onApply({ findingId: '', ruleId: '', outcome: '', from: '', to: '' });
              }}
            >
              Clear filters
            </Button>
            <Button formAction="submit">Apply filters</Button>
          </SpaceBetween>
        }
      >
        <ColumnLayout columns={3} minColumnWidth={200}>
          <FormField label="Finding id">
            <Input value={draft.findingId} onChange={set('findingId')} placeholder="Any finding" />
          </FormField>
          <FormField label="Rule id">
            <Input value={draft.ruleId} onChange={set('ruleId')} placeholder="Any rule" />
          </FormField>
          <FormField label="Outcome">
            <Select
              selectedOption={outcomeOptions.find((option) => option.value === draft.outcome) ?? null}
              options={[...outcomeOptions]}
              onChange={({ detail }) => {
                // A choice of outcome applies at once (with what was typed, when it is valid): there is nothing more to type.
                const outcome = detail.selectedOption.value ?? '';
                setDraft((current) => ({ ...current, outcome }));
                onApply({ ...(valid ? typed : filters), outcome });
              }}
            />
          </FormField>
          <FormField label="From" description="Received at or after (RFC 3339)" errorText={shown(problems.from ?? order)}>
            <Input value={draft.from} onChange={set('from')} placeholder="2026-11-20T10:00:00Z" />
          </FormField>
          <FormField label="To" description="Received at or before (RFC 3339)" errorText={shown(problems.to)}>
            <Input value={draft.to} onChange={set('to')} placeholder="2026-11-20T12:00:00Z" />
          </FormField>
        </ColumnLayout>
      </Form>
    </form>
  );
}
