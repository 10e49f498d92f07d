import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { acceptedResponse } from '#shared/http/created-response.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { actionServicesFromEnv } from './aws/action-services.ts';
import { cloudStarterFromEnv } from './aws/cloud-starter.ts';
import { historyFromEnv } from './aws/history.ts';
import { responderStartersFromEnv } from './aws/responder-starter.ts';
import { lazyHandler } from './lazy-handler.ts';

const bodyFields = new Set(['type', 'inputs', 'reason']);
const idempotencyKeyPattern = /^[\x21-\x7e]{1,128}$/;

/** POST /v1/actions: validate, authorize, record (idempotently), hand to the executor; 202 with the record. */
export function createHandler(deps: { service: ActionService }): ApiHandler {
  return apiHandler(
    async ({ caller, body = {}, headers }) => {
      const unknown = Object.keys(body).filter((field) => !bodyFields.has(field));
      const key = headers['idempotency-key'];
      // Reported by the service once the caller's scope for the type is settled (scope before inputs).
      const errors = [
        ...unknown.map((field) => ({ path: field, message: 'is not a field of an action request (type, inputs, reason)' })),
        ...(key !== undefined && !idempotencyKeyPattern.test(key)
          ? [{ path: 'Idempotency-Key', message: 'must be 1-128 printable ASCII characters without spaces' }]
          : []),
      ];
      const request = { type: body['type'], inputs: body['inputs'], reason: body['reason'] };
      return acceptedResponse(await deps.service.create(caller, request, errors.length > 0 ? undefined : key, errors));
    },
    { body: 'json', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  const starters = { cloud: cloudStarterFromEnv(process.env, repository), ...responderStartersFromEnv(process.env) };
  return Promise.resolve(createHandler({ service: actionServicesFromEnv(process.env, repository, { starters }).actions }));
});
