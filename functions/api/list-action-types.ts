import { hasAnyActionScope } from '#shared/auth/scopes.ts';
import { describeCatalogue } from '#shared/catalogue/index.ts';
import { apiHandler, type ApiHandler } from '#shared/http/api-handler.ts';
import { forbidden } from '#shared/http/problem.ts';

/** GET /v1/action-types: the catalogue, with the JSON Schema of each type's inputs. */
export function createHandler(): ApiHandler {
  const catalogue = describeCatalogue();
  return apiHandler(
    async ({ caller }) => {
      if (!hasAnyActionScope(caller)) throw forbidden('reading the catalogue needs one of the response-actions scopes');
      return Promise.resolve({ status: 200, body: catalogue });
    },
    { body: 'none' },
  );
}

export const handler = createHandler();
