/**
 * Every action type says what it does to its target (API.md's `effect`), and
 * `GET /v1/action-types` serves it.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { actionTypes, describeCatalogue, effects, findActionType } from '#shared/catalogue/index.ts';
import { createHandler } from '../../../functions/api/list-action-types.ts';

describe('action type effects', () => {
  it('give every type exactly one of evidence, preserving or destructive', () => {
    // Assess
    for (const definition of actionTypes) expect(effects).toContain(definition.effect);
  });

  it.each([
    ['acquire-file', 'evidence'],
    ['get-logs', 'evidence'],
    ['capture-pod-state', 'evidence'],
    ['capture-process-state', 'evidence'],
    ['cloud-volume-snapshot', 'evidence'],
    ['kubernetes-volume-snapshot', 'evidence'],
    ['fetch-cloud-logs', 'evidence'],
    ['file-quarantine', 'preserving'],
    ['isolate-network', 'preserving'],
    ['pause-container', 'preserving'],
    ['cordon-node', 'preserving'],
    ['make-cloud-resource-private', 'preserving'],
    ['deactivate-access-keys', 'preserving'],
    ['revoke-iam-role-sessions', 'preserving'],
    ['kill-process', 'destructive'],
    ['kill-container', 'destructive'],
    ['stop-container', 'destructive'],
    ['delete-pod', 'destructive'],
    ['kubernetes-delete-volume-snapshot', 'destructive'],
    ['undo-cloud-volume-snapshot', 'destructive'],
    ['scale-workload', 'destructive'],
  ])('call %s %s', (type, effect) => {
    // Assess
    expect(findActionType(type)?.effect).toBe(effect);
  });

  it('are served by GET /v1/action-types, one per type', async () => {
    // Prepare
    const event = {
      version: '2.0',
      routeKey: 'GET /v1/action-types',
      rawPath: '/v1/action-types',
      rawQueryString: '',
      headers: {},
      isBase64Encoded: false,
      requestContext: { requestId: 'req-1', authorizer: { jwt: { claims: { sub: 'analyst', scope: 'containment-response-actions.read' }, scopes: null } } },
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

    // Act
    const response = await createHandler()(event, {} as Context);

    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body ?? '[]') as { type: string; effect: string }[];
    expect(body.map(({ type, effect }) => ({ type, effect }))).toEqual(actionTypes.map(({ type, effect }) => ({ type, effect })));
    expect(describeCatalogue().find((entry) => entry.type === 'kill-process')?.effect).toBe('destructive');
  });
});
