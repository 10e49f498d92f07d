/** Shared assertions for the catalogue's tests. */
import { expect } from 'vitest';
import { validateActionRequest } from '#shared/catalogue/index.ts';
import type { ActionRequestValidation, FieldError, ValidActionRequest } from '#shared/catalogue/index.ts';

/** The clock every test validates against, unless a test says otherwise. */
export const now = new Date('2026-11-20T12:00:00Z');

export function validate(type: unknown, inputs: unknown, at: Date = now): ActionRequestValidation {
  return validateActionRequest({ type, inputs }, { now: at });
}

/** zod's own wording, which must never reach a caller. */
const machineWording = /Invalid input|Invalid option|Too small|Too big|Unrecognized key|received|expected (string|number|array|object)/;

/** A sentence a person can act on: it follows the field's name and says what to do. */
export function expectHumanMessage(message: string): void {
  expect(message.trim().length).toBeGreaterThan(8);
  expect(message).not.toMatch(machineWording);
  expect(message).toMatch(/^(is|must|cannot|lists|only) /);
  expect(message.length).toBeLessThan(400);
}

export function expectValid(result: ActionRequestValidation): ValidActionRequest {
  if (!result.ok) expect.fail(`expected valid inputs, got ${JSON.stringify(result.errors)}`);
  return result;
}

export function errorsOf(result: ActionRequestValidation): readonly FieldError[] {
  if (result.ok) expect.fail(`expected errors, got a valid request for ${result.definition.type}`);
  for (const error of result.errors) expectHumanMessage(error.message);
  return result.errors;
}

/** The request fails with an error at exactly `path` (others may accompany it); returns that error's message. */
export function expectErrorAt(result: ActionRequestValidation, path: string): string {
  const errors = errorsOf(result);
  const found = errors.find((error) => error.path === path);
  if (found === undefined) expect.fail(`expected an error at ${path}, got ${JSON.stringify(errors)}`);
  return found.message;
}

/** The request fails with errors at exactly these paths, no more and no fewer. */
export function expectErrorPaths(result: ActionRequestValidation, paths: readonly string[]): readonly FieldError[] {
  const errors = errorsOf(result);
  expect(errors.map((error) => error.path)).toEqual(paths);
  return errors;
}
