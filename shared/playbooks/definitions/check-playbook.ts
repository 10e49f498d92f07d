/**
 * A playbook as written, judged against the catalogue: its types exist and are no undo types, each
 * step input is an input of its type fed from a declared run input or an earlier step, and no step
 * that destroys evidence comes before a step that gathers it. Every problem comes back with its path
 * relative to the playbook, so one start-up attempt lists them all.
 */
import { findActionType, inputNamesOf, isUndoType } from '#shared/catalogue/catalogue.ts';
import { evidenceTypesBefore } from '#shared/catalogue/evidence-first.ts';
import type { Effect } from '#shared/catalogue/types.ts';
import { quote } from '#shared/catalogue/validate.ts';
import type { InputSource, PlaybookDefinition, PlaybookInputDefinition, PlaybookStepDefinition, StepCondition } from '../types.ts';
import type { ConditionAsWritten, InputSourceAsWritten, ParsedPlaybook } from './file-schema.ts';
import { catalogueField, fieldJsonSchema, isArnField, isRequiredField, runInputField } from './input-fields.ts';

export type Path = readonly (string | number)[];
export interface PlaybookProblem {
  readonly path: Path;
  readonly message: string;
}

type ParsedStep = ParsedPlaybook['steps'][number];

/** What the checks of one step need to know about the playbook around it. */
interface Scope {
  readonly playbook: ParsedPlaybook;
  readonly declared: ReadonlySet<string>;
  /** Ids of the steps before the one being checked. */
  readonly before: ReadonlySet<string>;
  readonly problems: PlaybookProblem[];
}

function firstIssue(result: { success: boolean; error?: { issues: readonly { message: string }[] } }): string | null {
  return result.success ? null : (result.error?.issues[0]?.message ?? 'is not valid');
}

function checkInputName(scope: Scope, name: string, path: Path): boolean {
  if (scope.declared.has(name)) return true;
  const declared = [...scope.declared];
  const list = declared.length === 0 ? 'it declares none' : `it declares ${declared.join(', ')}`;
  scope.problems.push({ path, message: `is ${quote(name)}, which is not an input of playbook ${scope.playbook.name} (${list})` });
  return false;
}

function checkStepReference(scope: Scope, step: string, path: Path): void {
  if (scope.before.has(step)) return;
  const later = scope.playbook.steps.some((each) => each.id === step);
  scope.problems.push({
    path,
    message: later
      ? `names step ${step}, which does not come before this one: a step can only use what the steps before it found`
      : `is ${quote(step)}, which is not a step of playbook ${scope.playbook.name}`,
  });
}

function checkSource(scope: Scope, source: InputSourceAsWritten, type: string, name: string, path: Path): void {
  if ('firstOf' in source) {
    source.firstOf.forEach((alternative, index) => {
      checkSource(scope, alternative, type, name, [...path, 'firstOf', index]);
    });
    return;
  }
  if ('step' in source) {
    checkStepReference(scope, source.step, [...path, 'step']);
    return;
  }
  const definition = findActionType(type);
  if ('value' in source) {
    const field = definition === undefined ? undefined : catalogueField(definition, name);
    const problem = field === undefined ? null : firstIssue(field.safeParse(source.value));
    if (problem !== null) scope.problems.push({ path: [...path, 'value'], message: problem });
    return;
  }
  if (!checkInputName(scope, source.input, [...path, 'input']) || source.part === undefined) return;
  const field = runInputField(scope.playbook.steps, source.input);
  if (field === undefined || !isArnField(field)) {
    scope.problems.push({ path: [...path, 'part'], message: `takes a part of an ARN, and ${source.input} is not an ARN input` });
  }
}

function checkCondition(scope: Scope, condition: ConditionAsWritten, path: Path): void {
  if ('anyOf' in condition) {
    condition.anyOf.forEach((alternative, index) => {
      checkCondition(scope, alternative, [...path, 'anyOf', index]);
    });
  } else if ('present' in condition) {
    checkInputName(scope, condition.present, [...path, 'present']);
  } else if ('absent' in condition) {
    checkInputName(scope, condition.absent, [...path, 'absent']);
  } else if ('equals' in condition) {
    const { input, value } = condition.equals;
    if (!checkInputName(scope, input, [...path, 'equals', 'input'])) return;
    const field = runInputField(scope.playbook.steps, input);
    const problem = field === undefined ? null : firstIssue(field.safeParse(value));
    if (problem !== null) scope.problems.push({ path: [...path, 'equals', 'value'], message: `can never be ${input}'s value: it ${problem}` });
  } else if ('matches' in condition) {
    checkInputName(scope, condition.matches.input, [...path, 'matches', 'input']);
  } else {
    checkStepReference(scope, condition.resultPresent.step, [...path, 'resultPresent', 'step']);
  }
}

function checkStep(scope: Scope, step: ParsedStep, index: number): Effect | undefined {
  const at = (...rest: (string | number)[]): Path => ['steps', index, ...rest];
  const definition = findActionType(step.type);
  step.when.forEach((condition, position) => {
    checkCondition(scope, condition, at('when', position));
  });
  if (definition === undefined) {
    scope.problems.push({ path: at('type'), message: `is ${quote(step.type)}, which is not an action type (GET /v1/action-types lists them)` });
    return undefined;
  }
  if (isUndoType(step.type)) {
    scope.problems.push({ path: at('type'), message: `is ${step.type}, an undo type: a playbook never undoes (undoing a run reverses its steps)` });
    return undefined;
  }
  const accepted = inputNamesOf(definition);
  for (const [name, source] of Object.entries(step.inputs)) {
    if (!accepted.includes(name)) {
      scope.problems.push({ path: at('inputs', name), message: `is not an input of ${step.type}; it accepts ${accepted.join(', ')}` });
      continue;
    }
    checkSource(scope, source, step.type, name, at('inputs', name));
  }
  for (const name of accepted) {
    if (isRequiredField(definition, name) && !Object.hasOwn(step.inputs, name)) {
      scope.problems.push({ path: at('inputs', name), message: `is required by ${step.type} and has no source: map it from a playbook input, an earlier step or a value` });
    }
  }
  return definition.effect;
}

function checkInputs(playbook: ParsedPlaybook, problems: PlaybookProblem[]): PlaybookInputDefinition[] {
  const seen = new Set<string>();
  const definitions: PlaybookInputDefinition[] = [];
  playbook.inputs.forEach((input, index) => {
    const at = (...rest: (string | number)[]): Path => ['inputs', index, ...rest];
    if (seen.has(input.name)) problems.push({ path: at('name'), message: `is ${input.name} again: each input is declared once` });
    seen.add(input.name);
    const field = runInputField(playbook.steps, input.name);
    if (field === undefined) {
      problems.push({ path: at('name'), message: `is ${quote(input.name)}, which is no catalogue input name nor a playbook option (container.action)` });
      return;
    }
    const schema = fieldJsonSchema(field);
    if (input.required && input.default !== undefined) {
      problems.push({ path: at('default'), message: 'is given for a required input, which is never absent: make it optional or drop the default' });
    }
    if (input.default !== undefined && 'value' in input.default) {
      const problem = firstIssue(field.safeParse(input.default.value));
      if (problem !== null) problems.push({ path: at('default', 'value'), message: problem });
    }
    if (input.default !== undefined && 'secondsAgo' in input.default && schema['format'] !== 'date-time') {
      problems.push({ path: at('default', 'secondsAgo'), message: `gives a timestamp, and ${input.name} is not a timestamp input` });
    }
    const description = input.description ?? (typeof schema['description'] === 'string' ? schema['description'] : input.name);
    definitions.push({
      name: input.name,
      required: input.required,
      description,
      schema,
      ...(input.default === undefined ? {} : { default: input.default }),
    });
  });
  return definitions;
}

/** No step that destroys evidence before every evidence step, and never one with no evidence step before it. */
function checkEvidenceFirst(playbook: ParsedPlaybook, effects: readonly (Effect | undefined)[], problems: PlaybookProblem[]): void {
  effects.forEach((effect, index) => {
    if (effect !== 'destructive') return;
    const step = playbook.steps[index];
    const evidenceAfter = playbook.steps.filter((_, position) => position > index && effects[position] === 'evidence');
    const evidenceBefore = effects.slice(0, index).includes('evidence');
    if (step === undefined || (evidenceAfter.length === 0 && evidenceBefore)) return;
    const destroys = `is ${step.type}, which destroys evidence`;
    if (evidenceAfter.length > 0) {
      const named = evidenceAfter.map((each) => `${each.id} (${each.type})`).join(', ');
      problems.push({ path: ['steps', index, 'type'], message: `${destroys}, in step ${step.id} before evidence step ${named}: every evidence step must come before it` });
      return;
    }
    const suggested = evidenceTypesBefore(step.type);
    const hint = suggested.length === 0 ? '' : ` (for ${step.type}: ${suggested.join(', ')})`;
    problems.push({ path: ['steps', index, 'type'], message: `${destroys}, in step ${step.id} with no evidence step before it: gather evidence first${hint}` });
  });
}

/**
 * Judges one parsed playbook against the catalogue. Returns its definition (phase and effect taken
 * from the catalogue), or every problem with its path relative to the playbook.
 */
export function checkPlaybook(
  playbook: ParsedPlaybook,
  source: PlaybookDefinition['source'],
): { readonly ok: true; readonly definition: PlaybookDefinition } | { readonly ok: false; readonly problems: readonly PlaybookProblem[] } {
  const problems: PlaybookProblem[] = [];
  const inputs = checkInputs(playbook, problems);
  const declared = new Set(playbook.inputs.map((input) => input.name));
  const before = new Set<string>();
  const effects = playbook.steps.map((step, index) => {
    if (before.has(step.id)) problems.push({ path: ['steps', index, 'id'], message: `is ${step.id} again: step ids are unique within a playbook` });
    const effect = checkStep({ playbook, declared, before, problems }, step, index);
    before.add(step.id);
    return effect;
  });
  checkEvidenceFirst(playbook, effects, problems);
  if (problems.length > 0) return { ok: false, problems };
  const steps: PlaybookStepDefinition[] = playbook.steps.map((step, index) => {
    const effect = effects[index] ?? 'preserving';
    return {
      id: step.id,
      type: step.type,
      phase: effect === 'evidence' ? 'evidence' : 'containment',
      effect,
      inputs: step.inputs satisfies Readonly<Record<string, InputSource>>,
      when: step.when satisfies readonly StepCondition[],
      continueOnError: step.continueOnError,
    };
  });
  return { ok: true, definition: { name: playbook.name, title: playbook.title, description: playbook.description, source, inputs, steps } };
}
