import { apiHandler, type ApiHandler } from '#shared/http/api-handler.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { systemClock } from '#shared/clock.ts';
import { evidenceFromEnv } from './aws/evidence.ts';
import { historyFromEnv } from './aws/history.ts';
import { lazyHandler } from './lazy-handler.ts';

/** GET /v1/actions/{id}/evidence: objects with name, size, sha256 and a short-lived download URL. */
export function createHandler(deps: { service: ActionService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters }) => ({
      status: 200,
      body: { items: await deps.service.evidence(caller, pathParameters['id'] ?? '') },
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'none' },
  );
}

export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  const evidence = evidenceFromEnv(process.env);
  return Promise.resolve(createHandler({ service: new ActionService({ repository, starters: {}, evidence, clock: systemClock }) }));
});
