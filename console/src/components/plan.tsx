import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import type { ActionWarning, Plan, PlaybookPlan } from '../api/types.ts';
import { JsonView } from './json.tsx';

/** A caution the action would be (or was) recorded with, such as `NoEvidenceFirst`. */
export function WarningsView({ warnings }: { readonly warnings: readonly ActionWarning[] | undefined }) {
  if (warnings === undefined || warnings.length === 0) return null;
  return (
    <SpaceBetween size="xs">
      {warnings.map((warning) => (
        <Alert key={`${warning.code}:${warning.message}`} type="warning" header={warning.code === 'NoEvidenceFirst' ? 'No evidence gathered first' : warning.code}>
          {warning.message}
          {warning.evidenceTypes !== undefined && warning.evidenceTypes.length > 0 ? ` Gather first with: ${warning.evidenceTypes.join(', ')}.` : ''}
        </Alert>
      ))}
    </SpaceBetween>
  );
}

/**
 * What an action would do (API.md "Plans"): refused or allowed, each change, the state captured now, and what undo restores.
 * `reverses` names the action an undo plan puts back, so "no undo" does not read as irreversible.
 */
export function PlanView({ plan, reverses }: { readonly plan: Plan; readonly reverses?: string }) {
  return (
    <SpaceBetween size="s">
      {plan.allowed ? null : (
        <Alert type="error" header={`Refused: ${plan.refusal?.code ?? 'not allowed'}`}>
          {plan.refusal?.message ?? 'A guard refuses this target.'}
        </Alert>
      )}
      <WarningsView warnings={plan.warnings} />
      <Box>
        <strong>{plan.type}</strong> on <code>{plan.resource.key}</code>
      </Box>
      <Table
        variant="embedded"
        wrapLines
        ariaLabels={{ tableLabel: 'Planned changes' }}
        header={<Box variant="h4">What will change</Box>}
        items={[...plan.changes]}
        trackBy={(change) => `${change.call}|${change.target}|${change.detail}`}
        empty={<Box>{plan.allowed ? 'No change: the resource is already in that state.' : 'Nothing: the action is refused.'}</Box>}
        columnDefinitions={[
          { id: 'call', header: 'Call', minWidth: 190, cell: (change) => <code>{change.call}</code> },
          { id: 'target', header: 'Target', minWidth: 200, cell: (change) => <code>{change.target}</code> },
          { id: 'detail', header: 'Detail', cell: (change) => <span className="ra-break-anywhere">{change.detail}</span> },
        ]}
      />
      <Box>{undoText(plan, reverses)}</Box>
      {plan.prior === null ? null : (
        <ExpandableSection headerText="State captured now">
          <JsonView value={plan.prior} label="State captured now" />
        </ExpandableSection>
      )}
    </SpaceBetween>
  );
}

function undoText(plan: Plan, reverses: string | undefined): string {
  if (plan.undo !== null) return `Undo (${plan.undo.type}) restores: ${plan.undo.restores}`;
  // An undo has no undo of its own; applying the original again is a re-execute of it.
  if (reverses !== undefined) return `This undo has no undo of its own: to apply ${reverses} again, re-execute the original action.`;
  return 'No undo: this cannot be reversed by the service.';
}

/** Every step's plan of a playbook run (a step that cannot be planned yet says why). */
export function PlaybookPlanView({ plan }: { readonly plan: PlaybookPlan }) {
  return (
    <SpaceBetween size="m">
      {plan.steps.map((step, index) => (
        <ExpandableSection
          key={step.id}
          defaultExpanded
          variant="container"
          headerText={`${index + 1}. ${step.id}: ${step.type} (${step.phase})`}
        >
          {step.plan === null ? <Box>{step.note ?? 'Planned when the run reaches it.'}</Box> : <PlanView plan={step.plan} />}
        </ExpandableSection>
      ))}
    </SpaceBetween>
  );
}

export function isPlaybookPlan(plan: Plan | PlaybookPlan): plan is PlaybookPlan {
  return 'steps' in plan;
}
