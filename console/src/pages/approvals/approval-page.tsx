import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import Textarea from '@cloudscape-design/components/textarea';
import { useState } from 'react';
import { useParams } from 'react-router';
import { useApi, useApiGet } from '../../api/hooks.ts';
import type { ActionType, Approval, Category } from '../../api/types.ts';
import { useSession, type Session } from '../../auth/session.ts';
import { execRefusal } from '../../auth/scopes.ts';
import { ConfirmDialog } from '../../components/confirm.tsx';
import { JsonView } from '../../components/json.tsx';
import { isPlaybookPlan, PlanView, PlaybookPlanView } from '../../components/plan.tsx';
import { ProblemAlert } from '../../components/problem.tsx';
import { StatusText } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { requestName } from './describe.ts';
import { AppLink } from '../../components/app-link.tsx';
import { Wrapped } from '../../components/wrapped.tsx';
import { actionPath, eventsPath, playbookRunPath } from '../paths.ts';

type Decision = 'approve' | 'reject';

/** The service's limit on a decision's reason (API.md: `{ "reason"? }`). */
const maxReasonLength = 1000;

/**
 * The categories whose exec scope deciding needs: the approval's, and for a playbook every
 * step's (the service checks each, as starting the run would).
 */
function categoriesToDecide(approval: Approval, catalogue: readonly ActionType[] | undefined): Category[] {
  const categoryOf = (type: string | undefined): Category | undefined => catalogue?.find((definition) => definition.type === type)?.category;
  const own = approval.category ?? categoryOf(approval.request.type);
  const steps = approval.plan !== null && isPlaybookPlan(approval.plan) ? approval.plan.steps.map((step) => categoryOf(step.type)) : [];
  return [...new Set([own, ...steps].filter((category): category is Category => category !== undefined))];
}

/** Why this person may not decide this approval now, or null when they may. */
function decisionRefusal(approval: Approval, session: Session, categories: readonly Category[]): string | null {
  if (approval.status !== 'pending') {
    const by = approval.decidedBy === null ? '' : ` by ${approval.decidedBy}`;
    return approval.status === 'expired' ? `It expired at ${approval.expiresAt} without a decision; ask for the action again.` : `It was ${approval.status}${by} already: an approval is decided once.`;
  }
  for (const category of categories) {
    const refusal = execRefusal(session.scopes, category);
    if (refusal !== null) return refusal;
  }
  if (approval.requestedBy === session.sub) return 'You asked for this: a second person must decide.';
  return null;
}

/** `/approvals/{id}`: what was asked, by whom and why, its plan, and the `Approve` and `Reject` buttons. */
export function ApprovalPage() {
  const { id = '' } = useParams();
  const session = useSession();
  const { data: approval, error, loading, reload } = useApiGet<Approval>(`/v1/approvals/${encodeURIComponent(id)}`, undefined, {
    // Whoever asked waits here for a second person: followed until decided (or expired), at most every 5 s.
    refreshMs: 5000,
    until: (current) => current.status !== 'pending',
  });
  const { data: catalogue } = useApiGet<ActionType[]>('/v1/action-types');
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const [decided, setDecided] = useState<Approval | null>(null);

  if (approval === undefined) {
    return (
      <SpaceBetween size="l">
        <Header variant="h1">Approval</Header>
        {loading ? (
          <Spinner size="large" />
        ) : (
          <ProblemAlert
            error={error}
            header="The approval could not be loaded"
            notFound={
              <>
                There is no approval <code>{id}</code>, or your sign-in may not read it. Find it among the <AppLink href="/approvals?status=all">approvals</AppLink>.
              </>
            }
          />
        )}
      </SpaceBetween>
    );
  }

  const refusal = decisionRefusal(approval, session, categoriesToDecide(approval, catalogue));
  const trigger = approval.trigger;
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={approval.status === 'pending' ? `Approval ${approval.id}. Refreshed every 5 seconds until decided.` : `Approval ${approval.id}`}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button onClick={() => { setDeciding('reject'); }} disabled={refusal !== null} {...(refusal === null ? {} : { disabledReason: refusal })}>
              Reject
            </Button>
            <Button variant="primary" onClick={() => { setDeciding('approve'); }} disabled={refusal !== null} {...(refusal === null ? {} : { disabledReason: refusal })}>
              Approve
            </Button>
          </SpaceBetween>
        }
      >
        Approval: {requestName(approval)}
      </Header>
      <ProblemAlert error={error} header="The approval could not be refreshed" />
      {decided === null ? null : <DecidedAlert approval={decided} />}
      {refusal === null || approval.status !== 'pending' ? null : (
        <Alert type="info" header="You cannot decide this approval">
          {refusal}
        </Alert>
      )}

      <Container header={<Header variant="h2">Request</Header>}>
        <SpaceBetween size="m">
          <KeyValuePairs
            columns={3}
            items={[
              { label: 'Status', value: <StatusText status={approval.status} /> },
              { label: approval.request.playbook === undefined ? 'Action type' : 'Playbook', value: approval.request.playbook ?? approval.request.type ?? '—' },
              { label: 'Category', value: approval.category ?? '—' },
              { label: 'Requested by', value: approval.requestedBy },
              { label: 'Created', value: <Time value={approval.createdAt} /> },
              { label: 'Expires', value: <Time value={approval.expiresAt} /> },
            ]}
          />
          <KeyValuePairs
            items={[
              // A rule's reason quotes the finding's fields: text only.
              { label: 'Reason', value: <Wrapped>{approval.request.reason ?? '—'}</Wrapped> },
              { label: 'Inputs', value: <JsonView value={approval.request.inputs} label="Inputs" /> },
            ]}
          />
        </SpaceBetween>
      </Container>

      <Container header={<Header variant="h2">Trigger</Header>}>
        {trigger === null || trigger.source === 'person' ? (
          <Box>Asked for by {approval.requestedBy}, on a target that needs a second person&apos;s approval.</Box>
        ) : (
          <KeyValuePairs
            columns={3}
            items={[
              { label: 'Source', value: trigger.source },
              {
                label: 'Rule',
                value: trigger.ruleId === null ? '—' : <AppLink href={eventsPath({ ruleId: trigger.ruleId })} ariaLabel={`Decisions of rule ${trigger.ruleId}`}>{trigger.ruleId}</AppLink>,
              },
              { label: 'Finding type', value: <Wrapped>{trigger.findingType ?? '—'}</Wrapped> },
              {
                label: 'Finding id',
                value: trigger.findingId === null ? '—' : <AppLink href={eventsPath({ findingId: trigger.findingId })} ariaLabel={`Decisions on finding ${trigger.findingId}`}>{trigger.findingId}</AppLink>,
              },
              { label: 'Event id', value: trigger.eventId ?? '—' },
            ]}
          />
        )}
      </Container>

      {approval.status === 'pending' ? null : (
        <Container header={<Header variant="h2">Decision</Header>}>
          <KeyValuePairs
            columns={3}
            items={[
              { label: 'Decided by', value: approval.decidedBy ?? '—' },
              { label: 'Decided at', value: <Time value={approval.decidedAt} /> },
              { label: 'Reason', value: <Wrapped>{approval.decisionReason ?? '—'}</Wrapped> },
              { label: 'Created', value: <CreatedLinks approval={approval} /> },
            ]}
          />
        </Container>
      )}

      <Container header={<Header variant="h2" description="What approving would do, as planned when the request was made.">Plan</Header>}>
        {approval.plan === null ? <Box>No plan was recorded for this request.</Box> : isPlaybookPlan(approval.plan) ? <PlaybookPlanView plan={approval.plan} /> : <PlanView plan={approval.plan} />}
      </Container>

      {deciding === null ? null : (
        <DecideDialog
          approval={approval}
          decision={deciding}
          onCancel={() => { setDeciding(null); }}
          onDecided={(answer) => {
            setDeciding(null);
            setDecided(answer);
            reload();
          }}
        />
      )}
    </SpaceBetween>
  );
}

/** The action(s) or playbook run approving created. */
function CreatedLinks({ approval }: { readonly approval: Approval }) {
  if (approval.playbookRunId !== null) {
    return <AppLink href={playbookRunPath(approval.playbookRunId)}>{`Playbook run ${approval.playbookRunId}`}</AppLink>;
  }
  if (approval.actionIds.length === 0) return <span>nothing</span>;
  return (
    <SpaceBetween size="xxxs">
      {approval.actionIds.map((actionId) => (
        <AppLink key={actionId} href={actionPath(actionId)}>{`Action ${actionId}`}</AppLink>
      ))}
    </SpaceBetween>
  );
}

function DecidedAlert({ approval }: { readonly approval: Approval }) {
  if (approval.status === 'rejected') {
    return (
      <Alert type="success" header="Rejected">
        Nothing was run.
      </Alert>
    );
  }
  return (
    <Alert type="success" header="Approved">
      <SpaceBetween size="xxs">
        <span>The request runs now with you as its approver. Follow it here:</span>
        <CreatedLinks approval={approval} />
      </SpaceBetween>
    </Alert>
  );
}

/** The confirmation of a decision, with its optional reason; the service's refusal stays in the dialog. */
function DecideDialog({ approval, decision, onCancel, onDecided }: { readonly approval: Approval; readonly decision: Decision; readonly onCancel: () => void; readonly onDecided: (approval: Approval) => void }) {
  const api = useApi();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Error | undefined>(undefined);
  const tooLong = reason.length > maxReasonLength;

  const confirm = (): void => {
    setBusy(true);
    setFailure(undefined);
    const body = reason.trim() === '' ? {} : { reason: reason.trim() };
    api.post<Approval>(`/v1/approvals/${encodeURIComponent(approval.id)}/${decision}`, body).then(
      (answer) => {
        onDecided(answer.body);
      },
      (error: unknown) => {
        setBusy(false);
        setFailure(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };

  return (
    <ConfirmDialog
      visible
      header={decision === 'approve' ? `Approve ${requestName(approval)}?` : `Reject ${requestName(approval)}?`}
      canConfirm={!busy && !tooLong}
      busy={busy}
      onConfirm={confirm}
      onCancel={onCancel}
    >
      <SpaceBetween size="m">
        <Box>
          {decision === 'approve'
            ? `Approving runs the request now, on behalf of ${approval.requestedBy}, with you recorded as its approver (trigger.approvedBy).`
            : 'Rejecting runs nothing; the approval is closed with you recorded as its decider.'}
        </Box>
        <FormField label="Reason for the decision (optional)" description="Kept with the decision." errorText={tooLong ? `At most ${maxReasonLength} characters.` : undefined}>
          <Textarea value={reason} onChange={({ detail }) => { setReason(detail.value); }} rows={2} />
        </FormField>
        <ProblemAlert error={failure} header={decision === 'approve' ? 'Not approved' : 'Not rejected'} />
      </SpaceBetween>
    </ConfirmDialog>
  );
}
