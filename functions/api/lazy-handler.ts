import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiHandler, ApiResponse } from '#shared/http/api-handler.ts';

/**
 * Builds the real handler on first invocation and keeps it for the container's life: clients
 * are still created once, and importing the module (the local runtime, tests) reads no
 * Lambda environment.
 */
export function lazyHandler(build: () => Promise<ApiHandler>): ApiHandler {
  let built: Promise<ApiHandler> | undefined;
  return async (event: ApiEvent, context: Context): Promise<ApiResponse> => {
    built ??= build();
    return (await built)(event, context);
  };
}
