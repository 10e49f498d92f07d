/**
 * A step's inputs and conditions, resolved from the run's inputs and the results of the steps
 * before it. Results come from responders and are hostile: only plain data reached through own
 * keys is read, and only scalars or bounded lists of scalars are taken; anything else is nothing.
 */
import { parseArn } from '#shared/catalogue/arn.ts';
import { compileTypeGlob } from '#shared/findings/type-glob.ts';
import type { JsonValue } from '#shared/json.ts';
import type { EarlierStep, InputSource, PlaybookStepDefinition, ResolvedStep, StepCondition } from '../types.ts';
import { maxListEntries, maxTextLength } from './file-schema.ts';

type Scalar = string | number | boolean;
/** What a source gives: a value, nothing (the input is left out), or (dry run) a step that has not run. */
type Yield = { readonly kind: 'value'; readonly value: JsonValue } | { readonly kind: 'nothing' } | { readonly kind: 'unresolved'; readonly step: string };
type Verdict = { readonly kind: 'holds' } | { readonly kind: 'fails'; readonly why: string } | { readonly kind: 'unresolved'; readonly step: string };

const nothing: Yield = { kind: 'nothing' };

function isScalar(value: unknown): value is Scalar {
  if (typeof value === 'string') return value.length > 0 && value.length <= maxTextLength;
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'boolean';
}

/** A scalar, or a non-empty list of at most maxListEntries scalars; anything else (objects, null, nested lists, huge lists) is nothing. */
function takeValue(value: unknown): JsonValue | undefined {
  if (isScalar(value)) return value;
  if (!Array.isArray(value) || value.length === 0 || value.length > maxListEntries) return undefined;
  const entries: Scalar[] = [];
  for (const entry of value as unknown[]) {
    if (!isScalar(entry)) return undefined;
    entries.push(entry);
  }
  return entries;
}

function isPlainData(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The value at a dotted path of a result, through own keys of plain objects only. */
function resultAt(result: unknown, path: string): JsonValue | undefined {
  let current: unknown = result;
  for (const segment of path.split('.')) {
    if (!isPlainData(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return takeValue(current);
}

function earlierResult(earlier: ReadonlyMap<string, EarlierStep>, step: string, path: string, dryRun: boolean): Yield {
  const found = earlier.get(step);
  if (dryRun && (found === undefined || found.status === 'Pending')) return { kind: 'unresolved', step };
  if (found?.status !== 'Completed') return nothing;
  const value = resultAt(found.result, path);
  return value === undefined ? nothing : { kind: 'value', value };
}

function runInput(runInputs: Readonly<Record<string, JsonValue>>, name: string): JsonValue | undefined {
  return Object.hasOwn(runInputs, name) ? takeValue(runInputs[name]) : undefined;
}

function sourceYield(source: InputSource, runInputs: Readonly<Record<string, JsonValue>>, earlier: ReadonlyMap<string, EarlierStep>, dryRun: boolean): Yield {
  if ('firstOf' in source) {
    for (const alternative of source.firstOf) {
      const given = sourceYield(alternative, runInputs, earlier, dryRun);
      if (given.kind !== 'nothing') return given;
    }
    return nothing;
  }
  if ('value' in source) return { kind: 'value', value: source.value };
  if ('step' in source) return earlierResult(earlier, source.step, source.result, dryRun);
  const value = runInput(runInputs, source.input);
  if (value === undefined) return nothing;
  if (source.part === undefined) return { kind: 'value', value };
  const arn = typeof value === 'string' ? parseArn(value) : null;
  const part = source.part === 'arn.account' ? arn?.accountId : arn?.region;
  return part === undefined || part === '' ? nothing : { kind: 'value', value: part };
}

function quoted(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

/** A condition in words, as GET /v1/playbooks shows it ("path.absolute is given"). */
export function conditionWords(condition: StepCondition): string {
  if ('present' in condition) return `${condition.present} is given`;
  if ('absent' in condition) return `${condition.absent} is not given`;
  if ('equals' in condition) return `${condition.equals.input} is ${quoted(condition.equals.value)}`;
  if ('matches' in condition) return `${condition.matches.input} matches ${condition.matches.glob}`;
  if ('resultPresent' in condition) return `step ${condition.resultPresent.step} Completed with ${condition.resultPresent.result} in its result`;
  return condition.anyOf.map(conditionWords).join(', or ');
}

function verdict(condition: StepCondition, runInputs: Readonly<Record<string, JsonValue>>, earlier: ReadonlyMap<string, EarlierStep>, dryRun: boolean): Verdict {
  const holds: Verdict = { kind: 'holds' };
  if ('present' in condition) return runInput(runInputs, condition.present) !== undefined ? holds : { kind: 'fails', why: `${condition.present} is not given` };
  if ('absent' in condition) return runInput(runInputs, condition.absent) === undefined ? holds : { kind: 'fails', why: `${condition.absent} is given` };
  if ('equals' in condition) {
    const { input, value } = condition.equals;
    return runInput(runInputs, input) === value ? holds : { kind: 'fails', why: `${input} is not ${quoted(value)}` };
  }
  if ('matches' in condition) {
    const { input, glob } = condition.matches;
    const value = runInput(runInputs, input);
    return typeof value === 'string' && compileTypeGlob(glob)(value) ? holds : { kind: 'fails', why: `${input} does not match ${glob}` };
  }
  if ('resultPresent' in condition) {
    const { step, result } = condition.resultPresent;
    const found = earlierResult(earlier, step, result, dryRun);
    if (found.kind === 'value') return holds;
    if (found.kind === 'unresolved') return found;
    const status = earlier.get(step)?.status ?? 'not run';
    return { kind: 'fails', why: status === 'Completed' ? `step ${step}'s result has no ${result}` : `step ${step} is ${status}, not Completed` };
  }
  const verdicts = condition.anyOf.map((alternative) => verdict(alternative, runInputs, earlier, dryRun));
  if (verdicts.some((each) => each.kind === 'holds')) return holds;
  const unresolved = verdicts.find((each) => each.kind === 'unresolved');
  if (unresolved !== undefined) return unresolved;
  return { kind: 'fails', why: `none of its alternatives holds (${verdicts.map((each) => (each.kind === 'fails' ? each.why : '')).join('; ')})` };
}

function unresolved(step: string): ResolvedStep {
  return { kind: 'unresolved', reason: `needs the result of step ${step}, which has not run yet` };
}

/**
 * What the step does now: `run` with its inputs (each source yielding nothing left out; the
 * catalogue then judges them), `skip` when a condition fails (the reason says which, in words), or
 * in a dry run `unresolved` when it needs a step that has not run. A definite failure beats an
 * unknown: a dry run reports a skip whenever the run inputs alone decide it.
 */
export function resolveStep(
  step: Pick<PlaybookStepDefinition, 'inputs' | 'when'>,
  runInputs: Readonly<Record<string, JsonValue>>,
  earlier: ReadonlyMap<string, EarlierStep>,
  options: { readonly dryRun: boolean },
): ResolvedStep {
  const verdicts = step.when.map((condition) => verdict(condition, runInputs, earlier, options.dryRun));
  for (const each of verdicts) if (each.kind === 'fails') return { kind: 'skip', reason: each.why };
  for (const each of verdicts) if (each.kind === 'unresolved') return unresolved(each.step);
  const inputs: [string, JsonValue][] = [];
  for (const [name, source] of Object.entries(step.inputs)) {
    const given = sourceYield(source, runInputs, earlier, options.dryRun);
    if (given.kind === 'unresolved') return unresolved(given.step);
    // Lists are copied so the action's inputs never alias a stored result or run input.
    if (given.kind === 'value') inputs.push([name, Array.isArray(given.value) ? [...given.value] : given.value]);
  }
  // fromEntries defines own properties, so no input name can reach the object's prototype.
  return { kind: 'run', inputs: Object.fromEntries(inputs) };
}
