import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  IdempotencyInProgressError,
  InvalidInputError,
  NothingToUndoError,
  NotFoundError,
  RetryLaterError,
} from '#shared/errors.ts';
import { HttpProblem, problemBody, problemFor } from '#shared/http/problem.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const domainFolders = ['shared/use-cases', 'shared/responders', 'shared/actions', 'shared/history'];
const httpFolder = path.join(root, 'shared/http');

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(root, folder, name));
}

/** Every module a file names in an import, export-from or dynamic import(), resolved to a path where it is one of ours. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((match) => match[1] ?? '');
  return specifiers.map((specifier) => {
    if (specifier.startsWith('#shared/')) return path.join(root, 'shared', specifier.slice('#shared/'.length));
    if (specifier.startsWith('.')) return path.resolve(path.dirname(file), specifier);
    return specifier;
  });
}

describe('the domain', () => {
  it('imports nothing from the HTTP layer (shared/http)', () => {
    // Act
    const offending = domainFolders
      .flatMap(sourceFiles)
      .flatMap((file) =>
        importsOf(file)
          .filter((target) => target === httpFolder || target.startsWith(`${httpFolder}${path.sep}`))
          .map((target) => `${path.relative(root, file)} imports ${path.relative(root, target)}`),
      );

    // Assess
    expect(sourceFiles('shared/use-cases').length).toBeGreaterThan(0);
    expect(offending).toEqual([]);
  });
});

describe("the HTTP layer's table of domain errors", () => {
  it('gives each domain error its status, title, detail, field errors and Retry-After', () => {
    // Prepare
    const kind = { path: 'kind', message: 'must be one of host, kubernetes' };
    const name = { path: 'name', message: 'is required' };
    const fields = [kind, name];

    // Act
    const invalid = problemFor(new InvalidInputError(fields));
    const forbidden = problemFor(new ForbiddenError('needs the exec scope'));
    const missing = problemFor(new NotFoundError('no action a-1'));
    const conflict = problemFor(new ConflictError('a-1 cannot be undone', { errors: [name] }));
    const inFlight = problemFor(new ConflictError('still being processed', { retryAfterSeconds: 1 }));
    const nothing = problemFor(new NothingToUndoError('nothing to undo'));
    const later = problemFor(new RetryLaterError('try again in 60 s', 60));

    // Assess
    expect(invalid && problemBody(invalid)).toEqual({
      type: 'urn:response-actions:problem:invalid-request',
      title: 'Invalid request',
      status: 400,
      detail: 'kind: must be one of host, kubernetes; name: is required',
      errors: fields,
    });
    expect(forbidden && [problemBody(forbidden), forbidden.headers]).toEqual([
      { type: 'urn:response-actions:problem:403', title: 'Forbidden', status: 403, detail: 'needs the exec scope' },
      {},
    ]);
    expect(missing && problemBody(missing)).toEqual({ type: 'urn:response-actions:problem:404', title: 'Not Found', status: 404, detail: 'no action a-1' });
    expect(conflict && [problemBody(conflict), conflict.headers]).toEqual([
      { type: 'urn:response-actions:problem:409', title: 'Conflict', status: 409, detail: 'a-1 cannot be undone', errors: [name] },
      {},
    ]);
    expect(inFlight && [problemBody(inFlight), inFlight.headers]).toEqual([
      { type: 'urn:response-actions:problem:409', title: 'Conflict', status: 409, detail: 'still being processed' },
      { 'retry-after': '1' },
    ]);
    expect(nothing?.status).toBe(409);
    expect(later && [problemBody(later), later.headers]).toEqual([
      { type: 'urn:response-actions:problem:429', title: 'Too Many Requests', status: 429, detail: 'try again in 60 s' },
      { 'retry-after': '60' },
    ]);
  });

  it('leaves anything it does not list to the 500 (undefined), and passes an HttpProblem through', () => {
    // Prepare
    const problem = new HttpProblem(415, 'Unsupported Media Type', 'send JSON');

    // Act
    const unplanned = [new Error('boom'), new IdempotencyInProgressError(), 'a string', undefined].map(problemFor);

    // Assess
    expect(unplanned).toEqual([undefined, undefined, undefined, undefined]);
    expect(problemFor(problem)).toBe(problem);
  });
});
