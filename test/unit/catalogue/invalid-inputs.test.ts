import { describe, expect, it } from 'vitest';
import { actionTypes, describeCatalogue, findActionType, inputNamesOf } from '#shared/catalogue/index.ts';
import { errorsOf, expectErrorAt, expectErrorPaths, validate } from './expectations.ts';
import { invalidCases as cases } from './invalid-cases.ts';
import { validCases } from './valid-cases.ts';

describe('invalid inputs', () => {
  it('covers every action type of the catalogue', () => {
    // Prepare
    const covered = new Set(cases.map((item) => item.type));

    // Act
    const missing = actionTypes.filter((definition) => !covered.has(definition.type)).map((definition) => definition.type);

    // Assess
    expect(missing).toEqual([]);
  });

  it.each(cases.map((item) => [item.type, item.name, item] as const))('%s: %s', (type, _name, item) => {
    // Prepare
    const inputs = Object.fromEntries(Object.entries(item.inputs).filter(([, value]) => value !== undefined));

    // Act
    const result = validate(type, inputs);

    // Assess
    const message = expectErrorAt(result, item.path);
    if (typeof item.message === 'string') expect(message).toBe(item.message);
    if (item.message instanceof RegExp) expect(message).toMatch(item.message);
    if (item.only === true) expectErrorPaths(result, [item.path]);
  });
});

describe('rules every action type follows', () => {
  const types = actionTypes.map((definition) => definition.type);

  it.each(types)('%s rejects an unknown input by name, listing what it accepts', (type) => {
    // Prepare
    const valid = validCases.find((item) => item.type === type);
    const definition = findActionType(type);
    const accepted = definition === undefined ? [] : inputNamesOf(definition);

    // Act
    const result = validate(type, { ...valid?.inputs, 'no.such.input': 1 });

    // Assess
    const errors = expectErrorPaths(result, ['inputs.no.such.input']);
    expect(errors[0]?.message).toBe(`is not an input of ${type}; it accepts: ${accepted.join(', ')}`);
  });

  it.each(types)('%s rejects empty inputs, naming each required input', (type) => {
    // Prepare
    const described = describeCatalogue().find((entry) => entry.type === type);
    const required = (described?.inputs.required ?? []) as readonly string[];

    // Act
    const result = validate(type, {});

    // Assess
    const errors = errorsOf(result);
    expect(errors.length).toBeGreaterThan(0);
    for (const name of required) expect(errors).toContainEqual({ path: `inputs.${name}`, message: 'is required' });
    for (const error of errors) expect(error.path).toMatch(/^inputs\./);
  });

  const requiredCases = validCases.flatMap((item) => {
    const described = describeCatalogue().find((entry) => entry.type === item.type);
    const required = (described?.inputs.required ?? []) as readonly string[];
    return required.map((name) => [item.type, name, item] as const);
  });

  it.each(requiredCases)('%s without %s says it is required', (type, name, item) => {
    // Prepare
    const inputs = Object.fromEntries(Object.entries(item.inputs).filter(([key]) => key !== name));

    // Act
    const result = validate(type, inputs);

    // Assess
    expectErrorPaths(result, [`inputs.${name}`]);
    expect(expectErrorAt(result, `inputs.${name}`)).toBe('is required');
  });

  const wrongTypeCases = validCases.flatMap((item) => Object.keys(item.inputs).map((name) => [item.type, name, item] as const));

  it.each(wrongTypeCases)('%s rejects an object as %s, at its path', (type, name, item) => {
    // Prepare
    const inputs = { ...item.inputs, [name]: { nested: true } };

    // Act
    const result = validate(type, inputs);

    // Assess
    const message = expectErrorAt(result, `inputs.${name}`);
    expect(message).toMatch(/^must /);
  });
});

describe('the type and the inputs object', () => {
  it('names a missing type and says where the catalogue is', () => {
    // Prepare
    // Act
    const result = validate(undefined, { 'host.id': 'node-7' });

    // Assess
    const errors = expectErrorPaths(result, ['type']);
    expect(errors[0]?.message).toMatch(/^is required: .*GET \/v1\/action-types/);
  });

  it('names an unknown type, suggests a near one, and stays short for a huge one', () => {
    // Prepare
    const huge = 'x'.repeat(100_000);

    // Act
    const typo = validate('kill-proces', {});
    const unknown = validate(huge, {});

    // Assess
    expect(expectErrorPaths(typo, ['type'])[0]?.message).toBe(
      'is "kill-proces", which is not an action type; did you mean kill-process? GET /v1/action-types lists every type and its inputs',
    );
    const message = expectErrorPaths(unknown, ['type'])[0]?.message ?? '';
    expect(message).toContain('GET /v1/action-types');
    expect(message.length).toBeLessThan(200);
  });

  it('rejects a type that is not a string', () => {
    // Prepare
    // Act
    const result = validate(['kill-process'], {});

    // Assess
    expect(expectErrorPaths(result, ['type'])[0]?.message).toMatch(/^must be an action type id/);
  });

  it.each([
    ['an array', [1, 2]],
    ['a string', 'host.id=node-7'],
    ['a number', 7],
    ['a date', new Date(0)],
  ])('rejects %s as the inputs, at inputs', (_name, inputs) => {
    // Prepare
    // Act
    const result = validate('kill-process', inputs);

    // Assess
    const errors = expectErrorPaths(result, ['inputs']);
    expect(errors[0]?.message).toMatch(/^must be an object of input names to values.*kill-process accepts host\.id, process\.id/);
  });

  it.each([null, undefined])('says the inputs are required when they are %s', (inputs) => {
    // Prepare
    // Act
    const result = validate('kill-process', inputs);

    // Assess
    expect(expectErrorPaths(result, ['inputs'])[0]?.message).toMatch(/^is required: an object of input names/);
  });

  it('reports a bad type and bad inputs together', () => {
    // Prepare
    // Act
    const result = validate(42, 'nope');

    // Assess
    expectErrorPaths(result, ['type', 'inputs']);
  });

  it('accepts inputs with a null prototype, as some JSON parsers make them', () => {
    // Prepare
    const inputs = Object.assign(Object.create(null) as Record<string, unknown>, { 'host.id': 'node-7', 'process.id': 7 });

    // Act
    const result = validate('kill-process', inputs);

    // Assess
    expect(result.ok).toBe(true);
  });
});

describe('every error at once', () => {
  it('lists field, unknown-input and cross-field errors of one request together', () => {
    // Prepare
    const inputs = { 'host.id': 'bad host', 'container.id': 'abc', 'container.name': 'web', colour: 'red' };

    // Act
    const result = validate('stop-container', inputs);

    // Assess
    expectErrorPaths(result, ['inputs.host.id', 'inputs.colour', 'inputs.container.name']);
  });

  it('checks the CloudTrail window against the clock even when other inputs are wrong', () => {
    // Prepare
    const inputs = { 'aws.account.id': '1234', 'aws.region': 'us-east-1', fromTimestamp: '2025-01-01T00:00:00Z', toTimestamp: '2027-01-01T00:00:00Z' };

    // Act
    const result = validate('fetch-cloud-logs', inputs);

    // Assess
    expectErrorPaths(result, ['inputs.aws.account.id', 'inputs.ct.user', 'inputs.fromTimestamp', 'inputs.toTimestamp']);
  });

  it('does not repeat a field error as a cross-field one', () => {
    // Prepare
    const inputs = { 'aws.resource.arn': 'arn:aws:s3:::Bad_Bucket' };

    // Act
    const result = validate('make-cloud-resource-private', inputs);

    // Assess
    expectErrorPaths(result, ['inputs.aws.resource.arn']);
  });

  it('judges the window against the clock it is given', () => {
    // Prepare
    const inputs = { 'aws.account.id': '123456789012', 'aws.region': 'us-east-1', 'ct.user': 'alice', fromTimestamp: '2026-01-01T00:00:00Z', toTimestamp: '2026-01-02T00:00:00Z' };

    // Act
    const then = validate('fetch-cloud-logs', inputs, new Date('2026-02-01T00:00:00Z'));
    const later = validate('fetch-cloud-logs', inputs, new Date('2026-06-01T00:00:00Z'));

    // Assess
    expect(then.ok).toBe(true);
    expectErrorPaths(later, ['inputs.fromTimestamp']);
  });
});

describe('never throws for bad input', () => {
  const bodies: readonly (readonly [unknown, unknown])[] = [
    [undefined, undefined],
    [null, null],
    [{}, {}],
    ['constructor', {}],
    ['__proto__', {}],
    ['kill-process', { 'host.id': { toString: 1 }, 'process.id': Number.NaN }],
    ['kill-process', { 'host.id': 'n', 'process.id': Number.POSITIVE_INFINITY, __proto__: { polluted: true } }],
    ['kill-process', JSON.parse('{"host.id":"n","process.id":1,"__proto__":{"x":1}}') as unknown],
    ['get-logs', { 'host.id': null, 'container.id': null, allContainers: null }],
    ['make-cloud-resource-private', { 'aws.resource.arn': 'arn:' + ':'.repeat(10_000), 'aws.account.id': [], 'aws.region': {} }],
    ['fetch-cloud-logs', { fromTimestamp: '9999-12-31T23:59:59Z', toTimestamp: '0000-01-01T00:00:00Z', 'ct.user': '' }],
    ['kubernetes-volume-snapshot', { 'kubernetes.persistentvolume.claim.name': Array.from({ length: 10_000 }, () => 'a') }],
    ['undo-cloud-volume-snapshot', { 'aws.resource.arn': 'x'.repeat(100_000), 'aws.ebs.snapshot.ids': [null] }],
  ];

  it.each(bodies.map((body, index) => [index, body] as const))('body %i', (_index, [type, inputs]) => {
    // Prepare
    // Act
    const act = () => validate(type, inputs);

    // Assess
    expect(act).not.toThrow();
    expect(act().ok).toBe(false);
  });
});
