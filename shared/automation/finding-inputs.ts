/**
 * The inputs a rule's action gets from a finding (API.md "Findings in"): the first resource the
 * finding names whose inputs the action can take, only the inputs the action accepts, the rule's
 * own inputs on top, all checked by the catalogue exactly as a create is. A finding that gives the
 * action nothing it can act on is `unmapped`, with a reason saying what is missing.
 */
import { findActionType, inputNamesOf } from '#shared/catalogue/catalogue.ts';
import { quote, validateActionRequest } from '#shared/catalogue/validate.ts';
import type { ValidActionRequest } from '#shared/catalogue/validate.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import type { FindingResource, NormalisedFinding } from '#shared/findings/types.ts';
import type { RuleRun } from './types.ts';

export type MappedInputs =
  | {
      readonly ok: true;
      /** The finding's resource the inputs came from; null when the rule's inputs alone name the target. */
      readonly source: FindingResource | null;
      /** What the action acts on, as the catalogue names it from the final inputs, with those inputs. */
      readonly target: FindingResource;
      readonly request: ValidActionRequest;
    }
  | { readonly ok: false; readonly reason: string };

/** At most this many field problems per resource in a reason; the rest add nothing a person needs. */
const maxProblems = 3;

/** What a finding lacks or gets wrong, as a reason says it (the `inputs.` prefix dropped). */
export function describeProblems(errors: readonly FieldError[]): string {
  // A playbook's schema says whose input it is (`is required by playbook ...`); either way the rule may supply it.
  const isMissing = (error: FieldError) => /^is required\b/.test(error.message);
  const missing = errors.filter(isMissing).map((error) => error.path.replace(/^inputs\./, ''));
  const others = errors.filter((error) => !isMissing(error)).map((error) => `${error.path.replace(/^inputs\./, '')} ${error.message}`);
  const parts = [
    ...(missing.length === 0 ? [] : [`lacks ${missing.slice(0, maxProblems).join(', ')} (the rule may supply ${missing.length === 1 ? 'it' : 'them'} in run.inputs)`]),
    ...others.slice(0, maxProblems),
  ];
  return parts.join('; ');
}

/**
 * Maps a finding to the inputs of `run.action`. Tries each resource the finding names, most
 * specific first; the first whose inputs (with the rule's on top) the catalogue accepts wins.
 */
export function inputsForAction(run: Extract<RuleRun, { action: string }>, finding: NormalisedFinding, now: Date): MappedInputs {
  const definition = findActionType(run.action);
  // Rules are validated against the catalogue at load; an unknown type here is a defect.
  if (definition === undefined) throw new RangeError(`rule action ${run.action} is not in the catalogue`);
  const accepted = new Set(inputNamesOf(definition));
  const overrides = run.inputs ?? {};
  const candidates: readonly (FindingResource | null)[] = finding.resources.length === 0 ? [null] : finding.resources;
  const problems: string[] = [];
  for (const candidate of candidates) {
    // Only inputs the action takes: a pod's names riding on a container's inputs are not a host action's.
    const picked = Object.fromEntries(Object.entries(candidate?.inputs ?? {}).filter(([name]) => accepted.has(name)));
    const validation = validateActionRequest({ type: definition.type, inputs: { ...picked, ...overrides } }, { now });
    if (validation.ok) {
      const [primary] = validation.resources;
      return { ok: true, source: candidate, target: { key: primary.key, kind: primary.kind, inputs: flatInputs(validation.inputs) }, request: validation };
    }
    if (candidate !== null) problems.push(`${candidate.kind} ${quote(candidate.key)} ${describeProblems(validation.errors)}`);
    else if (run.inputs !== undefined) problems.push(`the rule's inputs alone: ${describeProblems(validation.errors)}`);
  }
  if (finding.resources.length === 0) {
    const alone = problems.length === 0 ? '' : `; ${problems.join('; ')}`;
    return { ok: false, reason: `${definition.type} has nothing to act on: ${finding.unmappedReason ?? 'the finding names no resource'}${alone}` };
  }
  return { ok: false, reason: `${definition.type} cannot act on what the finding names: ${problems.join('; ')}` };
}

/** The validated inputs as a FindingResource carries them (the catalogue's inputs are flat strings and numbers). */
export function flatInputs(inputs: Readonly<Record<string, unknown>>): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(inputs).flatMap(([name, value]) => (typeof value === 'string' || typeof value === 'number' ? [[name, value]] : [])),
  );
}
