import type { ApiHandler } from '#shared/http/api-handler.ts';
import { openApiDocument } from '#shared/http/openapi.ts';

/**
 * GET /v1/openapi.json: the API's OpenAPI document, no token needed (API.md: Description). The
 * route has no authorizer, so no claims reach it; it reads nothing but the document, which is
 * built once per cold start.
 */
export function createHandler(): ApiHandler {
  const body = JSON.stringify(openApiDocument());
  return () => Promise.resolve({ statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }, body });
}

export const handler = createHandler();
