/**
 * The inputs a rule's playbook gets from a finding: exactly as an action's (finding-inputs.ts),
 * but picked by the playbook's input names (catalogue input names), the rule's own on top, checked
 * by the playbook's input schema; then every step the run inputs alone resolve is checked by the
 * catalogue, so each target the run would touch at its start is known before anything is decided.
 */
import { actionTypes, inputNamesOf } from '#shared/catalogue/catalogue.ts';
import { quote, validateActionRequest } from '#shared/catalogue/validate.ts';
import type { ValidActionRequest } from '#shared/catalogue/validate.ts';
import { InvalidInputError } from '#shared/errors.ts';
import type { FindingResource, NormalisedFinding } from '#shared/findings/types.ts';
import type { JsonValue } from '#shared/json.ts';
import { resolveStep, validateRunInputs } from '#shared/playbooks/definitions/index.ts';
import type { EarlierStep, PlaybookDefinition } from '#shared/playbooks/types.ts';
import { describeProblems, flatInputs } from './finding-inputs.ts';
import type { RuleRun } from './types.ts';

/** A step the run inputs resolve, as the catalogue validated it. */
export interface StepAtStart {
  readonly id: string;
  readonly request: ValidActionRequest;
}

export type MappedRun =
  | {
      readonly ok: true;
      /** The finding's resource the inputs came from; null when the rule's inputs alone name the targets. */
      readonly source: FindingResource | null;
      /** The run's inputs, as the playbook's schema output them (defaults applied). */
      readonly inputs: Record<string, JsonValue>;
      /** Every step the run inputs alone resolve (not skipped, needing no earlier result), in order. */
      readonly steps: readonly [StepAtStart, ...StepAtStart[]];
      /** The first resource of each of those steps, once per key: what the exemption tags are read of. */
      readonly targets: readonly FindingResource[];
    }
  | { readonly ok: false; readonly reason: string };

/**
 * The names a finding may fill: catalogue input names. A playbook option (`container.action`,
 * pause or kill) is the rule's to set, never a finding's, however its resource came to carry one.
 */
const catalogueInputNames: ReadonlySet<string> = new Set(actionTypes.flatMap((definition) => inputNamesOf(definition)));

/**
 * Maps a finding to the inputs of `playbook`. Tries each resource the finding names, most specific
 * first; the first whose inputs (with the rule's on top) the playbook and every step resolved at
 * the start accept wins. A run no step of which would start is unmapped: it names no target.
 */
export function inputsForPlaybook(run: Extract<RuleRun, { playbook: string }>, playbook: PlaybookDefinition, finding: NormalisedFinding, now: Date): MappedRun {
  const accepted = new Set(playbook.inputs.map((input) => input.name).filter((name) => catalogueInputNames.has(name)));
  const overrides = run.inputs ?? {};
  const candidates: readonly (FindingResource | null)[] = finding.resources.length === 0 ? [null] : finding.resources;
  const problems: string[] = [];
  for (const candidate of candidates) {
    const picked = Object.fromEntries(Object.entries(candidate?.inputs ?? {}).filter(([name]) => accepted.has(name)));
    const mapped = stepsAtStart(playbook, { ...picked, ...overrides }, now);
    if ('steps' in mapped) {
      const [first, ...rest] = mapped.steps;
      if (first === undefined) {
        problems.push(`${candidate === null ? "the rule's inputs alone" : `${candidate.kind} ${quote(candidate.key)}`}: no step of ${playbook.name} would run on them`);
        continue;
      }
      return { ok: true, source: candidate, inputs: mapped.inputs, steps: [first, ...rest], targets: targetsOf(mapped.steps) };
    }
    if (candidate !== null) problems.push(`${candidate.kind} ${quote(candidate.key)} ${mapped.problem}`);
    else if (run.inputs !== undefined) problems.push(`the rule's inputs alone: ${mapped.problem}`);
  }
  if (finding.resources.length === 0) {
    const alone = problems.length === 0 ? '' : `; ${problems.join('; ')}`;
    return { ok: false, reason: `playbook ${playbook.name} has nothing to act on: ${finding.unmappedReason ?? 'the finding names no resource'}${alone}` };
  }
  return { ok: false, reason: `playbook ${playbook.name} cannot act on what the finding names: ${problems.join('; ')}` };
}

/** The run inputs as the playbook takes them, and the steps they resolve, or what is wrong with them. */
function stepsAtStart(
  playbook: PlaybookDefinition,
  given: Record<string, unknown>,
  now: Date,
): { readonly inputs: Record<string, JsonValue>; readonly steps: StepAtStart[] } | { readonly problem: string } {
  let inputs: Record<string, JsonValue>;
  try {
    inputs = validateRunInputs(playbook, given, now);
  } catch (error) {
    if (error instanceof InvalidInputError) return { problem: describeProblems(error.errors) };
    throw error;
  }
  // Nothing has run: a step needing an earlier one's result resolves as unresolved, and is the engine's to check then.
  const earlier = new Map<string, EarlierStep>(playbook.steps.map((step) => [step.id, { status: 'Pending', result: null }]));
  const steps: StepAtStart[] = [];
  for (const step of playbook.steps) {
    const resolved = resolveStep(step, inputs, earlier, { dryRun: true });
    if (resolved.kind !== 'run') continue;
    const request = validateActionRequest({ type: step.type, inputs: resolved.inputs }, { now });
    if (!request.ok) return { problem: `gives step ${step.id} (${step.type}) what it cannot take: ${describeProblems(request.errors)}` };
    steps.push({ id: step.id, request });
  }
  return { inputs, steps };
}

function targetsOf(steps: readonly StepAtStart[]): FindingResource[] {
  const byKey = new Map<string, FindingResource>();
  for (const { request } of steps) {
    const [primary] = request.resources;
    if (!byKey.has(primary.key)) byKey.set(primary.key, { key: primary.key, kind: primary.kind, inputs: flatInputs(request.inputs) });
  }
  return [...byKey.values()];
}
