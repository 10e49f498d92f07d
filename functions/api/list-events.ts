import { decisionOutcomes, type DecisionLog, type DecisionOutcome, type DecisionQuery } from '#shared/automation/types.ts';
import { isRfc3339 } from '#shared/catalogue/fields.ts';
import type { FieldError } from '#shared/catalogue/index.ts';
import { apiHandler, requiresAnyActionScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { invalidRequest } from '#shared/http/problem.ts';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { DynamoDecisionLog } from '#shared/automation/store/index.ts';
import { loadConfig } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { cursorKeyFromSecret } from './aws/cursor-secret.ts';
import { lazyHandler } from './lazy-handler.ts';

const parameters = ['findingId', 'ruleId', 'outcome', 'from', 'to', 'limit', 'cursor'] as const;
export const maxEventsPageSize = 200;

/** GET /v1/events: every recorded decision, newest first, filtered and paginated (any read scope). */
export function createHandler(deps: { decisions: DecisionLog }): ApiHandler {
  return apiHandler(
    async ({ query }) => {
      const page = await deps.decisions.list(parseEventsQuery(query));
      return { status: 200, body: { items: page.items, nextCursor: page.nextCursor } };
    },
    { body: 'none', requires: requiresAnyActionScope },
  );
}

/** The query string of GET /v1/events, checked; every problem is named. */
export function parseEventsQuery(query: Readonly<Record<string, string | undefined>>): DecisionQuery {
  const errors: FieldError[] = [];
  const known: ReadonlySet<string> = new Set(parameters);
  for (const name of Object.keys(query)) {
    if (!known.has(name)) errors.push({ path: name, message: `is not a filter; use ${parameters.join(', ')}` });
  }
  const text = (name: string, max: number): string | undefined => {
    const value = query[name];
    if (value !== undefined && (value === '' || value.length > max)) errors.push({ path: name, message: `must be 1-${max} characters` });
    return value;
  };
  const findingId = text('findingId', 1024);
  const ruleId = text('ruleId', 64);
  const cursor = text('cursor', 2048);
  const outcome = query['outcome'];
  if (outcome !== undefined && !(decisionOutcomes as readonly string[]).includes(outcome)) {
    errors.push({ path: 'outcome', message: `must be one of ${decisionOutcomes.join(', ')}` });
  }
  const time = (name: 'from' | 'to'): string | undefined => {
    const value = query[name];
    if (value !== undefined && !isRfc3339(value)) errors.push({ path: name, message: 'must be an RFC 3339 time such as 2026-11-20T10:00:00Z' });
    return value;
  };
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && isRfc3339(from) && isRfc3339(to) && Date.parse(from) > Date.parse(to)) {
    errors.push({ path: 'from', message: 'must not be after to' });
  }
  let limit: number | undefined;
  if (query['limit'] !== undefined) {
    limit = Number(query['limit']);
    if (!/^\d+$/.test(query['limit']) || limit < 1 || limit > maxEventsPageSize) {
      errors.push({ path: 'limit', message: `must be a whole number from 1 to ${maxEventsPageSize}` });
    }
  }
  if (errors.length > 0) throw invalidRequest(errors);
  return {
    ...(findingId === undefined ? {} : { findingId }),
    ...(ruleId === undefined ? {} : { ruleId }),
    ...(outcome === undefined ? {} : { outcome: outcome as DecisionOutcome }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(limit === undefined ? {} : { limit }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}

export const handler = lazyHandler(async () => {
  const config = loadConfig(process.env, ['HISTORY_TABLE_NAME']);
  const cursors = new CursorCodec(await cursorKeyFromSecret(process.env));
  return createHandler({ decisions: new DynamoDecisionLog({ client: createHistoryClient(), tableName: config.historyTableName ?? '', cursors }) });
});
