import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidFindingError, normaliseEvent } from '#shared/findings/index.ts';
import { fixture } from './fixtures.ts';

/*
 * Whatever JSON arrives, the normalisers answer with a normalised event or the one named
 * validation error: never another exception, never a hang (every run is bounded by the body
 * limits), never a change to Object.prototype.
 */

function outcome(body: unknown): 'accepted' | 'refused' {
  try {
    normaliseEvent(body);
    return 'accepted';
  } catch (error) {
    if (error instanceof InvalidFindingError && error.errors.length > 0) return 'refused';
    throw error;
  }
}

/** The keys that matter to the normalisers and to prototype pollution, mixed into random objects. */
const interestingKeys = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'detail',
  'detail-type',
  'source',
  'findings',
  'rule',
  'output_fields',
  'resource',
  'Resource',
  'Id',
  'id',
  'Type',
  'type',
  'class_uid',
);
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string(), interestingKeys), tie('value'), { maxKeys: 6 }),
  ),
})).value;

/** A real fixture with one place replaced by random JSON, so the search reaches deep into each schema. */
const fixtures = [
  'real/c7n__cwe__iam-duty-event__guardduty-finding-accesskey.json',
  'written/guardduty-getfindings-pascalcase.json',
  'written/guardduty-runtime-eks-deployment.json',
  'written/securityhub-custom-action-several-findings.json',
  'written/securityhub-v2-ocsf-detection-ec2.json',
  'written/falco-terminal-shell-in-container.json',
].map((path) => fixture(path));

function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => paths(item, [...prefix, key]))];
}

function replaced(body: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(body)) {
    const list: unknown[] = [...(body as unknown[])];
    list[Number(head)] = replaced(list[Number(head)], rest, value);
    return list;
  }
  const object: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  object[String(head)] = replaced(object[String(head)], rest, value);
  return object;
}

/** JSON.parse of JSON.stringify makes any `__proto__` an own key, as a request body parser does. */
const asParsed = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('normalisers under random JSON', () => {
  it('random JSON bodies: accepted or refused with the named error, Object.prototype untouched', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        outcome(asParsed(value));
        expect(Object.keys(Object.prototype)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('real findings with one field replaced by random JSON: accepted or refused with the named error', () => {
    const places = fixtures.flatMap((body, index) => paths(body).map((path) => [index, path] as const));
    fc.assert(
      fc.property(fc.constantFrom(...places), jsonValue, ([index, path], value) => {
        outcome(asParsed(replaced(fixtures[index], path, value)));
        expect(Object.keys(Object.prototype)).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it('bodies as deep and wide as the limits allow are answered in bounded work', () => {
    // Prepare: deep nesting and wide lists right at and past the limits
    let deep: unknown = 1;
    for (let level = 0; level < 10_000; level += 1) deep = [deep];
    const wide = { rule: 'x', output_fields: Object.fromEntries(Array.from({ length: 100_000 }, (_, index) => [`k${index}`, index])) };

    // Act / Assess: refused, not a stack overflow
    expect(outcome(deep)).toBe('refused');
    expect(outcome(wide)).toBe('refused');
  });
});
