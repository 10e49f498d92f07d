import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '#functions/auth/pre-token-generation.ts';
import { personGroups, personScopes, scopesOfGroups } from '#functions/auth/person-groups.ts';
import { callerFromClaims, canExecute, canRead, eventsScope, respondScope, scopes } from '#shared/auth/scopes.ts';

/** A version 2 event as Cognito sends it for a hosted-UI sign-in by a person in `groups`. */
function signInEvent(groups: string[] | undefined, scopes: string[] = ['openid', 'response-actions/containment-response-actions.exec']): PreTokenGenerationV2TriggerEvent {
  return {
    version: '2',
    triggerSource: 'TokenGeneration_HostedAuth',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_Example1',
    userName: 'analyst-1',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'console-client' },
    request: {
      userAttributes: { sub: 'analyst-1', email: 'analyst@example.com' },
      groupConfiguration: { ...(groups === undefined ? {} : { groupsToOverride: groups }), iamRolesToOverride: [], preferredRole: undefined },
      scopes,
    },
    response: { claimsAndScopeOverrideDetails: {} },
  };
}

/** The access token's scope claim after Cognito applies the trigger's answer. */
function tokenScopes(event: PreTokenGenerationV2TriggerEvent, answer: PreTokenGenerationV2TriggerEvent): string[] {
  const generation = answer.response.claimsAndScopeOverrideDetails.accessTokenGeneration ?? {};
  const suppressed = new Set(generation.scopesToSuppress ?? []);
  return [...(event.request.scopes ?? []).filter((scope) => !suppressed.has(scope)), ...(generation.scopesToAdd ?? [])];
}

describe('pre token generation trigger (console user pool)', () => {
  it.each([
    [['containment-responders'], ['containment-response-actions.exec', 'containment-response-actions.read']],
    [['containment-readers'], ['containment-response-actions.read']],
    [['data-gathering-responders'], ['data-gathering-response-actions.exec', 'data-gathering-response-actions.read']],
    [['data-gathering-readers'], ['data-gathering-response-actions.read']],
    [['containment-readers', 'containment-responders', 'data-gathering-readers'], ['containment-response-actions.exec', 'containment-response-actions.read', 'data-gathering-response-actions.read']],
  ])('groups %j add exactly the bare scopes %j (exec implies read)', async (groups, expected) => {
    // Prepare
    const event = signInEvent(groups);

    // Act
    const answer = await handler(structuredClone(event));

    // Assess
    expect(answer.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.scopesToAdd).toEqual(expected);
  });

  it('adds nothing for a person in no group, or only in groups it does not know', async () => {
    // Act
    const none = await handler(signInEvent(undefined));
    const unknown = await handler(signInEvent(['admins', 'response-actions.respond']));

    // Assess
    expect(none.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.scopesToAdd).toEqual([]);
    expect(unknown.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.scopesToAdd).toEqual([]);
  });

  it.each([
    ['__proto__'],
    ['constructor'],
    ['hasOwnProperty'],
    ['Containment-Responders'],
    [' containment-responders'],
    ['containment-responders '],
    ['containment-responders\u0000'],
    ['containment-responders,containment-readers'],
    ['response-actions/containment-response-actions.exec'],
    ['containment-response-actions.exec'],
  ])('grants nothing for the group name %j: only the four names, exactly', async (group) => {
    // Act
    const answer = await handler(signInEvent([group]));

    // Assess
    expect(answer.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.scopesToAdd).toEqual([]);
  });

  it('knows the person scopes as the service does: its scope list without the responder and events scopes', () => {
    // Assess
    expect(personScopes).toEqual(scopes.filter((scope) => scope !== respondScope && scope !== eventsScope));
  });

  it('never grants the responder or events scope, whatever the groups', () => {
    // Act
    const everything = scopesOfGroups([...Object.keys(personGroups), 'response-actions.respond', 'response-actions.events']);

    // Assess
    expect(everything).toEqual([...personScopes]);
    expect(everything).not.toContain(respondScope);
    expect(everything).not.toContain(eventsScope);
  });

  it('suppresses the prefixed scopes the client asked for, so a reader\'s token does not say exec', async () => {
    // Prepare: the console asks for every resource server scope; the person only reads containment
    const event = signInEvent(['containment-readers'], ['openid', ...personScopes.map((scope) => `response-actions/${scope}`)]);

    // Act
    const answer = await handler(structuredClone(event));
    const caller = callerFromClaims({ sub: 'analyst-1', scope: tokenScopes(event, answer).join(' ') });

    // Assess: what the service makes of the resulting token
    expect(tokenScopes(event, answer)).toEqual(['openid', 'containment-response-actions.read']);
    expect(canRead(caller, 'containment')).toBe(true);
    expect(canExecute(caller, 'containment')).toBe(false);
    expect(canRead(caller, 'data-gathering')).toBe(false);
  });

  it('leaves the ID token and the groups as Cognito made them', async () => {
    // Act
    const answer = await handler(signInEvent(['containment-responders']));

    // Assess
    expect(Object.keys(answer.response.claimsAndScopeOverrideDetails)).toEqual(['accessTokenGeneration']);
  });
});
