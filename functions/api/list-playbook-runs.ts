import type { FieldError } from '#shared/catalogue/types.ts';
import { apiHandler, requiresAnyActionScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { invalidRequest } from '#shared/http/problem.ts';
import { runStatuses, type PlaybookRuns, type RunQuery } from '#shared/playbooks/types.ts';
import { cursorKeyFromSecret } from './aws/cursor-secret.ts';
import { playbookRunsFromEnv, readOnlyRunStarter } from './aws/playbook-runs.ts';
import { lazyHandler } from './lazy-handler.ts';

const parameters = ['playbook', 'status', 'createdBy', 'cursor', 'limit'] as const;

/** GET /v1/playbook-runs: newest first, the runs whose every category the caller may read, filtered, paginated. */
export function createHandler(deps: { playbooks: Pick<PlaybookRuns, 'describe' | 'list'> }): ApiHandler {
  const names = new Set(deps.playbooks.describe().map((playbook) => playbook.name));
  return apiHandler(
    async ({ caller, query }) => {
      const page = await deps.playbooks.list(caller, parseRunQuery(query, names));
      return { status: 200, body: { items: page.items, nextCursor: page.cursor } };
    },
    { body: 'none', requires: requiresAnyActionScope },
  );
}

/** The query string of GET /v1/playbook-runs, checked against the playbooks in force; every problem is named. */
export function parseRunQuery(query: Readonly<Record<string, string | undefined>>, playbooks: ReadonlySet<string>): RunQuery {
  const errors: FieldError[] = [];
  const known = new Set<string>(parameters);
  for (const name of Object.keys(query)) {
    if (!known.has(name)) errors.push({ path: name, message: `is not a filter; use ${parameters.join(', ')}` });
  }
  const playbook = query['playbook'];
  if (playbook !== undefined && !playbooks.has(playbook)) errors.push({ path: 'playbook', message: 'is not a playbook; GET /v1/playbooks lists them' });
  const status = query['status'];
  const knownStatus = runStatuses.find((candidate) => candidate === status);
  if (status !== undefined && knownStatus === undefined) errors.push({ path: 'status', message: `must be one of ${runStatuses.join(', ')}` });
  const createdBy = query['createdBy'];
  if (createdBy !== undefined && (createdBy === '' || createdBy.length > 256)) errors.push({ path: 'createdBy', message: 'must be 1-256 characters' });
  const cursor = query['cursor'];
  if (cursor !== undefined && (cursor === '' || cursor.length > 2048)) errors.push({ path: 'cursor', message: 'must be 1-2048 characters' });
  let limit = 50;
  if (query['limit'] !== undefined) {
    limit = Number(query['limit']);
    if (!/^\d{1,3}$/.test(query['limit']) || limit < 1 || limit > 100) errors.push({ path: 'limit', message: 'must be a whole number from 1 to 100' });
  }
  if (errors.length > 0) throw invalidRequest(errors);
  return {
    limit,
    ...(playbook === undefined ? {} : { playbook }),
    ...(knownStatus === undefined ? {} : { status: knownStatus }),
    ...(createdBy === undefined ? {} : { createdBy }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}

// Cursors leave this function, so they are signed with the secret every container shares.
export const handler = lazyHandler(async () => {
  const cursorKey = await cursorKeyFromSecret(process.env);
  return createHandler({ playbooks: playbookRunsFromEnv(process.env, { runStarter: readOnlyRunStarter, cursorKey }) });
});
