import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import DateRangePicker, { type DateRangePickerProps } from '@cloudscape-design/components/date-range-picker';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Pagination from '@cloudscape-design/components/pagination';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useState, type ReactNode } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { useApiGet } from '../../api/hooks.ts';
import type { ActionRecord, ActionType, Page } from '../../api/types.ts';
import { actionStatuses } from '../../api/types.ts';
import { FieldErrorList, ProblemAlert } from '../../components/problem.tsx';
import { StatusText } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { filterProblems, filtersFrom, isRfc3339, searchFor, toRfc3339, triggerText, type HistoryFilters } from './filters.ts';
import { AppLink } from '../../components/app-link.tsx';
import { useCursorPages } from '../paging.ts';
import { actionPath, resourcePath, runPathFor } from '../paths.ts';

const pageSize = 25;

/** `/actions`: every action the person may read, newest first, filtered by what the URL holds. */
export function ActionsPage() {
  return <HistoryView header={<Header variant="h1" description="Every action, newest first. The filters are part of the address, so a view can be shared.">Action history</Header>} />;
}

/** `/resources/<URL-encoded key>`: one resource's history, and a way to act on it. */
export function ResourcePage() {
  // react-router hands the splat decoded (an encoded `/` included), so the key is used as is:
  // decoding it again would mangle a key that holds a `%`.
  const key = useParams()['*'] ?? '';
  if (key === '') {
    return (
      <Alert type="info" header="No resource named">
        Open a resource from the <AppLink href="/actions">action history</AppLink>.
      </Alert>
    );
  }
  return (
    <HistoryView
      resource={key}
      header={
        <Header
          variant="h1"
          description={
            <>
              The history of <code>{key}</code>, newest first.
            </>
          }
          actions={
            <AppLink href={runPathFor(key)} variant="primary">
              Run an action on this resource
            </AppLink>
          }
        >
          Resource history
        </Header>
      }
    />
  );
}

/** The history table with its filters; `resource` fixes the resource filter (the per-resource page). */
function HistoryView({ header, resource }: { readonly header: ReactNode; readonly resource?: string }) {
  const [params, setParams] = useSearchParams();
  const urlFilters = filtersFrom(params);
  const filters: HistoryFilters = resource === undefined ? urlFilters : { ...urlFilters, resource };
  const filterKey = searchFor(filters).toString();
  const types = useApiGet<ActionType[]>('/v1/action-types');
  const problems = filterProblems(filters, types.data);
  // A type filter is judged against the catalogue before asking, so a wrong one is never sent.
  const ready = problems.length === 0 && (filters.type === undefined || types.data !== undefined || types.error !== undefined);

  const pages = useCursorPages(filterKey);
  const query = { ...Object.fromEntries(new URLSearchParams(filterKey)), limit: pageSize, cursor: pages.cursor };
  const history = useApiGet<Page<ActionRecord>>(ready ? '/v1/actions' : null, query);

  const setFilters = (next: HistoryFilters): void => {
    const search = searchFor(resource === undefined ? next : { ...next, resource: undefined });
    setParams(search);
  };

  return (
    <SpaceBetween size="m">
      {problems.length > 0 ? (
        <Alert type="error" header="These filters cannot be used">
          <FieldErrorList errors={problems} />
        </Alert>
      ) : null}
      <ProblemAlert error={history.error} header="The history could not be loaded" />
      <ProblemAlert error={types.error} header="The action types could not be loaded" />
      <Table
        header={header}
        variant="full-page"
        wrapLines
        loading={history.loading}
        loadingText="Loading actions"
        items={ready ? [...(history.data?.items ?? [])] : []}
        trackBy="id"
        ariaLabels={{ tableLabel: resource === undefined ? 'Actions' : `Actions on ${resource}` }}
        // Keyed by the filters: back and forward change the address under the form, and the typed fields start again from it.
        filter={<FiltersForm key={filterKey} filters={filters} types={types.data} fixedResource={resource !== undefined} onApply={setFilters} />}
        pagination={
          <Pagination
            {...pages.pagination(history.data?.nextCursor)}
            ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (page) => `Page ${page}`, paginationLabel: 'History pages' }}
          />
        }
        empty={
          <Box textAlign="center" color="inherit">
            <b>No actions</b>
            <Box variant="p" color="inherit">
              {Object.keys(urlFilters).length > 0 ? 'None match these filters.' : 'None recorded yet.'}
            </Box>
          </Box>
        }
        columnDefinitions={[
          {
            id: 'time',
            header: 'Time',
            minWidth: 120,
            // The time opens the action: one link per row, its name starting with the text it shows.
            cell: (record) => (
              <AppLink href={actionPath(record.id)} ariaLabel={`${shownTime(record.createdAt)}: open ${record.type} action ${record.id}`}>
                <Time value={record.createdAt} />
              </AppLink>
            ),
          },
          { id: 'type', header: 'Type', minWidth: 150, cell: (record) => record.type },
          {
            id: 'resource',
            header: 'Resource',
            cell: (record) => (
              <AppLink href={resourcePath(record.resource.key)} ariaLabel={`History of ${record.resource.key}`}>
                {record.resource.key}
              </AppLink>
            ),
          },
          { id: 'status', header: 'Status', minWidth: 150, cell: (record) => <StatusText status={record.status} /> },
          { id: 'createdBy', header: 'Created by', cell: (record) => record.createdBy },
          { id: 'trigger', header: 'Trigger', cell: (record) => triggerText(record.trigger) },
        ]}
      />
    </SpaceBetween>
  );
}

/** A time as the Time component shows it (UTC, to the second). */
function shownTime(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : toRfc3339(date).replace('T', ' ');
}

const anyType: SelectProps.Option = { value: '', label: 'Any type' };
const anyStatus: SelectProps.Option = { value: '', label: 'Any status' };

/** The filters: the choices apply at once; the typed ones on Enter or `Apply`. */
function FiltersForm({ filters, types, fixedResource, onApply }: { readonly filters: HistoryFilters; readonly types: readonly ActionType[] | undefined; readonly fixedResource: boolean; readonly onApply: (filters: HistoryFilters) => void }) {
  const [resource, setResource] = useState(filters.resource ?? '');
  const [createdBy, setCreatedBy] = useState(filters.createdBy ?? '');

  const typeOptions: SelectProps.Option[] = [anyType, ...[...(types ?? [])].sort((a, b) => a.type.localeCompare(b.type)).map((type) => ({ value: type.type, label: type.type, description: type.title }))];
  const statusOptions: SelectProps.Option[] = [anyStatus, ...actionStatuses.map((status) => ({ value: status, label: status }))];
  const typed = (): HistoryFilters => ({ ...filters, ...(fixedResource ? {} : { resource: resource.trim() === '' ? undefined : resource.trim() }), createdBy: createdBy.trim() === '' ? undefined : createdBy.trim() });
  const onEnter = (key: string): void => {
    if (key === 'Enter') onApply(typed());
  };

  return (
    <SpaceBetween direction="horizontal" size="s" alignItems="end">
      <FormField label="Type">
        <Select
          selectedOption={filters.type === undefined ? anyType : (typeOptions.find((option) => option.value === filters.type) ?? { value: filters.type, label: filters.type })}
          options={typeOptions}
          filteringType="auto"
          statusType={types === undefined ? 'loading' : 'finished'}
          loadingText="Loading action types"
          onChange={({ detail }) => {
            onApply({ ...typed(), type: detail.selectedOption.value === '' ? undefined : detail.selectedOption.value });
          }}
        />
      </FormField>
      <FormField label="Status">
        <Select
          selectedOption={statusOptions.find((option) => option.value === (filters.status ?? '')) ?? { value: filters.status ?? '', label: filters.status ?? '' }}
          options={statusOptions}
          onChange={({ detail }) => {
            onApply({ ...typed(), status: detail.selectedOption.value === '' ? undefined : detail.selectedOption.value });
          }}
        />
      </FormField>
      {fixedResource ? null : <TypedFilter label="Resource key" value={resource} placeholder="arn:aws:iam::… or host/…" onChange={setResource} onEnter={onEnter} />}
      <TypedFilter label="Created by" value={createdBy} placeholder="a sub, or automation:…" onChange={setCreatedBy} onEnter={onEnter} />
      <FormField label="Time">
        <DateRangePicker
          value={rangeOf(filters)}
          placeholder="Any time"
          relativeOptions={relativeOptions}
          isValidRange={validRange}
          i18nStrings={rangeStrings}
          expandToViewport
          ariaLabel="Time range"
          onChange={({ detail }) => {
            onApply({ ...typed(), ...boundsOf(detail.value) });
          }}
        />
      </FormField>
      <SpaceBetween direction="horizontal" size="xs">
        <Button
          onClick={() => {
            onApply(typed());
          }}
        >
          Apply
        </Button>
        <Button
          variant="link"
          onClick={() => {
            onApply({});
          }}
        >
          Clear filters
        </Button>
      </SpaceBetween>
    </SpaceBetween>
  );
}

/** A typed filter: applied on Enter (or `Apply`), not on each key. */
function TypedFilter({ label, value, placeholder, onChange, onEnter }: { readonly label: string; readonly value: string; readonly placeholder: string; readonly onChange: (value: string) => void; readonly onEnter: (key: string) => void }) {
  return (
    <FormField label={label}>
      <Input
        type="search"
        value={value}
        placeholder={placeholder}
        onChange={({ detail }) => {
          onChange(detail.value);
        }}
        onKeyDown={({ detail }) => {
          onEnter(detail.key);
        }}
      />
    </FormField>
  );
}

const relativeOptions: DateRangePickerProps.RelativeOption[] = [
  { key: 'last-1-hour', amount: 1, unit: 'hour', type: 'relative' },
  { key: 'last-24-hours', amount: 24, unit: 'hour', type: 'relative' },
  { key: 'last-7-days', amount: 7, unit: 'day', type: 'relative' },
  { key: 'last-30-days', amount: 30, unit: 'day', type: 'relative' },
];

const unitMs: Record<DateRangePickerProps.TimeUnit, number> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
  year: 365 * 86_400_000,
};

/** The range the URL holds, as the picker shows it (a `from` alone runs to now). */
function rangeOf(filters: HistoryFilters): DateRangePickerProps.Value | null {
  const from = filters.from !== undefined && isRfc3339(filters.from) ? filters.from : undefined;
  const to = filters.to !== undefined && isRfc3339(filters.to) ? filters.to : undefined;
  if (from === undefined && to === undefined) return null;
  return { type: 'absolute', startDate: from ?? '1970-01-01T00:00:00Z', endDate: to ?? toRfc3339(new Date()) };
}

/** The picker's range as the API's `from` and `to`: a relative range runs from then to now (no `to`). */
function boundsOf(value: DateRangePickerProps.Value | null): { from: string | undefined; to: string | undefined } {
  if (value === null) return { from: undefined, to: undefined };
  if (value.type === 'relative') return { from: toRfc3339(new Date(Date.now() - value.amount * unitMs[value.unit])), to: undefined };
  return { from: toRfc3339(new Date(value.startDate)), to: toRfc3339(new Date(value.endDate)) };
}

// Checked in the picker, so a range the service would refuse (400) is never asked for.
function validRange(value: DateRangePickerProps.Value | null): DateRangePickerProps.ValidationResult {
  if (value === null) return { valid: true };
  if (value.type === 'relative') return Number.isInteger(value.amount) && value.amount > 0 ? { valid: true } : { valid: false, errorMessage: 'Give a whole number of units, more than 0.' };
  if (value.startDate === '' || value.endDate === '') return { valid: false, errorMessage: 'Give both a start and an end.' };
  const start = Date.parse(value.startDate);
  const end = Date.parse(value.endDate);
  if (Number.isNaN(start) || Number.isNaN(end)) return { valid: false, errorMessage: 'Give the dates as YYYY/MM/DD and the times as hh:mm:ss.' };
  if (start > end) return { valid: false, errorMessage: 'The start must not be after the end.' };
  return { valid: true };
}

const rangeStrings: DateRangePickerProps.I18nStrings = {
  modeSelectionLabel: 'Range kind',
  relativeModeTitle: 'Relative range',
  absoluteModeTitle: 'Absolute range',
  relativeRangeSelectionHeading: 'Choose a range',
  cancelButtonLabel: 'Cancel',
  clearButtonLabel: 'Clear and dismiss',
  applyButtonLabel: 'Apply range',
  formatRelativeRange: (value) => `Last ${value.amount} ${value.unit}${value.amount === 1 ? '' : 's'}`,
  formatUnit: (unit, value) => (value === 1 ? unit : `${unit}s`),
  customRelativeRangeOptionLabel: 'Custom range',
  customRelativeRangeOptionDescription: 'Set a custom range in the past',
  customRelativeRangeDurationLabel: 'Duration',
  customRelativeRangeDurationPlaceholder: 'Enter duration',
  customRelativeRangeUnitLabel: 'Unit of time',
  startDateLabel: 'Start date',
  startTimeLabel: 'Start time',
  endDateLabel: 'End date',
  endTimeLabel: 'End time',
  dateTimeConstraintText: 'Use 24-hour time (hh:mm:ss).',
  errorIconAriaLabel: 'Error',
  renderSelectedAbsoluteRangeAriaLive: (start, end) => `Range selected from ${start} to ${end}`,
  todayAriaLabel: 'Today',
  nextMonthAriaLabel: 'Next month',
  previousMonthAriaLabel: 'Previous month',
};
