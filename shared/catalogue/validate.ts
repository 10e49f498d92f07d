/**
 * Validation of a create request's `type` and `inputs` against the catalogue: the one
 * place inputs are checked (the edge); inside, the types are trusted. Every error is
 * reported at once, each with the path of its field and a sentence a person can act on.
 */
import type * as z from 'zod';
import { actionTypes, findActionType, inputNamesOf } from './catalogue.ts';
import type { ActionInputs, ActionTypeDefinition, Executor, FieldError, ResourceRef, ValidationContext } from './types.ts';

export interface ValidActionRequest {
  readonly ok: true;
  readonly definition: ActionTypeDefinition;
  /** The inputs as the schema output them (defaults applied, e.g. `kubernetes.workload.replicas`). */
  readonly inputs: ActionInputs;
  readonly executor: Executor;
  /** The resources the action acts on; the first is the record's `resource`. */
  readonly resources: readonly [ResourceRef, ...ResourceRef[]];
}

export interface InvalidActionRequest {
  readonly ok: false;
  readonly errors: readonly FieldError[];
}

export type ActionRequestValidation = ValidActionRequest | InvalidActionRequest;

/** A type's inputs produced no resource: a defect in the catalogue, never the caller's fault. */
export class CatalogueDefectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogueDefectError';
  }
}

const catalogueHint = 'GET /v1/action-types lists every type and its inputs';

/** Plain JSON objects only: arrays, null, dates and the like are not an inputs object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Echoes a caller's value in a message, quoted and cut short so an error never grows huge. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The candidate a typo most likely meant (`processId` → `process.id`), if one is close. */
function closest(given: string, candidates: readonly string[]): string | undefined {
  const normalise = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');
  const wanted = normalise(given);
  if (wanted === '' || given.length > 100) return undefined;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalise(candidate));
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function typeErrors(type: unknown): { definition?: ActionTypeDefinition; errors: FieldError[] } {
  if (type === undefined || type === null || type === '') {
    return { errors: [{ path: 'type', message: `is required: name an action type such as kill-process; ${catalogueHint}` }] };
  }
  if (typeof type !== 'string') {
    return { errors: [{ path: 'type', message: `must be an action type id, a string such as kill-process; ${catalogueHint}` }] };
  }
  const definition = findActionType(type);
  if (definition !== undefined) return { definition, errors: [] };
  const suggestion = closest(type, actionTypes.map((known) => known.type));
  const didYouMean = suggestion === undefined ? '' : `did you mean ${suggestion}? `;
  return { errors: [{ path: 'type', message: `is ${quote(type)}, which is not an action type; ${didYouMean}${catalogueHint}` }] };
}

function inputsErrors(inputs: unknown, definition: ActionTypeDefinition | undefined): FieldError[] {
  if (isPlainObject(inputs)) return [];
  const accepted = definition === undefined ? '' : ` (${definition.type} accepts ${inputNamesOf(definition).join(', ')})`;
  const example = '{ "host.id": "node-7", "process.id": 4242 }';
  if (inputs === undefined || inputs === null) {
    return [{ path: 'inputs', message: `is required: an object of input names to values, e.g. ${example}${accepted}` }];
  }
  return [{ path: 'inputs', message: `must be an object of input names to values, e.g. ${example}${accepted}` }];
}

/** `inputs.` + the flat input name, then `[n]` for an entry of a list input. */
function pathOf(path: readonly PropertyKey[]): string {
  const [name, ...rest] = path;
  if (typeof name !== 'string') return 'inputs';
  return `inputs.${name}${rest.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('')}`;
}

/**
 * zod reports a value that fits no branch of a union (a name or a list of names) as one
 * `invalid_union` issue. When exactly one branch had the value's type (the list), its own
 * issues say more ("must list at most 50 PVC names", an entry's error at `[3]`), so they
 * replace the union's general message.
 */
function unionBranchIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union') return [issue];
    const typed = issue.errors.filter((branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
    const [only] = typed;
    if (typed.length !== 1 || only === undefined || only.length === 0) return [issue];
    return unionBranchIssues(only.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })));
  });
}

function issueErrors(issues: readonly z.core.$ZodIssue[], definition: ActionTypeDefinition, inputs: Record<string, unknown>): FieldError[] {
  const accepted = inputNamesOf(definition);
  const errors: FieldError[] = [];
  for (const issue of unionBranchIssues(issues)) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const suggestion = closest(key, accepted);
        const didYouMean = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
        errors.push({ path: `inputs.${key}`, message: `is not an input of ${definition.type}${didYouMean}; it accepts: ${accepted.join(', ')}` });
      }
      continue;
    }
    const [name] = issue.path;
    // A field's own schema fails on an absent key only because it is required; cross-field
    // rules (custom issues) explain themselves, e.g. "give container.id or container.name".
    const absent = issue.path.length === 1 && typeof name === 'string' && inputs[name] === undefined;
    errors.push({ path: pathOf(issue.path), message: absent && issue.code !== 'custom' ? 'is required' : issue.message });
  }
  return errors;
}

function unique(errors: readonly FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.path}\n${error.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Validates a create request's `type` and `inputs`. Never throws for bad input: every
 * problem comes back in `errors`, with paths `type`, `inputs` or `inputs.<input name>`.
 * On success, says which executor runs it and which resources it acts on.
 */
export function validateActionRequest(body: { readonly type: unknown; readonly inputs: unknown }, context: ValidationContext): ActionRequestValidation {
  const { definition, errors: typeProblems } = typeErrors(body.type);
  const inputsProblems = inputsErrors(body.inputs, definition);
  const { inputs } = body;
  if (definition === undefined || !isPlainObject(inputs)) {
    return { ok: false, errors: [...typeProblems, ...inputsProblems] };
  }

  const parsed = definition.inputs.safeParse(inputs);
  const shapeErrors = parsed.success ? [] : issueErrors(parsed.error.issues, definition, inputs);
  // The clock rules run even when the shape failed, so one answer lists every error.
  const clockErrors = definition.checkAt?.(parsed.success ? parsed.data : inputs, context) ?? [];
  const errors = unique([...shapeErrors, ...clockErrors]);
  if (!parsed.success || errors.length > 0) {
    return { ok: false, errors };
  }

  const [primary, ...others] = definition.resourcesOf(parsed.data);
  if (primary === undefined) throw new CatalogueDefectError(`${definition.type} named no resource for valid inputs`);
  return { ok: true, definition, inputs: parsed.data, executor: definition.executorFor(parsed.data), resources: [primary, ...others] };
}
