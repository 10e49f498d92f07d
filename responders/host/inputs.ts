/** Typed reads of a work order's inputs, which the catalogue validated before they were queued. */
import { UnvalidatedInputsError } from '#shared/catalogue/read-inputs.ts';
import type { ActionInputs } from '#shared/catalogue/types.ts';

export { optionalText, requiredText } from '#shared/catalogue/read-inputs.ts';

export function requiredInteger(inputs: ActionInputs, name: string): number {
  const value = inputs[name];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new UnvalidatedInputsError(name, 'a whole number');
  return value;
}

export function optionalBoolean(inputs: ActionInputs, name: string): boolean | undefined {
  const value = inputs[name];
  if (value === undefined || typeof value === 'boolean') return value;
  throw new UnvalidatedInputsError(name, 'true, false or absent');
}
