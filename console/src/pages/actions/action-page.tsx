import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import { useParams } from 'react-router';
import { useApiGet } from '../../api/hooks.ts';
import type { ActionRecord, ActionType, JsonValue } from '../../api/types.ts';
import { terminalStatuses } from '../../api/types.ts';
import { execRefusal } from '../../auth/scopes.ts';
import { useSession } from '../../auth/session.ts';
import { JsonView } from '../../components/json.tsx';
import { WarningsView } from '../../components/plan.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { StatusText } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { PlannedActionDialog, type FollowUp } from './action-dialog.tsx';
import { EvidenceTable } from './evidence.tsx';
import { triggerText } from './filters.ts';
import { AppLink } from '../../components/app-link.tsx';
import { actionPath, playbookRunPath, resourcePath } from '../paths.ts';

const isTerminal = (record: ActionRecord): boolean => terminalStatuses.includes(record.status);

/** `/actions/:id`: one action, refreshed every 5 s until it is Completed or in Error. */
export function ActionPage() {
  const id = useParams()['id'] ?? '';
  // Keyed by id: going from an action to its undo starts afresh (no record, dialog or poll carried over).
  return <ActionView key={id} id={id} />;
}

function ActionView({ id }: { readonly id: string }) {
  const session = useSession();
  const action = useApiGet<ActionRecord>(`/v1/actions/${encodeURIComponent(id)}`, undefined, { refreshMs: 5000, until: isTerminal });
  const types = useApiGet<ActionType[]>('/v1/action-types');
  const record = action.data;
  const undoId = record?.undoOf === null ? (record.undo.actionId ?? null) : null;
  const undo = useApiGet<ActionRecord>(undoId === null ? null : `/v1/actions/${encodeURIComponent(undoId)}`, undefined, { refreshMs: 5000, until: isTerminal });
  const [dialog, setDialog] = useState<FollowUp | null>(null);

  if (record === undefined) {
    return action.error === undefined ? (
      <Box textAlign="center" padding="xxl">
        <Spinner size="large" /> Loading the action
      </Box>
    ) : (
      <SpaceBetween size="l">
        <Header variant="h1">Action</Header>
        <ProblemAlert
          error={action.error}
          header="The action could not be loaded"
          notFound={
            <>
              There is no action <code>{id}</code>, or your sign-in may not read its category. Find it in the <AppLink href="/actions">action history</AppLink>.
            </>
          }
        />
      </SpaceBetween>
    );
  }

  const definition = types.data?.find((type) => type.type === record.type);
  const undoTypes = new Set((types.data ?? []).flatMap((type) => (type.undoType === null ? [] : [type.undoType])));
  const refusal = execRefusal(session.scopes, record.category);
  const canReexecute = types.data !== undefined && !undoTypes.has(record.type) && isTerminal(record);
  // The drift is what the undo found changed since the action: in the undo's result.
  const drift = record.undoOf === null ? driftOf(undo.data?.result) : driftOf(record.result);

  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={definition === undefined ? `Action ${record.id}` : `${definition.title}. Action ${record.id}`}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            {record.undo.available ? (
              <Button
                disabled={refusal !== null}
                {...(refusal === null ? {} : { disabledReason: refusal })}
                onClick={() => {
                  setDialog('undo');
                }}
              >
                Undo
              </Button>
            ) : null}
            {canReexecute ? (
              <Button
                disabled={refusal !== null}
                {...(refusal === null ? {} : { disabledReason: refusal })}
                onClick={() => {
                  setDialog('reexecute');
                }}
              >
                Re-execute
              </Button>
            ) : null}
          </SpaceBetween>
        }
      >
        {record.type}
      </Header>
      <div role="status" aria-label="Action status" aria-live="polite">
        <Box variant="h2" tagOverride="p">
          <StatusText status={record.status} />
        </Box>
      </div>
      <ProblemAlert error={action.error} header="The latest refresh failed" />
      {record.error === null ? null : (
        <Alert type="error" header={`Error: ${record.error.code}`}>
          {record.error.message}
        </Alert>
      )}
      <WarningsView warnings={record.warnings} />
      <Container header={<Header variant="h2">Details</Header>}>
        <KeyValuePairs
          columns={3}
          items={[
            { label: 'Status', value: <StatusText status={record.status} /> },
            { label: 'Resource', value: <AppLink href={resourcePath(record.resource.key)}>{record.resource.key}</AppLink> },
            { label: 'Resource kind', value: record.resource.kind },
            { label: 'Created by', value: record.createdBy },
            { label: 'Trigger', value: triggerText(record.trigger) },
            { label: 'Reason', value: record.reason ?? '—' },
            { label: 'Created', value: <Time value={record.createdAt} /> },
            { label: 'Updated', value: <Time value={record.updatedAt} /> },
            { label: 'Category and executor', value: `${record.category}, ${record.executor}` },
            { label: 'Playbook run', value: record.playbookRunId === null ? '—' : <AppLink href={playbookRunPath(record.playbookRunId)}>{record.playbookRunId}</AppLink> },
            { label: 'Undo of', value: actionLink(record.undoOf) },
            { label: 'Re-execution of', value: actionLink(record.reexecuteOf) },
            { label: 'Undo', value: undoText(record) },
            { label: 'Undone by', value: actionLink(record.undo.actionId) },
            ...(record.trigger?.findingId === null || record.trigger === null ? [] : [{ label: 'Finding', value: `${record.trigger.findingId}${record.trigger.findingType === null ? '' : ` (${record.trigger.findingType})`}` }]),
          ]}
        />
      </Container>
      <Table
        header={<Header variant="h2">Status timeline</Header>}
        ariaLabels={{ tableLabel: 'Status timeline' }}
        items={[...record.statusHistory]}
        trackBy={(change) => `${change.status}|${change.at}`}
        wrapLines
        columnDefinitions={[
          { id: 'status', header: 'Status', cell: (change) => <StatusText status={change.status} /> },
          { id: 'at', header: 'At', cell: (change) => <Time value={change.at} /> },
          { id: 'detail', header: 'Detail', cell: (change) => change.detail ?? '—' },
        ]}
        footer={isTerminal(record) ? undefined : <Box color="text-status-inactive">Refreshed every 5 seconds until the action ends.</Box>}
      />
      <Container header={<Header variant="h2" description="What was there before, exactly what this action changed, and what its undo found changed since.">State</Header>}>
        <ColumnLayout columns={3} variant="text-grid">
          <SpaceBetween size="xs">
            <Box variant="h3">Prior</Box>
            <JsonView value={record.prior} label="Prior state" />
          </SpaceBetween>
          <SpaceBetween size="xs">
            <Box variant="h3">Applied</Box>
            <JsonView value={record.applied} label="Applied changes" />
          </SpaceBetween>
          <SpaceBetween size="xs">
            <Box variant="h3">Drift</Box>
            {undo.error === undefined ? null : <ProblemAlert error={undo.error} header="The undo could not be loaded" />}
            {drift === undefined ? <Box color="text-status-inactive">{driftNote(record, undo.data)}</Box> : <JsonView value={drift} label="Drift found by the undo" />}
          </SpaceBetween>
        </ColumnLayout>
      </Container>
      <ColumnLayout columns={2}>
        <Container header={<Header variant="h2">Inputs</Header>}>
          <JsonView value={record.inputs} label="Inputs" />
        </Container>
        <Container header={<Header variant="h2">Result</Header>}>
          <JsonView value={record.result} label="Result" />
        </Container>
      </ColumnLayout>
      <EvidenceTable actionId={record.id} status={record.status} gathersEvidence={definition?.effect === 'evidence'} />
      {dialog === null ? null : (
        <PlannedActionDialog
          followUp={dialog}
          record={record}
          onClose={() => {
            setDialog(null);
          }}
        />
      )}
    </SpaceBetween>
  );
}

function actionLink(id: string | null) {
  return id === null ? '—' : <AppLink href={actionPath(id)}>{id}</AppLink>;
}

function undoText(record: ActionRecord): string {
  if (record.undo.type === null) return 'None: this type has no undo';
  if (record.undo.available) return `Available (${record.undo.type})`;
  return record.undo.actionId === null ? `Not available (${record.undo.type})` : `Done or in progress (${record.undo.type})`;
}

/** `result.drift`, when the result is an object that has one. */
function driftOf(result: JsonValue | null | undefined): JsonValue | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return undefined;
  return result['drift'];
}

function driftNote(record: ActionRecord, undo: ActionRecord | undefined): string {
  if (record.undoOf !== null) return isTerminal(record) ? 'This undo reported no drift.' : 'Reported when this undo runs.';
  if (record.undo.actionId === null) return 'Reported by the undo, once there is one.';
  if (undo === undefined) return 'Loading the undo…';
  return isTerminal(undo) ? 'The undo reported no drift.' : 'Reported when the undo runs.';
}
