/**
 * Cognito pre token generation trigger (event version 2, user sign-in and refresh) of the console's
 * user pool. Cognito writes resource server scopes as `response-actions/<scope>` and puts whatever
 * the app client requested and allows into the access token, whoever signs in; the service checks
 * bare scope names (API.md). So the access token gets the bare scopes the person's groups grant
 * (`scopesToAdd`) and loses the prefixed ones (`scopesToSuppress`): a reader's token never says exec.
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { prefixedScope, personScopes, scopesOfGroups } from './person-groups.ts';

/** Sets the access token's scopes from the person's groups; touches nothing else. */
export function grantGroupScopes<T extends PreTokenGenerationV2TriggerEvent>(event: T): T {
  const groups = event.request.groupConfiguration.groupsToOverride ?? [];
  const requested = new Set(event.request.scopes ?? []);
  const prefixed = personScopes.map(prefixedScope).filter((scope) => requested.has(scope));
  event.response = {
    claimsAndScopeOverrideDetails: {
      ...event.response.claimsAndScopeOverrideDetails,
      accessTokenGeneration: {
        scopesToAdd: scopesOfGroups(groups),
        ...(prefixed.length === 0 ? {} : { scopesToSuppress: prefixed }),
      },
    },
  };
  return event;
}

// Cognito waits for the returned event; nothing here is asynchronous or needs a client.
export const handler = (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => Promise.resolve(grantGroupScopes(event));
