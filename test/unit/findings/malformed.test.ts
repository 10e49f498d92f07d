import { describe, expect, it } from 'vitest';
import type { FieldError } from '#shared/catalogue/types.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { InvalidFindingError, normaliseEvent } from '#shared/findings/index.ts';
import { problemFor } from '#shared/http/problem.ts';
import { fixture } from './fixtures.ts';

/* Every refused body names the field that is wrong, as the route's 400 will. */

function refusal(body: unknown): readonly FieldError[] {
  try {
    normaliseEvent(body);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidFindingError);
    return (error as InvalidFindingError).errors;
  }
  throw new Error('the body was accepted');
}

type Json = Record<string, unknown>;
const guardDuty = () => fixture('written/guardduty-credential-access-iam-user.json') as Json & { detail: Json & { resource: Json & { accessKeyDetails: Json } } };
const pascal = () => fixture('written/guardduty-getfindings-pascalcase.json') as Json & { detail: Json & { Resource: Json; Service: Json } };
const customAction = () => fixture('written/securityhub-custom-action-several-findings.json') as Json & { detail: { findings: Json[] } };
const ocsf = () => fixture('written/securityhub-v2-ocsf-detection-ec2.json') as Json & { detail: { findings: Json[] } };
const falco = () => fixture('written/falco-terminal-shell-in-container.json') as Json;

describe('malformed finding bodies', () => {
  it('is an InvalidInputError, so the HTTP table answers 400 with the field errors', () => {
    // Prepare
    const body = guardDuty();
    body.detail.resource.accessKeyDetails.userName = 42;

    // Act
    let thrown: unknown;
    try {
      normaliseEvent(body);
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect((thrown as Error).name).toBe('InvalidFindingError');
    expect(problemFor(thrown)?.status).toBe(400);
    expect(problemFor(thrown)?.errors).toEqual([{ path: 'detail.resource.accessKeyDetails.userName', message: 'must be a string, not a number' }]);
  });

  it.each<[string, () => unknown, FieldError[]]>([
    ['a GuardDuty type missing', () => ({ ...guardDuty(), detail: { ...guardDuty().detail, type: undefined } }), [{ path: 'detail.type', message: 'is required' }]],
    ['a GuardDuty severity as text', () => ({ ...guardDuty(), detail: { ...guardDuty().detail, severity: 'HIGH' } }), [{ path: 'detail.severity', message: 'must be a number, not a string' }]],
    ['a GuardDuty severity above 10', () => ({ ...guardDuty(), detail: { ...guardDuty().detail, severity: 11 } }), [{ path: 'detail.severity', message: 'must be at most 10' }]],
    ['a GuardDuty accountId that is no account', () => ({ ...guardDuty(), detail: { ...guardDuty().detail, accountId: '12345' } }), [{ path: 'detail.accountId', message: 'must be a 12-digit AWS account id' }]],
    ['an envelope account that is no account', () => ({ ...guardDuty(), account: 'acme' }), [{ path: 'account', message: 'must be a 12-digit AWS account id' }]],
    ['an envelope time that is no timestamp', () => ({ ...guardDuty(), time: 'yesterday' }), [{ path: 'time', message: 'must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-20T10:00:00Z' }]],
    ['an envelope without detail-type', () => ({ ...guardDuty(), 'detail-type': undefined }), [{ path: 'detail-type', message: 'is required' }]],
    ['a detail that is a list', () => ({ ...guardDuty(), detail: [] }), [{ path: 'detail', message: 'must be an object' }]],
    [
      'a source that sends no findings',
      () => ({ ...guardDuty(), source: 'aws.ec2' }),
      [{ path: 'source', message: 'must be aws.guardduty or aws.securityhub (Falco alerts are posted as Falco writes them, without an envelope)' }],
    ],
    [
      'a detail type of another Security Hub event',
      () => ({ ...customAction(), 'detail-type': 'Security Hub Insight Results' }),
      [{ path: 'detail-type', message: 'must be one of "Security Hub Findings - Imported", "Security Hub Findings - Custom Action", "Findings Imported V2" for source aws.securityhub' }],
    ],
    ['a Security Hub event with no findings', () => ({ ...customAction(), detail: { findings: [] } }), [{ path: 'detail.findings', message: 'must have at least 1 item' }]],
  ])('%s', (_name, body, errors) => {
    expect(refusal(body())).toEqual(errors);
  });

  it('GetFindings PascalCase: the path names the keys as sent', () => {
    // Prepare
    const body = pascal();
    (body.detail.Resource as { AccessKeyDetails: Json }).AccessKeyDetails.UserName = ['root'];

    // Act / Assess
    expect(refusal(body)).toEqual([{ path: 'detail.Resource.AccessKeyDetails.UserName', message: 'must be a string, not a list' }]);
  });

  it('GetFindings: a field given twice, in both spellings, is refused rather than one silently winning', () => {
    // Prepare
    const body = pascal();
    body.detail.Service.count = 1;

    // Act / Assess
    expect(refusal(body)).toEqual([{ path: 'detail.Service.count', message: 'is given twice, as Count and count; give it once' }]);
  });

  it('GetFindings: AdditionalInfo.Value that is not JSON', () => {
    // Prepare
    const body = pascal();
    body.detail.Service.AdditionalInfo = { Value: '{sample:true', Type: 'default' };

    // Act / Assess
    expect(refusal(body)).toEqual([{ path: 'detail.Service.AdditionalInfo.Value', message: "must be the finding's additional information as JSON text" }]);
  });

  it('ASFF: the second finding of a custom action, its resource without an Id; every error listed', () => {
    // Prepare
    const body = customAction();
    const second = body.detail.findings[1] as { Resources: Json[]; AwsAccountId: unknown };
    delete second.Resources[0]?.Id;
    second.AwsAccountId = 111122223333;

    // Act / Assess
    expect(refusal(body)).toEqual([
      { path: 'detail.findings[1].AwsAccountId', message: 'must be a string, not a number' },
      { path: 'detail.findings[1].Resources[0].Id', message: 'is required' },
    ]);
  });

  it('ASFF: a finding with neither Severity.Label nor Normalized', () => {
    // Prepare
    const body = customAction();
    (body.detail.findings[0] as Json).Severity = { Original: 'bad' };

    // Act / Assess
    expect(refusal(body)).toEqual([{ path: 'detail.findings[0].Severity', message: 'must give Label or Normalized' }]);
  });

  it('OCSF: a class that is not a finding', () => {
    // Prepare
    const body = ocsf();
    (body.detail.findings[0] as Json).class_uid = 1001;

    // Act / Assess
    expect(refusal(body)).toEqual([{ path: 'detail.findings[0].class_uid', message: 'must be an OCSF finding class: 2002, 2003, 2004 (2004 is Detection Finding)' }]);
  });

  it.each<[string, Json, FieldError[]]>([
    ['a priority Falco does not have', { priority: 'Loud' }, [{ path: 'priority', message: "must be one of Falco's priorities: Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug" }]],
    ['output_fields that is text', { output_fields: 'container.id=abc' }, [{ path: 'output_fields', message: 'must be an object, not a string' }]],
    [
      'an output field holding an object',
      { output_fields: { 'proc.pid': { value: 1 } } },
      [{ path: 'output_fields["proc.pid"]', message: 'must be a string, a number, true, false, null or a list of strings and numbers' }],
    ],
    ['a rule with a control character', { rule: 'shell\u0007' }, [{ path: 'rule', message: 'must not contain control characters' }]],
    ['no rule', { rule: undefined }, [{ path: 'rule', message: 'is required' }]],
  ])('Falco: %s', (_name, overrides, errors) => {
    expect(refusal({ ...falco(), ...overrides })).toEqual(errors);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a list', [guardDuty()]],
    ['a string', 'GuardDuty Finding'],
    ['an object of neither kind', { findings: [] }],
  ])('a body that is %s', (_name, body) => {
    expect(refusal(body)).toEqual([
      {
        path: '(body)',
        message:
          'must be one EventBridge event (version, id, detail-type, source, account, time, region, resources, detail) or one Falco alert (rule, priority, time, output, output_fields)',
      },
    ]);
  });
});

describe('hostile finding bodies', () => {
  it('a __proto__ key anywhere is refused by name, and nothing gets that prototype', () => {
    // Prepare: JSON.parse makes __proto__ an own key, as a request body would
    const body: unknown = JSON.parse(
      JSON.stringify(guardDuty()).replace('"service":{', '"service":{"__proto__":{"archived":true,"polluted":true},'),
    );

    // Act
    const errors = refusal(body);

    // Assess
    expect(errors).toEqual([{ path: 'detail.service.__proto__', message: 'is not a field any finding has; remove it' }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('Falco output_fields with constructor and prototype keys: read as plain data, nothing polluted', () => {
    // Act
    const event = normaliseEvent({ ...falco(), output_fields: { constructor: 'x', prototype: ['a'], 'proc.pid': 7, toString: 'y', hasOwnProperty: 1 } });

    // Assess
    expect(event.findings[0]?.resource?.inputs).toEqual({ 'host.id': 'node-7', 'process.id': 7 });
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(typeof ({} as { toString: unknown }).toString).toBe('function');
  });

  it('nesting deeper than 32 levels is refused where it goes too deep', () => {
    // Prepare
    let deep: unknown = 'bottom';
    for (let level = 0; level < 40; level += 1) deep = { next: deep };

    // Act / Assess
    expect(refusal({ ...guardDuty(), detail: deep })).toEqual([
      { path: `detail${'.next'.repeat(31)}`, message: 'nests deeper than 32 levels' },
    ]);
  });

  it('a string over 64 KiB, a list over 1000 items and an object over 1000 fields are refused, naming each place', () => {
    // Prepare
    const long = { ...falco(), output: 'x'.repeat(65_537) };
    const wide = { ...guardDuty(), resources: Array.from({ length: 1001 }, () => 'arn') };
    const fields = { ...falco(), output_fields: Object.fromEntries(Array.from({ length: 1001 }, (_, index) => [`f${index}`, index])) };

    // Act / Assess
    expect(refusal(long)).toEqual([{ path: 'output', message: 'must be at most 65536 characters long' }]);
    expect(refusal(wide)).toEqual([{ path: 'resources', message: 'must have at most 1000 items' }]);
    expect(refusal(fields)).toEqual([{ path: 'output_fields', message: 'must have at most 1000 fields' }]);
  });

  it('a Security Hub event with more findings than any custom action sends', () => {
    // Prepare
    const body = customAction();
    body.detail.findings = Array.from({ length: 101 }, () => body.detail.findings[0] as Json);

    // Act / Assess
    expect(refusal(body)).toEqual([{ path: 'detail.findings', message: 'must have at most 100 items' }]);
  });
});
