import { randomUUID } from 'node:crypto';
import { findActionType } from '#shared/catalogue/index.ts';
import type { Category } from '#shared/catalogue/types.ts';
import type { JsonValue } from '#shared/json.ts';
import { newRun } from '#shared/playbooks/run-answers.ts';
import type {
  InputSource,
  PlaybookCatalogue,
  PlaybookDefinition,
  PlaybookInputDefinition,
  PlaybookStepDefinition,
  StepCondition,
  StoredRun,
} from '#shared/playbooks/types.ts';

/** A step over a catalogue type, its phase and effect taken from the catalogue as the loader does. */
export function step(
  id: string,
  type: string,
  inputs: Readonly<Record<string, InputSource>>,
  options: { when?: readonly StepCondition[]; continueOnError?: boolean } = {},
): PlaybookStepDefinition {
  const definition = findActionType(type);
  if (definition === undefined) throw new Error(`no catalogue type ${type}`);
  return {
    id,
    type,
    phase: definition.effect === 'evidence' ? 'evidence' : 'containment',
    effect: definition.effect,
    inputs,
    when: options.when ?? [],
    continueOnError: options.continueOnError ?? false,
  };
}

/** A string run input. */
export function textInput(name: string, required = true): PlaybookInputDefinition {
  return { name, required, description: name, schema: { type: 'string', minLength: 1 } };
}

export function playbook(name: string, inputs: readonly PlaybookInputDefinition[], steps: readonly PlaybookStepDefinition[]): PlaybookDefinition {
  return { name, title: name, description: `test playbook ${name}`, source: 'custom', inputs, steps };
}

/** The playbooks in force for a test. */
export function catalogueOf(playbooks: readonly PlaybookDefinition[]): PlaybookCatalogue {
  return { list: () => playbooks, find: (name) => playbooks.find((candidate) => candidate.name === name), fileSha256: null };
}

/** A host playbook used by the store tests: acquire the file, then quarantine it. */
export const fileSteps = playbook(
  'file-steps',
  [textInput('host.id'), textInput('path.absolute')],
  [
    step('acquire', 'acquire-file', { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } }),
    step('quarantine', 'file-quarantine', { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } }),
  ],
);

/** A freshly created run of `definition`, as the service would store it. */
export function storedRunFixture(fields: {
  at: string;
  definition?: PlaybookDefinition;
  createdBy?: string;
  categories?: readonly Category[];
  inputs?: Record<string, JsonValue>;
}): StoredRun {
  return newRun({
    id: randomUUID(),
    playbook: fields.definition ?? fileSteps,
    inputs: fields.inputs ?? { 'host.id': 'node-7', 'path.absolute': '/tmp/dropper' },
    reason: 'incident 42',
    createdBy: fields.createdBy ?? 'alice',
    trigger: null,
    categories: fields.categories ?? ['containment', 'data-gathering'],
    now: new Date(fields.at),
    deadlineSeconds: 3600,
  });
}
