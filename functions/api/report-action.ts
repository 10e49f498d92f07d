import { retryContendedStatusWrite, StatusWriteContendedError } from '#shared/actions/mark-status.ts';
import { RetryLaterError } from '#shared/errors.ts';
import { apiHandler, maxReportBodyBytes, requiresRespondScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { taskCallbacks } from './aws/responder-task-callbacks.ts';
import { respondersFromEnv } from './aws/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/actions/{id}/reports: a responder's report on its own action; 200 with the record, 409 once the action has ended. */
export function createHandler(deps: { responders: ResponderService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, body }) => ({
      status: 200,
      body: await reportUnderContention(() => deps.responders.report(caller, pathParameters['id'], body)),
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'json', requires: requiresRespondScope, maxBodyBytes: maxReportBodyBytes },
  );
}

/**
 * A report whose status move DynamoDB kept refusing on its condition is asked again (the report is
 * safe to repeat: it re-reads the record, and the moves are conditional), and if it never lands the
 * responder hears 429 with Retry-After, which it retries, rather than a 500 or a 409 (which would
 * tell it the action had ended, and so lose the report).
 */
async function reportUnderContention<Result>(report: () => Promise<Result>): Promise<Result> {
  try {
    return await retryContendedStatusWrite('the report could not be applied', report);
  } catch (error) {
    if (error instanceof StatusWriteContendedError) throw new RetryLaterError(`${error.message}; report again`, 1, { cause: error });
    throw error;
  }
}

// Deps are built on the first invocation: importing this module reads no Lambda environment. Only this
// route's ports are wired, so the bundle carries only the clients (and schemas) it uses.
export const handler = lazyHandler(() => Promise.resolve(createHandler(respondersFromEnv(ResponderService, process.env, { callbacks: taskCallbacks() }))));
