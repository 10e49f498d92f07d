/**
 * A run's `inputs` object, checked once when the run is asked for: only the playbook's inputs,
 * every required one present, each value as the catalogue's field of that name takes it, and the
 * defaults filled in (a `secondsAgo` default becomes a time relative to the run's creation).
 */
import { isPlainObject } from '#shared/catalogue/validate.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import { InvalidInputError } from '#shared/errors.ts';
import type { JsonValue } from '#shared/json.ts';
import type { PlaybookDefinition } from '../types.ts';
import { runInputField } from './input-fields.ts';

/** At most this many problems are listed; fixing them shows the rest. */
const maxListedErrors = 20;

function shortName(name: string): string {
  return name.length > 100 ? `${name.slice(0, 100)}…` : name;
}

/** RFC 3339 in UTC to the second, as the catalogue's timestamp fields take it. */
function secondsBefore(now: Date, seconds: number): string {
  return new Date(now.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function subPath(path: readonly PropertyKey[]): string {
  return path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('');
}

/**
 * The run's inputs with defaults filled, or an InvalidInputError whose paths are `inputs` or
 * `inputs.<name>` (`inputs.<name>[n]` for an entry of a list).
 */
export function validateRunInputs(playbook: PlaybookDefinition, inputs: unknown, now: Date): Record<string, JsonValue> {
  const names = playbook.inputs.map((input) => input.name);
  const takes = names.length === 0 ? 'it takes none' : `it takes ${names.join(', ')}`;
  if (inputs === undefined || inputs === null) {
    throw new InvalidInputError([{ path: 'inputs', message: `is required: an object of input names to values (playbook ${playbook.name}: ${takes})` }]);
  }
  if (!isPlainObject(inputs)) {
    throw new InvalidInputError([{ path: 'inputs', message: `must be an object of input names to values (playbook ${playbook.name}: ${takes})` }]);
  }
  const errors: FieldError[] = [];
  for (const key of Object.keys(inputs)) {
    if (!names.includes(key)) errors.push({ path: `inputs.${shortName(key)}`, message: `is not an input of playbook ${playbook.name}; ${takes}` });
  }
  const values: [string, JsonValue][] = [];
  for (const input of playbook.inputs) {
    const given = Object.hasOwn(inputs, input.name) ? inputs[input.name] : undefined;
    if (given === undefined) {
      if (input.required) errors.push({ path: `inputs.${input.name}`, message: `is required by playbook ${playbook.name}` });
      else if (input.default !== undefined) {
        values.push([input.name, 'value' in input.default ? input.default.value : secondsBefore(now, input.default.secondsAgo)]);
      }
      continue;
    }
    const field = runInputField(playbook.steps, input.name);
    if (field === undefined) throw new TypeError(`playbook ${playbook.name} declares ${input.name}, which no catalogue field backs: it was never checked`);
    const parsed = field.safeParse(given);
    if (parsed.success) values.push([input.name, parsed.data as JsonValue]);
    else for (const issue of parsed.error.issues) errors.push({ path: `inputs.${input.name}${subPath(issue.path)}`, message: issue.message });
  }
  if (errors.length > 0) {
    const listed = errors.slice(0, maxListedErrors);
    const more = errors.length > listed.length ? `; and ${errors.length - listed.length} more` : '';
    throw new InvalidInputError(listed, { detail: `${listed.map((error) => `${error.path}: ${error.message}`).join('; ')}${more}` });
  }
  return Object.fromEntries(values);
}
