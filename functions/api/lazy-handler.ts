import type { ApiHandler } from '#shared/http/api-handler.ts';
import { lambdaEntry } from '#shared/observability/entry.ts';

/**
 * Builds the real handler on first invocation and keeps it for the container's life: clients
 * are still created once (and traced, in Lambda), and importing the module (the local runtime,
 * tests) reads no Lambda environment.
 */
export function lazyHandler(build: () => Promise<ApiHandler>): ApiHandler {
  return lambdaEntry(build);
}
