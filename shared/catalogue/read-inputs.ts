/**
 * Typed reads of validated inputs, for `executorFor` and `resourcesOf`. These run only on
 * inputs the schema accepted, so a value of the wrong type is a defect and throws.
 */
import type { ActionInputs } from './types.ts';

/** `executorFor` or `resourcesOf` was handed inputs the catalogue never validated. */
export class UnvalidatedInputsError extends Error {
  constructor(name: string, expected: string) {
    super(`input ${name} is not ${expected}: validate the inputs with the catalogue first`);
    this.name = 'UnvalidatedInputsError';
  }
}

export function requiredText(inputs: ActionInputs, name: string): string {
  const value = inputs[name];
  if (typeof value !== 'string') throw new UnvalidatedInputsError(name, 'a string');
  return value;
}

export function optionalText(inputs: ActionInputs, name: string): string | undefined {
  const value = inputs[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UnvalidatedInputsError(name, 'a string or absent');
  return value;
}

/** An input that is one name or a list of names, as a list in input order. */
export function textList(inputs: ActionInputs, name: string): readonly string[] {
  const value = inputs[name];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) return value;
  throw new UnvalidatedInputsError(name, 'a string or a non-empty list of strings');
}
