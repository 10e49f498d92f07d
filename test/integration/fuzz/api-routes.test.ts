/**
 * Property-based fuzzing of every route of functions/api/routes.ts, over real HTTP against the
 * real local service (startLocalService, moto_server behind the target-account calls): mutated
 * bodies, headers, query strings, path encodings and methods, with tokens of every scope mix and
 * broken ones. A bounded number of runs per route here; `npm run bench -- fuzz` runs many more.
 * fast-check prints the seed and the shrunk request of a failure; FUZZ_SEED reruns it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiRoutes } from '#functions/api/routes.ts';
import { FuzzRunner, requestHeaders, tokenChoice } from '#test/support/fuzz-check.ts';
import { requestFor, routeModels, unmodelled } from '#test/support/fuzz-routes.ts';
import { startFuzzService, type FuzzService } from '#test/support/fuzz-service.ts';
import { prototypeState } from '#test/support/fuzz-prototypes.ts';

/** Runs per route: 28 routes of a quiet service, one request at a time; with the local-routes file, about a minute of tests on a busy 2-core machine. */
const runsPerRoute = 8;
const seed = process.env['FUZZ_SEED'] === undefined ? undefined : Number(process.env['FUZZ_SEED']);

let fuzz: FuzzService;
let runner: FuzzRunner;
const prototypesBefore = prototypeState();

beforeAll(async () => {
  fuzz = await startFuzzService(inject('motoEndpoint'));
  runner = new FuzzRunner(fuzz);
}, 120_000);
afterAll(async () => {
  await fuzz.close();
});

describe('fuzzing every API route', () => {
  it('has a model (who may call it, what its inputs look like) for every route of apiRoutes', () => {
    // Assess
    expect(unmodelled(apiRoutes, routeModels(fuzz.seeds))).toEqual([]);
  });

  const models = (): ReturnType<typeof routeModels> => routeModels(fuzz.seeds);
  for (const route of apiRoutes) {
    const key = `${route.method} ${route.path}`;
    it(`${key}: never a 5xx, 4xx as problem+json naming the field, scope before inputs, nothing written on rejection`, async () => {
      const model = models()[key];
      if (model === undefined) throw new Error(`${key} has no fuzz model in test/support/fuzz-routes.ts`);
      await fc.assert(
        fc.asyncProperty(tokenChoice, requestFor(route, model, requestHeaders), async (choice, request) => {
          const wrong = await runner.exercise(route, model, choice, request);
          if (wrong.length > 0) throw new Error(wrong.join('\n'));
        }),
        { numRuns: runsPerRoute, ...(seed === undefined ? {} : { seed }), endOnFailure: true },
      );
    }, 120_000);
  }

  it('left Object.prototype, Array.prototype and Function.prototype as they were in the service\'s process', () => {
    // Assess: the service ran in this process, so a polluted prototype would show here
    expect(runner.stats.requests).toBeGreaterThan(apiRoutes.length * runsPerRoute - 1);
    expect(prototypeState()).toEqual(prototypesBefore);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
