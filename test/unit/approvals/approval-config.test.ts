import { describe, expect, it } from 'vitest';
import { parseApprovalQuery } from '#functions/api/list-approvals.ts';
import { awsResource, hostResource, kubernetesResource } from '#shared/catalogue/resource-keys.ts';
import { loadConfig } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { HttpProblem } from '#shared/http/problem.ts';
import { approvalQueryParameters, openApiDocument } from '#shared/http/openapi.ts';
import { requiresApproval } from '#shared/use-cases/approval-gate.ts';

function configError(env: Record<string, string>): ConfigError | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

function queryErrors(query: Record<string, string>): string[] {
  try {
    parseApprovalQuery(query);
    return [];
  } catch (error) {
    if (!(error instanceof HttpProblem)) throw error;
    return (error.errors ?? []).map((problem) => problem.path);
  }
}

describe('APPROVAL_REQUIRED and APPROVAL_TTL_SECONDS', () => {
  it('default to no approvals and an hour', () => {
    // Act
    const config = loadConfig({});

    // Assess
    expect(config.approvalRequired).toEqual([]);
    expect(config.approvalTtlSeconds).toBe(3600);
  });

  it('read comma-separated ARN and resource-key patterns, and the TTL', () => {
    // Act
    const config = loadConfig({
      APPROVAL_REQUIRED: ' arn:aws:iam::*:role/prod-* , host/db-*,k8s/prod/*, aws-identity/123456789012/*,* ',
      APPROVAL_TTL_SECONDS: '900',
    });

    // Assess
    expect(config.approvalRequired).toEqual(['arn:aws:iam::*:role/prod-*', 'host/db-*', 'k8s/prod/*', 'aws-identity/123456789012/*', '*']);
    expect(config.approvalTtlSeconds).toBe(900);
  });

  it.each([
    [{ APPROVAL_REQUIRED: 'prod-*' }, 'APPROVAL_REQUIRED'],
    [{ APPROVAL_REQUIRED: 'arn:aws:iam::12:user/x' }, 'APPROVAL_REQUIRED'],
    [{ APPROVAL_REQUIRED: 'host/ok, hosts/typo' }, 'APPROVAL_REQUIRED'],
    [{ APPROVAL_REQUIRED: 'host/web 1' }, 'APPROVAL_REQUIRED'],
    [{ APPROVAL_TTL_SECONDS: '0' }, 'APPROVAL_TTL_SECONDS'],
    [{ APPROVAL_TTL_SECONDS: '59' }, 'APPROVAL_TTL_SECONDS'],
    [{ APPROVAL_TTL_SECONDS: '604801' }, 'APPROVAL_TTL_SECONDS'],
    [{ APPROVAL_TTL_SECONDS: '1.5' }, 'APPROVAL_TTL_SECONDS'],
    [{ APPROVAL_TTL_SECONDS: 'an hour' }, 'APPROVAL_TTL_SECONDS'],
  ])('refuses %j, naming %s', (env, variable) => {
    // Act
    const error = configError(env);

    // Assess
    expect(error?.variable).toBe(variable);
    expect(error?.message).toMatch(new RegExp(`^${variable}: `));
  });
});

describe('which targets need approval', () => {
  const patterns = ['arn:aws:iam::*:user/break-glass', 'host/web-*', 'k8s/prod/*'];

  it('matches resource keys and IAM names on any path, in any case, as protected targets do', () => {
    // Assess
    expect(requiresApproval(patterns, [awsResource('arn:aws:iam::111122223333:user/ops/Break-Glass')], {})).toBe(true);
    expect(requiresApproval(patterns, [hostResource('web-7')], {})).toBe(true);
    expect(requiresApproval(patterns, [kubernetesResource('prod', 'shop', 'pod', 'cart-1')], {})).toBe(true);
    expect(requiresApproval(patterns, [hostResource('db-1')], {})).toBe(false);
    expect(requiresApproval(patterns, [kubernetesResource('staging', 'prod', 'pod', 'x')], {})).toBe(false);
    expect(requiresApproval([], [hostResource('web-7')], {})).toBe(false);
  });

  it('also looks at every ARN input, not only the resource the record is listed under', () => {
    // Assess
    expect(requiresApproval(patterns, [{ key: 'aws-identity/111122223333/someone', kind: 'aws.identity' }], {
      'ct.user.arn': 'arn:aws:iam::111122223333:user/break-glass',
    })).toBe(true);
    expect(requiresApproval(['*'], [hostResource('anything')], {})).toBe(true);
  });
});

describe('GET /v1/approvals query', () => {
  it('accepts exactly the parameters the OpenAPI document describes, within its bounds', () => {
    // Prepare
    const documented = (openApiDocument() as { paths: Record<string, { get?: { parameters?: { name: string }[] } }> }).paths['/v1/approvals']?.get?.parameters ?? [];

    // Assess
    expect(documented.map((parameter) => parameter.name).sort()).toEqual(Object.keys(approvalQueryParameters).sort());
    expect(parseApprovalQuery({})).toEqual({ limit: 50 });
    expect(parseApprovalQuery({ status: 'expired', limit: '100', cursor: 'c' })).toEqual({ status: 'expired', limit: 100, cursor: 'c' });
    expect(queryErrors({ status: 'open' })).toEqual(['status']);
    expect(queryErrors({ limit: '101' })).toEqual(['limit']);
    expect(queryErrors({ limit: '0' })).toEqual(['limit']);
    expect(queryErrors({ createdBy: 'x', cursor: '' })).toEqual(['createdBy', 'cursor']);
  });
});

describe('the OpenAPI record and approval schemas', () => {
  it('carry the trigger a record and an approval answer with', () => {
    // Prepare
    const schemas = (openApiDocument() as { components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> } }).components.schemas;

    // Assess
    for (const name of ['ActionRecord', 'Approval']) {
      expect(schemas[name]?.required, name).toContain('trigger');
      expect(JSON.stringify(schemas[name]?.properties?.['trigger']), name).toContain('approvedBy');
    }
    expect(Object.keys(schemas['Approval']?.properties ?? {})).not.toContain('origin');
  });
});
