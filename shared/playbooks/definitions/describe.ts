/**
 * What the rest of the service asks of a playbook definition: its public description
 * (GET /v1/playbooks), the categories its steps need (scopes), and the resources a run would name
 * from its inputs alone (the APPROVAL_REQUIRED gate).
 */
import { findActionType } from '#shared/catalogue/catalogue.ts';
import { categories } from '#shared/catalogue/types.ts';
import type { Category, ResourceRef } from '#shared/catalogue/types.ts';
import { validateActionRequest } from '#shared/catalogue/validate.ts';
import type { JsonValue } from '#shared/json.ts';
import type { EarlierStep, PlaybookDefinition, PlaybookDescription } from '../types.ts';
import { conditionWords, resolveStep } from './resolve.ts';

const jsonSchemaDialect = 'https://json-schema.org/draft/2020-12/schema';

/** One entry of GET /v1/playbooks: the run's inputs as one JSON Schema object, the steps with their conditions in words. */
export function describePlaybook(playbook: PlaybookDefinition): PlaybookDescription {
  const properties = Object.fromEntries(
    playbook.inputs.map((input) => {
      const fallback = input.default === undefined ? {} : 'value' in input.default ? { default: input.default.value } : {};
      return [input.name, { ...input.schema, description: input.description, ...fallback }];
    }),
  );
  return {
    name: playbook.name,
    title: playbook.title,
    description: playbook.description,
    source: playbook.source,
    inputs: {
      $schema: jsonSchemaDialect,
      type: 'object',
      properties,
      required: playbook.inputs.filter((input) => input.required).map((input) => input.name),
      additionalProperties: false,
    },
    steps: playbook.steps.map((step) => ({
      id: step.id,
      type: step.type,
      phase: step.phase,
      effect: step.effect,
      continueOnError: step.continueOnError,
      when: step.when.map(conditionWords),
    })),
  };
}

/** The categories of the playbook's step types, in the catalogue's order of categories. */
export function categoriesOf(playbook: Pick<PlaybookDefinition, 'steps'>): Category[] {
  const used = new Set(playbook.steps.map((step) => findActionType(step.type)?.category));
  return categories.filter((category) => used.has(category));
}

/**
 * The resources of every step whose conditions and inputs resolve from the run's inputs alone and
 * that the catalogue accepts, each key once, in step order. Steps that need an earlier result, or
 * that the inputs skip, name nothing yet.
 */
export function resourcesAtStart(playbook: PlaybookDefinition, inputs: Readonly<Record<string, JsonValue>>, now: Date = new Date()): ResourceRef[] {
  const earlier = new Map<string, EarlierStep>(playbook.steps.map((step) => [step.id, { status: 'Pending', result: null }]));
  const byKey = new Map<string, ResourceRef>();
  for (const step of playbook.steps) {
    const resolved = resolveStep(step, inputs, earlier, { dryRun: true });
    if (resolved.kind !== 'run') continue;
    const request = validateActionRequest({ type: step.type, inputs: resolved.inputs }, { now });
    if (!request.ok) continue;
    for (const resource of request.resources) if (!byKey.has(resource.key)) byKey.set(resource.key, resource);
  }
  return [...byKey.values()];
}
