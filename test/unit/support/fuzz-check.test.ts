/**
 * The API fuzzer's judge (test/support/fuzz-check.ts) on answers written by hand: what the
 * transport may refuse before a route's scope check (a malformed path escape, a body over 1 MB)
 * excuses only that refusal, never an answer that served a caller without the route's scope.
 */
import { describe, expect, it } from 'vitest';
import { judge } from '#test/support/fuzz-check.ts';
import type { FuzzRequest, RouteModel } from '#test/support/fuzz-routes.ts';
import { personScopes, type TokenChoice, type WireAnswer } from '#test/support/fuzz-service.ts';

const route = { method: 'POST' } as const;
const execOnly: RouteModel = { access: 'exec' };
// A valid token with read scopes only: it lacks the exec scope the route requires.
const reader: TokenChoice = { kind: 'valid', scopes: [personScopes[1], personScopes[3]], responder: false };

function request(overrides: Partial<FuzzRequest>): FuzzRequest {
  return { route: 'POST /v1/actions/{id}/undo', method: 'POST', target: '/v1/actions/x/undo', headers: {}, body: { text: '{}' }, matches: true, wellFormed: true, ...overrides };
}

function answer(status: number, field = 'id'): WireAnswer {
  const body = status >= 400 ? { status, detail: `the path parameter ${field} is refused`, errors: [{ path: field, message: 'is refused' }] } : { id: 'x', status: 'Created' };
  return { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' }, body: JSON.stringify(body) };
}

describe('the fuzzer judges scope before inputs', () => {
  it('excuses the transport\'s 400 for a malformed path escape, but not an answer that served a caller without the scope', () => {
    // Arrange
    const malformed = request({ target: '/v1/actions/%E0%A4%A/undo', wellFormed: false });

    // Act
    const refused = judge(route, execOnly, reader, malformed, answer(400), []);
    const served = judge(route, execOnly, reader, malformed, answer(202), []);

    // Assess
    expect(refused).toEqual([]);
    expect(served).toEqual([expect.stringContaining('lack the route\'s exec scope but got 202') as unknown]);
  });

  it('excuses the transport\'s 413 for a body over 1 MB, but not an answer that served a caller without the scope', () => {
    // Arrange
    const oversized = request({ body: { text: 'x'.repeat(1024 * 1024 + 1) } });

    // Act
    const refused = judge(route, execOnly, reader, oversized, answer(413, 'body'), []);
    const served = judge(route, execOnly, reader, oversized, answer(200), []);
    const other = judge(route, execOnly, reader, oversized, answer(400), []);

    // Assess
    expect(refused).toEqual([]);
    expect(served).toEqual([expect.stringContaining('but got 200, not 403 or 413') as unknown]);
    expect(other).toEqual([expect.stringContaining('but got 400, not 403 or 413') as unknown]);
  });

  it('holds a well-formed request without the scope to 403', () => {
    // Act
    const wrong = judge(route, execOnly, reader, request({}), answer(400), []);

    // Assess
    expect(wrong).toEqual([expect.stringContaining('but got 400, not 403') as unknown]);
  });
});
