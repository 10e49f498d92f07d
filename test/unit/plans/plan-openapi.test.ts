import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#shared/http/openapi.ts';

interface CreateOperation {
  readonly parameters?: { readonly name: string; readonly in: string; readonly schema: Record<string, unknown> }[];
  readonly responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}

const document = openApiDocument() as unknown as {
  readonly paths: Record<string, Record<string, CreateOperation>>;
  readonly components: { readonly schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; required?: string[] }> };
};

describe('the plan in the OpenAPI document', () => {
  it('documents POST /v1/actions?dryRun as true or false, answering 200 with PlanResponse', () => {
    // Prepare
    const create = document.paths['/v1/actions']?.['post'];
    // Assess
    expect(create?.parameters).toContainEqual({ name: 'dryRun', in: 'query', required: false, schema: expect.objectContaining({ enum: ['true', 'false'] }) as unknown });
    expect(create?.responses['200']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/PlanResponse' });
    expect(create?.responses['202']).toBeDefined();
  });

  it.each(['/v1/actions/{id}/undo', '/v1/actions/{id}/reexecute'])('documents POST %s?dryRun as true or false, answering 200 with PlanResponse', (path) => {
    // Prepare
    const operation = document.paths[path]?.['post'];
    // Assess
    expect(operation?.parameters).toContainEqual({ name: 'dryRun', in: 'query', required: false, schema: expect.objectContaining({ enum: ['true', 'false'] }) as unknown });
    expect(operation?.responses['200']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/PlanResponse' });
    expect(operation?.responses['202']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ActionAccepted' });
    expect(operation?.responses['400']).toBeDefined();
  });

  it('documents each warning of a plan as the NoEvidenceFirst a record carries', () => {
    // Prepare
    const plan = document.components.schemas['PlanResponse']?.properties?.['plan'] as { properties?: Record<string, { items?: Record<string, unknown> }> } | undefined;
    // Assess
    expect(plan?.properties?.['warnings']?.items).toMatchObject({
      required: ['code', 'message', 'evidenceTypes'],
      properties: { code: { const: 'NoEvidenceFirst' } },
    });
  });

  it('generates PlanResponse from the plan schema, every field of API.md required', () => {
    // Prepare
    const plan = document.components.schemas['PlanResponse']?.properties?.['plan'] as { properties?: Record<string, unknown>; required?: string[] } | undefined;
    // Assess
    expect(plan?.required?.sort()).toEqual(['allowed', 'changes', 'prior', 'refusal', 'resource', 'type', 'undo', 'warnings']);
    expect(Object.keys(plan?.properties ?? {}).sort()).toEqual(['allowed', 'changes', 'prior', 'refusal', 'resource', 'type', 'undo', 'warnings']);
  });

  it('is still a valid OpenAPI 3.1 document with the plan in it', async () => {
    // Act
    const result = await validate(structuredClone(openApiDocument()) as never);
    // Assess
    expect(result.valid ? [] : compileErrors(result)).toEqual([]);
  });
});
