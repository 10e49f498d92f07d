import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import Table from '@cloudscape-design/components/table';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useApi, useApiGet } from '../../api/hooks.ts';
import type { ActionType, PlaybookRun } from '../../api/types.ts';
import { useSession } from '../../auth/session.ts';
import { ConfirmDialog } from '../../components/confirm.tsx';
import { JsonView } from '../../components/json.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { StatusText } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { ReasonField } from '../run/execution.tsx';
import { isFinished, runRefusal } from './shared.ts';
import { AppLink } from '../../components/app-link.tsx';
import { actionPath, approvalPath, playbookPath, playbookRunPath } from '../paths.ts';

type RunStep = PlaybookRun['steps'][number];

/** `/playbook-runs/:id`: one run, followed (at most every 5 s) until it ends; its steps, their actions, and its undo. */
export function PlaybookRunPage() {
  const { id = '' } = useParams();
  // A new run (after Undo) is a new page: nothing of the previous run is shown while it loads.
  return <RunView key={id} id={id} />;
}

function RunView({ id }: { readonly id: string }) {
  const run = useApiGet<PlaybookRun>(`/v1/playbook-runs/${encodeURIComponent(id)}`, undefined, { refreshMs: 5000, until: (data) => isFinished(data.status) });
  const catalogue = useApiGet<ActionType[]>('/v1/action-types');
  const [undoing, setUndoing] = useState(false);
  const data = run.data;
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={id}
        actions={data?.undo.available === true ? <UndoButton run={data} catalogue={catalogue.data} onOpen={() => { setUndoing(true); }} /> : undefined}
      >
        Playbook run
      </Header>
      <ProblemAlert
        error={run.error}
        header="The run could not be read"
        notFound={
          <>
            There is no playbook run <code>{id}</code>, or your sign-in may not read it. Find it among the <AppLink href="/playbook-runs">playbook runs</AppLink>.
          </>
        }
      />
      {data === undefined ? (
        run.loading ? <Spinner size="large" /> : null
      ) : (
        // Its own SpaceBetween: a fragment counts as one child, so the containers would touch.
        <SpaceBetween size="l">
          {data.error === null ? null : (
            <Alert type="error" header={`The run ended in Error: ${data.error.code}`}>
              {data.error.message}
            </Alert>
          )}
          <Container header={<Header variant="h2">Run</Header>}>
            <KeyValuePairs
              columns={3}
              items={[
                { label: 'Playbook', value: <AppLink href={playbookPath(data.playbook)}>{data.playbook}</AppLink> },
                { label: 'Status', value: <StatusText status={data.status} /> },
                { label: 'Created by', value: data.createdBy },
                { label: 'Created', value: <Time value={data.createdAt} /> },
                { label: 'Updated', value: <Time value={data.updatedAt} /> },
                { label: 'Deadline', value: <Time value={data.deadline} /> },
                { label: 'Reason', value: data.reason ?? 'none' },
                { label: 'Undoes', value: data.undoOf === null ? '—' : <AppLink href={playbookRunPath(data.undoOf)}>{data.undoOf}</AppLink> },
                {
                  label: 'Undone by',
                  value: data.undo.runId === null ? (data.undo.available ? 'not yet: Undo is available' : '—') : <AppLink href={playbookRunPath(data.undo.runId)}>{data.undo.runId}</AppLink>,
                },
              ]}
            />
          </Container>
          <Table
            header={<Header variant="h2" description={isFinished(data.status) ? undefined : 'Refreshed every 5 seconds until the run ends.'}>Steps</Header>}
            items={[...data.steps]}
            trackBy="id"
            wrapLines
            ariaLabels={{ tableLabel: 'Steps' }}
            columnDefinitions={[
              { id: 'id', header: 'Step', cell: (step) => step.id },
              { id: 'type', header: 'Action type', minWidth: 200, cell: (step) => <code>{step.type}</code> },
              { id: 'phase', header: 'Phase', cell: (step) => step.phase },
              { id: 'status', header: 'Status', minWidth: 140, cell: (step) => <StatusText status={step.status} /> },
              {
                id: 'action',
                header: 'Action',
                cell: (step) => (step.actionId === null ? '—' : <AppLink href={actionPath(step.actionId)} ariaLabel={`${step.actionId}: action of step ${step.id}`}>{step.actionId}</AppLink>),
              },
              { id: 'detail', header: 'Why', cell: (step) => <StepDetail step={step} /> },
            ]}
          />
          <Container header={<Header variant="h2">Inputs</Header>}>
            <JsonView value={data.inputs} label="Run inputs" />
          </Container>
          {data.trigger === null ? null : (
            <Container header={<Header variant="h2">Trigger</Header>}>
              <JsonView value={{ ...data.trigger }} label="Trigger" />
            </Container>
          )}
          <UndoDialog run={data} catalogue={catalogue.data} visible={undoing} onClose={() => { setUndoing(false); }} />
        </SpaceBetween>
      )}
    </SpaceBetween>
  );
}

function StepDetail({ step }: { readonly step: RunStep }) {
  if (step.error !== null) return <Box color="text-status-error">{`${step.error.code}: ${step.error.message}`}</Box>;
  if (step.skipReason !== null) return <Box>{step.skipReason}</Box>;
  return <Box color="text-status-inactive">{step.continueOnError ? 'continues on error' : '—'}</Box>;
}

function UndoButton({ run, catalogue, onOpen }: { readonly run: PlaybookRun; readonly catalogue: readonly ActionType[] | undefined; readonly onOpen: () => void }) {
  const session = useSession();
  const refusal = runRefusal(
    run.steps.map((step) => step.type),
    catalogue,
    session.scopes,
  );
  return (
    <SpaceBetween direction="horizontal" size="xs" alignItems="center">
      {refusal === null ? null : <Box color="text-body-secondary">{refusal}</Box>}
      <Button onClick={onOpen} disabled={refusal !== null} disabledReason={refusal ?? undefined}>
        Undo
      </Button>
    </SpaceBetween>
  );
}

/** The containment steps an undo reverses: Completed, with an undo type, last first (API.md). */
function stepsToUndo(run: PlaybookRun, catalogue: readonly ActionType[] | undefined): RunStep[] {
  return run.steps
    .filter((step) => step.phase === 'containment' && step.status === 'Completed' && (catalogue?.find((type) => type.type === step.type)?.undoType ?? null) !== null)
    .reverse();
}

function UndoDialog({ run, catalogue, visible, onClose }: { readonly run: PlaybookRun; readonly catalogue: readonly ActionType[] | undefined; readonly visible: boolean; readonly onClose: () => void }) {
  const api = useApi();
  const navigate = useNavigate();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const undone = stepsToUndo(run, catalogue);
  const kept = run.steps.filter((step) => step.phase === 'evidence' && step.status === 'Completed');

  const confirm = (): void => {
    setBusy(true);
    setError(undefined);
    api.create<PlaybookRun>(`/v1/playbook-runs/${encodeURIComponent(run.id)}/undo`, reason.trim() === '' ? {} : { reason: reason.trim() }).then(
      (created) => {
        setBusy(false);
        onClose();
        void navigate(created.kind === 'approval' ? approvalPath(created.approval.id) : playbookRunPath(created.value.id));
      },
      (failure: unknown) => {
        setBusy(false);
        setError(failure instanceof Error ? failure : new Error(String(failure)));
      },
    );
  };

  return (
    <ConfirmDialog visible={visible} header={`Undo this ${run.playbook} run?`} canConfirm={!busy && undone.length > 0} busy={busy} onConfirm={confirm} onCancel={onClose}>
      <SpaceBetween size="m">
        <ProblemAlert error={error} />
        <Box>A new run undoes these containment steps, in this order (the last one first):</Box>
        {undone.length === 0 ? (
          <Box>No Completed containment step with an undo.</Box>
        ) : (
          <ol aria-label="Steps to undo">
            {undone.map((step) => (
              <li key={step.id}>
                {step.id}: <code>{catalogue?.find((type) => type.type === step.type)?.undoType ?? 'undo'}</code> undoes <code>{step.type}</code>
                {step.actionId === null ? null : <> (action {step.actionId})</>}
              </li>
            ))}
          </ol>
        )}
        <Alert type="info" header="Evidence is kept">
          {kept.length === 0
            ? 'The undo never deletes evidence: an evidence step’s undo only ever runs on its own.'
            : `The undo never deletes evidence: ${kept.map((step) => `${step.id} (${step.type})`).join(', ')} stay${kept.length === 1 ? 's' : ''} as gathered.`}
        </Alert>
        <ReasonField description="Recorded with the undo run." value={reason} onChange={setReason} />
      </SpaceBetween>
    </ConfirmDialog>
  );
}
