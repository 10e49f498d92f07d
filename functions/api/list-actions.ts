import { findActionType, type FieldError } from '#shared/catalogue/index.ts';
import { isRfc3339 } from '#shared/catalogue/fields.ts';
import type { HistoryQuery } from '#shared/history/reader.ts';
import { actionStatuses, isActionStatus } from '#shared/history/status.ts';
import { apiHandler, requiresAnyActionScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { invalidRequest } from '#shared/http/problem.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { systemClock } from '#shared/clock.ts';
import { cursorKeyFromSecret } from './aws/cursor-secret.ts';
import { historyFromEnv } from './aws/history.ts';
import { lazyHandler } from './lazy-handler.ts';

const parameters = new Set(['resource', 'type', 'status', 'createdBy', 'from', 'to', 'limit', 'cursor']);

/** GET /v1/actions: fleet-wide or per-resource history, newest first, filtered, paginated. */
export function createHandler(deps: { service: ActionService }): ApiHandler {
  return apiHandler(
    async ({ caller, query }) => {
      const page = await deps.service.list(caller, parseHistoryQuery(query));
      return { status: 200, body: { items: page.items, nextCursor: page.nextCursor } };
    },
    { body: 'none', requires: requiresAnyActionScope },
  );
}

/** The query string of GET /v1/actions, checked; every problem is named. */
export function parseHistoryQuery(query: Readonly<Record<string, string | undefined>>): HistoryQuery {
  const errors: FieldError[] = [];
  for (const name of Object.keys(query)) {
    if (!parameters.has(name)) errors.push({ path: name, message: `is not a filter; use ${[...parameters].join(', ')}` });
  }
  const text = (name: string, max: number): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (value === '' || value.length > max) errors.push({ path: name, message: `must be 1-${max} characters` });
    return value;
  };
  const resource = text('resource', 2048);
  const type = text('type', 64);
  if (type !== undefined && findActionType(type) === undefined) {
    errors.push({ path: 'type', message: 'is not an action type; GET /v1/action-types lists them' });
  }
  const status = query['status'];
  if (status !== undefined && !isActionStatus(status)) {
    errors.push({ path: 'status', message: `must be one of ${actionStatuses.join(', ')}` });
  }
  const createdBy = text('createdBy', 256);
  const time = (name: 'from' | 'to'): string | undefined => {
    const value = query[name];
    if (value !== undefined && !isRfc3339(value)) {
      errors.push({ path: name, message: 'must be an RFC 3339 time such as 2026-11-20T10:00:00Z' });
    }
    return value;
  };
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && isRfc3339(from) && isRfc3339(to) && Date.parse(from) > Date.parse(to)) {
    errors.push({ path: 'from', message: 'must not be after to' });
  }
  let limit = 50;
  if (query['limit'] !== undefined) {
    limit = Number(query['limit']);
    if (!/^\d{1,3}$/.test(query['limit']) || limit < 1 || limit > 100) {
      errors.push({ path: 'limit', message: 'must be a whole number from 1 to 100' });
    }
  }
  const cursor = text('cursor', 2048);
  if (errors.length > 0) throw invalidRequest(errors);
  return {
    limit,
    ...(resource === undefined ? {} : { resource }),
    ...(type === undefined ? {} : { type }),
    ...(status !== undefined && isActionStatus(status) ? { status } : {}),
    ...(createdBy === undefined ? {} : { createdBy }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}

// Cursors leave this function, so they are signed with the secret every container shares.
export const handler = lazyHandler(async () => {
  const repository = historyFromEnv(process.env, await cursorKeyFromSecret(process.env));
  return createHandler({ service: new ActionService({ repository, starters: {}, clock: systemClock }) });
});
