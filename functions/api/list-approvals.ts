import type { ApprovalService } from '#shared/approvals/approval-service.ts';
import { approvalStatuses, type ApprovalStatus } from '#shared/approvals/types.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import { apiHandler, requiresAnyActionScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { invalidRequest } from '#shared/http/problem.ts';
import { actionServicesFromEnv } from './aws/action-services.ts';
import { cursorKeyFromSecret } from './aws/cursor-secret.ts';
import { historyFromEnv } from './aws/history.ts';
import { lazyHandler } from './lazy-handler.ts';

const parameters = new Set(['status', 'cursor', 'limit']);

/** GET /v1/approvals: newest first, in the categories the caller may read. */
export function createHandler(deps: { approvals: ApprovalService }): ApiHandler {
  return apiHandler(
    async ({ caller, query }) => {
      const page = await deps.approvals.list(caller, parseApprovalQuery(query));
      return { status: 200, body: { items: page.items, nextCursor: page.nextCursor } };
    },
    { body: 'none', requires: requiresAnyActionScope },
  );
}

/** The query string of GET /v1/approvals, checked; every problem is named. */
export function parseApprovalQuery(query: Readonly<Record<string, string | undefined>>): {
  status?: ApprovalStatus;
  cursor?: string;
  limit: number;
} {
  const errors: FieldError[] = [];
  for (const name of Object.keys(query)) {
    if (!parameters.has(name)) errors.push({ path: name, message: `is not a filter; use ${[...parameters].join(', ')}` });
  }
  const status = query['status'];
  const knownStatus = approvalStatuses.find((known) => known === status);
  if (status !== undefined && knownStatus === undefined) {
    errors.push({ path: 'status', message: `must be one of ${approvalStatuses.join(', ')}` });
  }
  let limit = 50;
  if (query['limit'] !== undefined) {
    limit = Number(query['limit']);
    if (!/^\d{1,3}$/.test(query['limit']) || limit < 1 || limit > 100) {
      errors.push({ path: 'limit', message: 'must be a whole number from 1 to 100' });
    }
  }
  const cursor = query['cursor'];
  if (cursor !== undefined && (cursor === '' || cursor.length > 2048)) errors.push({ path: 'cursor', message: 'must be 1-2048 characters' });
  if (errors.length > 0) throw invalidRequest(errors);
  return { limit, ...(knownStatus === undefined ? {} : { status: knownStatus }), ...(cursor === undefined ? {} : { cursor }) };
}

// Cursors leave this function, so they are signed with the secret every container shares.
export const handler = lazyHandler(async () => {
  const cursorKey = await cursorKeyFromSecret(process.env);
  const repository = historyFromEnv(process.env, cursorKey);
  return createHandler({ approvals: actionServicesFromEnv(process.env, repository, { starters: {}, cursorKey }).approvals });
});
