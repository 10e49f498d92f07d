/**
 * `?dryRun=` on the routes that plan (create, undo, re-execute): `true` plans and writes nothing;
 * absent or `false` does the work; any other value is a bad request, reported with the request's
 * other problems once the caller's scope is settled, as every 400 is.
 */
import type { FieldError } from '#shared/catalogue/types.ts';
import { HttpProblem } from '#shared/http/problem.ts';

/** The error a `dryRun` other than true, false or absent gives a request that is not planned. */
export function dryRunErrors(dryRun: string | undefined): FieldError[] {
  return dryRun === undefined || dryRun === 'false' ? [] : [{ path: 'dryRun', message: 'must be true (plan only, nothing written) or false' }];
}

/** 503 from a runtime that makes no plans. */
export function noPlanner(route: string): never {
  throw new HttpProblem(503, 'Service Unavailable', `this runtime makes no plans: ${route} is not served here`);
}
