import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '#shared/auth/errors.ts';
import {
  callerFromClaims,
  canExecute,
  canRead,
  canRespondFor,
  formatResponderClaim,
  hasAnyActionScope,
  isScope,
  parseResponderClaim,
  readableCategories,
  scopes,
} from '#shared/auth/scopes.ts';
import type { Caller } from '#shared/auth/scopes.ts';

const caller = (...granted: string[]): Caller => ({ sub: 'analyst-1', scopes: new Set(granted) });

describe('scopes', () => {
  it('are the six of API.md', () => {
    // Assess
    expect(scopes).toEqual([
      'containment-response-actions.exec',
      'containment-response-actions.read',
      'data-gathering-response-actions.exec',
      'data-gathering-response-actions.read',
      'response-actions.respond',
      'response-actions.events',
    ]);
    expect(isScope('response-actions.respond')).toBe(true);
    expect(isScope('response-actions.admin')).toBe(false);
  });
});

describe('callerFromClaims', () => {
  it('reads sub and the space-separated scope claim of a decoded JWT', () => {
    // Act
    const result = callerFromClaims({
      sub: 'analyst-1',
      scope: 'containment-response-actions.exec  data-gathering-response-actions.read',
    });

    // Assess
    expect(result.sub).toBe('analyst-1');
    expect([...result.scopes]).toEqual(['containment-response-actions.exec', 'data-gathering-response-actions.read']);
    expect(result.responder).toBeUndefined();
  });

  it('reads an scp array (Cognito, Okta) and an scp string (Entra ID), joined with scope', () => {
    // Act
    const fromArray = callerFromClaims({ sub: 'a', scp: ['containment-response-actions.read'], scope: 'data-gathering-response-actions.exec' });
    const fromString = callerFromClaims({ sub: 'a', scp: 'containment-response-actions.read data-gathering-response-actions.read' });

    // Assess
    expect(fromArray.scopes).toEqual(new Set(['containment-response-actions.read', 'data-gathering-response-actions.exec']));
    expect(fromString.scopes).toEqual(new Set(['containment-response-actions.read', 'data-gathering-response-actions.read']));
  });

  it('reads the claims as API Gateway hands them over: strings, arrays as "[a b]"', () => {
    // Prepare: event.requestContext.authorizer.jwt.claims of an HTTP API
    const claims = {
      sub: 'automation-7',
      scp: '[containment-response-actions.exec data-gathering-response-actions.exec]',
      iat: '1795392000',
      exp: '1795395600',
      aud: '[response-actions other-api]',
    };

    // Act
    const result = callerFromClaims(claims);

    // Assess
    expect(result).toEqual({
      sub: 'automation-7',
      scopes: new Set(['containment-response-actions.exec', 'data-gathering-response-actions.exec']),
    });
  });

  it('has no scopes when the token carries none', () => {
    // Act
    const result = callerFromClaims({ sub: 'a' });

    // Assess
    expect(result.scopes.size).toBe(0);
    expect(hasAnyActionScope(result)).toBe(false);
    expect(readableCategories(result)).toEqual([]);
  });

  it.each([
    ['no sub', { scope: 'containment-response-actions.read' }],
    ['an empty sub', { sub: ' ', scope: 'containment-response-actions.read' }],
    ['a numeric sub', { sub: 42 }],
    ['a numeric scope', { sub: 'a', scope: 7 }],
    ['an scp list with a number', { sub: 'a', scp: ['containment-response-actions.read', 7] }],
  ])('refuses claims with %s (401)', (_, claims) => {
    // Act
    const act = () => callerFromClaims(claims);

    // Assess
    expect(act).toThrow(UnauthorizedError);
    expect(act).toThrow(expect.objectContaining({ name: 'UnauthorizedError', reason: 'claims' }));
  });
});

describe('category permissions', () => {
  it('lets exec create only in its own category', () => {
    // Prepare
    const containment = caller('containment-response-actions.exec');

    // Assess
    expect(canExecute(containment, 'containment')).toBe(true);
    expect(canExecute(containment, 'data-gathering')).toBe(false);
  });

  it('does not let read create anything', () => {
    // Prepare
    const reader = caller('containment-response-actions.read', 'data-gathering-response-actions.read');

    // Assess
    expect(canExecute(reader, 'containment')).toBe(false);
    expect(canExecute(reader, 'data-gathering')).toBe(false);
    expect(readableCategories(reader)).toEqual(['containment', 'data-gathering']);
  });

  it('treats exec as also granting read of the same category, and only that one', () => {
    // Prepare
    const gatherer = caller('data-gathering-response-actions.exec');

    // Assess
    expect(canRead(gatherer, 'data-gathering')).toBe(true);
    expect(canRead(gatherer, 'containment')).toBe(false);
    expect(readableCategories(gatherer)).toEqual(['data-gathering']);
  });

  it.each([
    ['containment-response-actions.exec', true],
    ['containment-response-actions.read', true],
    ['data-gathering-response-actions.exec', true],
    ['data-gathering-response-actions.read', true],
    ['response-actions.respond', false],
    ['response-actions.admin', false],
  ])('lists action types and responders with %s: %s', (scope, expected) => {
    // Assess
    expect(hasAnyActionScope(caller(scope))).toBe(expected);
  });
});

describe('responder binding', () => {
  it('binds a respond-scoped token to the host in ra_responder', () => {
    // Act
    const responder = callerFromClaims({ sub: 'responder-node-7', scope: 'response-actions.respond', ra_responder: 'host/node-7' });

    // Assess
    expect(responder.responder).toEqual({ kind: 'host', name: 'node-7' });
    expect(canRespondFor(responder, { kind: 'host', name: 'node-7' })).toBe(true);
    expect(canRespondFor(responder, { kind: 'host', name: 'node-8' })).toBe(false);
    expect(canRespondFor(responder, { kind: 'kubernetes', name: 'node-7' })).toBe(false);
    expect(hasAnyActionScope(responder)).toBe(false);
  });

  it('binds a cluster responder', () => {
    // Act
    const responder = callerFromClaims({ sub: 'r', scp: '[response-actions.respond]', ra_responder: 'kubernetes/prod-eu' });

    // Assess
    expect(canRespondFor(responder, { kind: 'kubernetes', name: 'prod-eu' })).toBe(true);
  });

  it.each([
    ['no binding', undefined],
    ['an unknown kind', 'vm/node-7'],
    ['no name', 'host/'],
    ['no kind', 'node-7'],
    ['a name with a slash', 'host/a/b'],
    ['a binding that is not a string', { kind: 'host', name: 'node-7' }],
  ])('refuses a respond-scoped token with %s (401)', (_, binding) => {
    // Act
    const act = () => callerFromClaims({ sub: 'r', scope: 'response-actions.respond', ra_responder: binding });

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'UnauthorizedError', reason: 'claims' }));
  });

  it('grants nothing for a binding without the respond scope', () => {
    // Act
    const result = callerFromClaims({ sub: 'r', scope: 'containment-response-actions.read', ra_responder: 'host/node-7' });

    // Assess
    expect(result.responder).toBeUndefined();
    expect(canRespondFor(result, { kind: 'host', name: 'node-7' })).toBe(false);
  });

  it('formats and parses the claim symmetrically', () => {
    // Assess
    expect(formatResponderClaim({ kind: 'host', name: 'ip-10-0-0-7.ec2.internal' })).toBe('host/ip-10-0-0-7.ec2.internal');
    expect(parseResponderClaim('host/ip-10-0-0-7.ec2.internal')).toEqual({ kind: 'host', name: 'ip-10-0-0-7.ec2.internal' });
    expect(() => formatResponderClaim({ kind: 'host', name: 'a b' })).toThrow(RangeError);
  });
});
