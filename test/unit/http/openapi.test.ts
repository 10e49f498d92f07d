import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '#functions/api/routes.ts';
import { parseHistoryQuery } from '#functions/api/list-actions.ts';
import { describeCatalogue } from '#shared/catalogue/index.ts';
import { HttpProblem } from '#shared/http/problem.ts';
import { historyQueryParameters, openApiDocument } from '#shared/http/openapi.ts';

interface OperationShape {
  readonly security?: unknown[];
  readonly parameters?: { readonly name: string; readonly in: string; readonly schema: Record<string, unknown> }[];
}
interface DocumentShape {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, OperationShape>>;
  readonly components: { readonly schemas: Record<string, Record<string, unknown>> };
}

const document = openApiDocument() as unknown as DocumentShape;
const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function operationsOf(doc: DocumentShape): [key: string, operation: OperationShape][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => methods.has(method))
      .map(([method, operation]): [string, OperationShape] => [`${method.toUpperCase()} ${path}`, operation]),
  );
}

/** The errors parseHistoryQuery reports for this query, or [] when it accepts it. */
function historyQueryErrors(query: Record<string, string>): { path: string; message: string }[] {
  try {
    parseHistoryQuery(query);
    return [];
  } catch (error) {
    if (!(error instanceof HttpProblem)) throw error;
    return [...(error.errors ?? [])];
  }
}

describe('the OpenAPI document (GET /v1/openapi.json)', () => {
  it('is a valid OpenAPI 3.1 document, every $ref resolving', async () => {
    // Act
    const result = await validate(structuredClone(document) as never);

    // Assess
    expect(document.openapi).toBe('3.1.0');
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('describes every route the HTTP layer serves, with its method, and nothing else', () => {
    // Act
    const documented = operationsOf(document).map(([key]) => key);

    // Assess
    expect(documented.sort()).toEqual(apiRoutes.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('asks for a bearer token on every operation but the document itself', () => {
    // Act
    const open = operationsOf(document).filter(([, operation]) => operation.security !== undefined);

    // Assess
    expect(open).toEqual([['GET /v1/openapi.json', expect.objectContaining({ security: [] })]]);
    expect(document).toMatchObject({ security: [{ bearer: [] }], components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } });
  });

  it('gives the create request one branch per action type, its inputs the same schema GET /v1/action-types publishes', () => {
    // Prepare
    const catalogue = describeCatalogue();
    const branches = document.components.schemas['CreateActionRequest']?.['anyOf'] as { properties: { type: { const: string }; inputs: unknown } }[];

    // Assess
    expect(branches.map((branch) => branch.properties.type.const)).toEqual(catalogue.map((entry) => entry.type));
    for (const [index, entry] of catalogue.entries()) {
      const { $schema: _dialect, ...inputs } = entry.inputs;
      expect(branches[index]?.properties.inputs, entry.type).toEqual(inputs);
    }
  });

  it('takes the responder protocol\'s request bodies from its schemas', () => {
    // Assess
    const schemas = document.components.schemas;
    expect(schemas['RegisterResponderRequest']).toMatchObject({ required: ['kind', 'name', 'version', 'capabilities'], additionalProperties: false });
    expect(schemas['ResponderReport']).toMatchObject({ properties: { status: { enum: ['Running', 'Completed', 'Error'] }, result: { $ref: '#/components/schemas/JsonValue' } } });
    expect(schemas['EvidenceUploadRequest']).toMatchObject({ properties: { sha256: { pattern: '^[0-9a-f]{64}$' } } });
    expect(schemas['Problem']).toMatchObject({ required: ['type', 'title', 'status', 'detail'] });
  });

  it('documents exactly the query parameters GET /v1/actions accepts, within the bounds it checks', () => {
    // Prepare: the handler names every parameter it accepts when refusing an unknown one.
    const refusal = historyQueryErrors({ colour: 'red' }).find((error) => error.path === 'colour')?.message ?? '';
    const accepted = /use (.*)$/.exec(refusal)?.[1]?.split(', ') ?? [];
    const documented = document.paths['/v1/actions']?.['get']?.parameters ?? [];

    // Assess
    expect(accepted.length).toBeGreaterThan(0);
    expect(documented.map((parameter) => parameter.name).sort()).toEqual(accepted.sort());
    expect(Object.keys(historyQueryParameters).sort()).toEqual(accepted.sort());
    expect(documented.every((parameter) => parameter.in === 'query')).toBe(true);
    const limit = documented.find((parameter) => parameter.name === 'limit')?.schema;
    expect(limit).toMatchObject({ minimum: 1, maximum: 100, default: 50 });
    expect(historyQueryErrors({ limit: '100' })).toEqual([]);
    expect(historyQueryErrors({ limit: '101' }).map((error) => error.path)).toEqual(['limit']);
    const status = documented.find((parameter) => parameter.name === 'status')?.schema;
    for (const value of status?.['enum'] as string[]) expect(historyQueryErrors({ status: value }), value).toEqual([]);
    expect(historyQueryErrors({ createdBy: 'x'.repeat(256) })).toEqual([]);
    expect(historyQueryErrors({ createdBy: 'x'.repeat(257) }).map((error) => error.path)).toEqual(['createdBy']);
    expect(historyQueryErrors({ from: '2026-11-20T10:00:00Z', to: '2026-11-20T11:00:00+01:00' })).toEqual([]);
  });
});
