import { apiHandler, requiresAnyActionScope, type ApiHandler } from '#shared/http/api-handler.ts';
import type { PlaybookRuns } from '#shared/playbooks/types.ts';
import { playbookRunsFromEnv, readOnlyRunStarter } from './aws/playbook-runs.ts';
import { lazyHandler } from './lazy-handler.ts';

/** GET /v1/playbook-runs/{id}: readers of every category of the run's steps; 404 for anyone else. */
export function createHandler(deps: { playbooks: Pick<PlaybookRuns, 'get'> }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters }) => ({ status: 200, body: await deps.playbooks.get(caller, pathParameters['id'] ?? '') }),
    { body: 'none', requires: requiresAnyActionScope },
  );
}

export const handler = lazyHandler(() => Promise.resolve(createHandler({ playbooks: playbookRunsFromEnv(process.env, { runStarter: readOnlyRunStarter }) })));
