/**
 * What a playbook input accepts: the catalogue's field of the same name (so a run's `host.id` is
 * checked exactly as an action's), or one of the few playbook options that choose between steps.
 * The JSON Schema is built the way GET /v1/action-types builds its inputs' (z.toJSONSchema, io input).
 */
import * as z from 'zod';
import { actionTypes, findActionType } from '#shared/catalogue/catalogue.ts';
import type { ActionTypeDefinition } from '#shared/catalogue/types.ts';
import type { InputSource, PlaybookStepDefinition } from '../types.ts';

/** Playbook inputs that are no catalogue field: they pick steps through `when`, never feed one. */
const playbookOptions: Readonly<Record<string, z.ZodType>> = {
  'container.action': z
    .enum(['pause', 'kill'], { error: 'must be pause (keeps the container for investigation) or kill' })
    .meta({ description: 'What to do with the container once evidence is secured: pause it (the default) or kill it.' }),
};

/** A type's own schema of one input, without the optional or default wrapper (presence is the playbook's to say). */
export function catalogueField(definition: ActionTypeDefinition, name: string): z.ZodType | undefined {
  if (!(definition.inputs instanceof z.ZodObject)) return undefined;
  const shape = definition.inputs.shape as Record<string, z.ZodType>;
  if (!Object.hasOwn(shape, name)) return undefined;
  let field = shape[name];
  while (field instanceof z.ZodOptional || field instanceof z.ZodDefault) field = field.unwrap() as z.ZodType;
  return field;
}

/** True when the type's inputs object requires `name` (neither optional nor defaulted). */
export function isRequiredField(definition: ActionTypeDefinition, name: string): boolean {
  if (!(definition.inputs instanceof z.ZodObject)) return false;
  const field = (definition.inputs.shape as Record<string, z.ZodType | undefined>)[name];
  return field !== undefined && !(field instanceof z.ZodOptional) && !(field instanceof z.ZodDefault);
}

function feedsDirectly(source: InputSource, name: string): boolean {
  if ('firstOf' in source) return source.firstOf.some((alternative) => feedsDirectly(alternative, name));
  return 'input' in source && source.input === name && source.part === undefined;
}

/**
 * The schema a run input is checked with: the field of that name of the first step that takes the
 * input as that very field (an ARN input thus takes the kinds its first step acts on), else the first
 * catalogue type with such a field, else a playbook option. Undefined for a name nothing knows.
 */
export function runInputField(
  steps: readonly Pick<PlaybookStepDefinition, 'type' | 'inputs'>[],
  name: string,
): z.ZodType | undefined {
  for (const step of steps) {
    const source = Object.hasOwn(step.inputs, name) ? step.inputs[name] : undefined;
    const definition = findActionType(step.type);
    if (source === undefined || definition === undefined || !feedsDirectly(source, name)) continue;
    const field = catalogueField(definition, name);
    if (field !== undefined) return field;
  }
  for (const definition of actionTypes) {
    const field = catalogueField(definition, name);
    if (field !== undefined) return field;
  }
  return Object.hasOwn(playbookOptions, name) ? playbookOptions[name] : undefined;
}

/** The JSON Schema of one field, as a property of an inputs object's schema. */
export function fieldJsonSchema(field: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return schema;
}

/** True when the field takes ARNs (its published pattern says so): only those have an account and a region to take apart. */
export function isArnField(field: z.ZodType): boolean {
  const pattern = fieldJsonSchema(field)['pattern'];
  return typeof pattern === 'string' && pattern.startsWith('^arn:');
}
