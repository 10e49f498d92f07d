import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import Pagination from '@cloudscape-design/components/pagination';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useSearchParams } from 'react-router';
import { useApiGet } from '../../api/hooks.ts';
import type { Approval, ApprovalStatus, Page } from '../../api/types.ts';
import { ListHeader } from '../../components/list-header.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { StatusText } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { inputsText, requestName, triggerText } from './describe.ts';
import { useCursorPages } from '../paging.ts';
import { AppLink } from '../../components/app-link.tsx';
import { Wrapped } from '../../components/wrapped.tsx';
import { approvalPath } from '../paths.ts';

const statuses: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected', 'expired'];
const statusOptions: readonly SelectProps.Option[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'approved', label: 'Approved' },
  { value: 'rejected', label: 'Rejected' },
  { value: 'expired', label: 'Expired' },
  { value: 'all', label: 'Any status' },
];

/** The status filter the address holds: `?status=pending` (the default), `approved`, ..., or `all`. */
function statusFilter(value: string | null): ApprovalStatus | 'all' {
  if (value === 'all') return 'all';
  return statuses.find((status) => status === value) ?? 'pending';
}

/** `/approvals`: requests waiting for (or given) a second person's decision, newest first. */
export function ApprovalsPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const status = statusFilter(searchParams.get('status'));
  const pages = useCursorPages(status);
  const { data, error, loading, reload } = useApiGet<Page<Approval>>('/v1/approvals', { status: status === 'all' ? undefined : status, cursor: pages.cursor });
  const selected = statusOptions.find((option) => option.value === status) ?? null;
  const items = data?.items ?? [];

  return (
    <SpaceBetween size="l">
      <ProblemAlert error={error} header="The approvals could not be loaded" />
      <Table
        variant="full-page"
        items={[...items]}
        loading={loading}
        loadingText="Loading approvals"
        trackBy="id"
        wrapLines
        ariaLabels={{ tableLabel: 'Approvals' }}
        header={<ListHeader title="Approvals" noun="approvals" description="Requests a rule in approval mode, or a person on a target that needs approval, made: a second person approves or rejects each." shown={data === undefined ? undefined : items.length} more={data !== undefined && data.nextCursor !== null} loading={loading} reload={reload} />}
        filter={
          <FormField label="Status">
            {/* Wide enough for its longest option, not the whole table. */}
            <div style={{ maxWidth: 240 }}>
              <Select
                selectedOption={selected}
                options={[...statusOptions]}
                onChange={({ detail }) => {
                  const value = detail.selectedOption.value ?? 'pending';
                  setSearchParams(value === 'pending' ? {} : { status: value });
                }}
              />
            </div>
          </FormField>
        }
        pagination={<Pagination {...pages.pagination(data?.nextCursor)} disabled={loading} ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (n) => `Page ${n}` }} />}
        empty={
          <Box textAlign="center" color="inherit" padding="m">
            {status === 'all' ? 'No approvals yet.' : `No ${status} approvals.`}
          </Box>
        }
        columnDefinitions={[
          { id: 'created', header: 'Created', minWidth: 110, cell: (approval) => <Time value={approval.createdAt} /> },
          {
            id: 'request',
            header: 'Request',
            minWidth: 210,
            cell: (approval) => (
              <SpaceBetween size="xxxs">
                <AppLink href={approvalPath(approval.id)} ariaLabel={`Approval ${approval.id}: ${requestName(approval)}`}>
                  {requestName(approval)}
                </AppLink>
                <Box fontSize="body-s" color="text-body-secondary">
                  <Wrapped>{inputsText(approval.request.inputs)}</Wrapped>
                </Box>
              </SpaceBetween>
            ),
          },
          { id: 'requestedBy', header: 'Requested by', minWidth: 150, cell: (approval) => <Wrapped>{approval.requestedBy}</Wrapped> },
          {
            id: 'trigger',
            header: 'Trigger',
            minWidth: 200,
            cell: (approval) => (
              <SpaceBetween size="xxxs">
                <Wrapped>{triggerText(approval.trigger)}</Wrapped>
                {approval.trigger === null || approval.trigger.findingId === null ? null : (
                  <Box fontSize="body-s" color="text-body-secondary">
                    <Wrapped>finding {approval.trigger.findingId}</Wrapped>
                  </Box>
                )}
              </SpaceBetween>
            ),
          },
          { id: 'status', header: 'Status', minWidth: 130, cell: (approval) => <StatusText status={approval.status} /> },
          { id: 'expires', header: 'Expires', minWidth: 130, cell: (approval) => <Time value={approval.expiresAt} /> },
        ]}
      />
    </SpaceBetween>
  );
}
