import { apiHandler, requiresAnyActionScope, type ApiHandler } from '#shared/http/api-handler.ts';
import type { PlaybookRuns } from '#shared/playbooks/types.ts';
import { playbookDescriptionsFromEnv } from './aws/playbook-catalogue.ts';
import { lazyHandler } from './lazy-handler.ts';

/** GET /v1/playbooks: the built-in and custom playbooks, each with its inputs' JSON Schema and its steps (any read scope). */
export function createHandler(deps: { playbooks: Pick<PlaybookRuns, 'describe'> }): ApiHandler {
  return apiHandler(() => Promise.resolve({ status: 200, body: deps.playbooks.describe() }), { body: 'none', requires: requiresAnyActionScope });
}

// The catalogue alone: no table, no starter, no planner.
export const handler = lazyHandler(() => Promise.resolve(createHandler({ playbooks: playbookDescriptionsFromEnv(process.env) })));
