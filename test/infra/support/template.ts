import type { Template } from 'aws-cdk-lib/assertions';

/** A resource of a synthesized template, typed just enough for the assertions. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** Every resource of one type in a template, by logical id. */
export function resourcesOf(template: Template, type: string): [string, TemplateResource][] {
  return Object.entries(template.findResources(type)) as [string, TemplateResource][];
}

/** The single resource of a type; throws when there are none or several. */
export function onlyResourceOf(template: Template, type: string): TemplateResource {
  const resources = resourcesOf(template, type);
  const [first] = resources;
  if (resources.length !== 1 || first === undefined) throw new Error(`expected one ${type}, found ${resources.length}`);
  return first[1];
}

/** A resource by logical id; throws when it is missing. */
export function resourceById(template: Template, logicalId: string): TemplateResource {
  const resources = (template.toJSON() as { Resources?: Record<string, TemplateResource> }).Resources ?? {};
  const resource = resources[logicalId];
  if (resource === undefined) throw new Error(`no resource ${logicalId} in the template`);
  return resource;
}
