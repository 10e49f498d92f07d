import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import Textarea from '@cloudscape-design/components/textarea';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiProblem } from '../../api/client.ts';
import { useApi } from '../../api/hooks.ts';
import type { ActionRecord, Plan } from '../../api/types.ts';
import { ConfirmDialog } from '../../components/confirm.tsx';
import { PlanView } from '../../components/plan.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { actionPath, approvalPath } from '../paths.ts';

/** What a person can start from an action's page: its undo, or the same action again. */
export type FollowUp = 'undo' | 'reexecute';

/**
 * The confirmation of an undo or a re-execution: it asks the service for the plan first
 * (`POST /v1/actions/{id}/undo?dryRun=true`, `/reexecute?dryRun=true`), shows exactly what
 * will change, and creates only on `Confirm`, with one Idempotency-Key per opening so a
 * double click or a retry after a lost answer starts one action, not two.
 */
export function PlannedActionDialog({ followUp, record, onClose }: { readonly followUp: FollowUp; readonly record: ActionRecord; readonly onClose: () => void }) {
  const api = useApi();
  const navigate = useNavigate();
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const [plan, setPlan] = useState<Plan | undefined>(undefined);
  const [planError, setPlanError] = useState<Error | undefined>(undefined);
  const [createError, setCreateError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState('');
  const path = `/v1/actions/${encodeURIComponent(record.id)}/${followUp}`;

  useEffect(() => {
    let cancelled = false;
    api.post<{ plan?: Plan }>(path, {}, { query: { dryRun: true } }).then(
      (answer) => {
        if (cancelled) return;
        // Only a 200 with a plan is a plan; anything else is said, never confirmed blindly.
        if (answer.status !== 200 || answer.body.plan === undefined) {
          setPlanError(new ApiProblem(answer.status, 'No plan', `The service answered ${answer.status} without a plan, so what would change cannot be shown.`));
        } else setPlan(answer.body.plan);
      },
      (error: unknown) => {
        if (!cancelled) setPlanError(error instanceof Error ? error : new Error(String(error)));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, path]);

  const confirm = (): void => {
    setBusy(true);
    setCreateError(undefined);
    const body = followUp === 'undo' && reason.trim() !== '' ? { reason: reason.trim() } : {};
    api.create<ActionRecord>(path, body, { idempotencyKey }).then(
      (created) => {
        if (created.kind === 'created') {
          void navigate(actionPath(created.value.id));
        } else {
          void navigate(approvalPath(created.approval.id), {
            state: { flash: { type: 'info', content: `A second person must approve this ${followUp === 'undo' ? 'undo' : 're-execution'} before it runs.` } },
          });
        }
      },
      (error: unknown) => {
        setBusy(false);
        setCreateError(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };

  const what =
    followUp === 'undo'
      ? `Undo the ${record.type} action on ${record.resource.key}: a new ${record.undo.type ?? 'undo'} action puts back the state this action recorded before it changed anything.`
      : `Run ${record.type} again on ${record.resource.key}, with the same inputs, as a new action.`;

  return (
    <ConfirmDialog
      visible
      header={followUp === 'undo' ? `Undo ${record.type}?` : `Re-execute ${record.type}?`}
      canConfirm={plan?.allowed === true && !busy}
      busy={busy}
      onConfirm={confirm}
      onCancel={onClose}
    >
      <SpaceBetween size="m">
        <Box variant="p">{what}</Box>
        {plan === undefined && planError === undefined ? (
          <Box>
            <Spinner /> Planning: reading the resource's current state…
          </Box>
        ) : null}
        <ProblemAlert error={planError} header="The plan could not be made" />
        {plan === undefined ? null : <PlanView plan={plan} {...(followUp === 'undo' ? { reverses: record.type } : {})} />}
        {followUp === 'undo' ? (
          <FormField label="Reason (optional)" description="Recorded with the undo action.">
            <Textarea
              value={reason}
              rows={2}
              onChange={({ detail }) => {
                setReason(detail.value);
              }}
            />
          </FormField>
        ) : null}
        <ProblemAlert error={createError} header={followUp === 'undo' ? 'The undo was not started' : 'The re-execution was not started'} />
      </SpaceBetween>
    </ConfirmDialog>
  );
}
