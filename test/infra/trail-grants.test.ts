/**
 * The trail's grants as IAM would judge them (@cloud-copilot/iam-simulate over the synthesized
 * service template, every identity policy of each role as deployed): every function that writes
 * actions, approvals or decisions (and the one handing out evidence URLs) may append under
 * `trail/` of the evidence bucket and find the head there, and nothing more: no delete, no
 * retention change, no other prefix; functions that write none of these get no trail at all.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, type ResponseActionsApp } from '#infra/build-app.ts';
import { routesWritingNoTrailRecord, trailRoutes } from '#infra/constructs/grant-trail.ts';
import type { ServiceFunction } from '#infra/constructs/service-function.ts';
import { apiRoutes } from '#functions/api/routes.ts';
import { evaluate } from './support/intrinsics.ts';
import { inService, logicalIdOf, memberSettings, MemberRoles, serviceAccount, simulate, type PolicyDocumentJson } from './support/member-roles.ts';
import { makeTempDir, stubOutAwsEnvironment, testContext } from './support/synth.ts';
import { resourcesOf } from './support/template.ts';

describe('trail grants, simulated (@cloud-copilot/iam-simulate)', () => {
  const outdir = makeTempDir('trail-grants');
  let built: ResponseActionsApp;
  let service: Template;
  let roles: MemberRoles;
  let bucketArn: string;
  let call: (fn: IConstruct & { executionRole: IConstruct }, action: string, resource: string, context?: Record<string, string>) => Promise<string>;

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    built = buildApp({ outdir: outdir.path, context: testContext(memberSettings) });
    service = Template.fromStack(built.serviceStack);
    roles = new MemberRoles(built, Template.fromStack(built.memberAccountStack), service);
    const policiesOf = (roleLogicalId: string): { name: string; policy: PolicyDocumentJson }[] =>
      resourcesOf(service, 'AWS::IAM::Policy')
        .filter(([, policy]) => (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })))
        .map(([logicalId, policy]) => ({ name: logicalId, policy: evaluate(policy.Properties.PolicyDocument, inService) as PolicyDocumentJson }));
    const markStatusPolicies = JSON.stringify(policiesOf(logicalIdOf(built.serviceStack.markStatus.executionRole)));
    const found = /"(arn:aws:s3:::[^"/]+)\/trail\/\*"/.exec(markStatusPolicies)?.[1];
    if (found === undefined) throw new Error('MarkStatus has no grant on trail/*');
    bucketArn = found;
    call = (fn, action, resource, context = {}) =>
      simulate({
        principal: roles.serviceRoleArn(logicalIdOf(fn.executionRole)),
        action,
        resource,
        context,
        identityPolicies: policiesOf(logicalIdOf(fn.executionRole)),
        resourceAccount: serviceAccount,
      });
    // Synthesizing the whole app takes minutes on a busy 2-core machine: a bound, not a measurement.
  }, 600_000);

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  const writers = (): [string, ServiceFunction][] => {
    const stack = built.serviceStack;
    return [
      ['MarkStatus', stack.markStatus],
      ...Object.entries(stack.families).map(([name, family]): [string, ServiceFunction] => [`${name} family step`, family.stepFunction]),
      ['responder dispatch', stack.responder.dispatchFunction],
      ['playbook step', stack.playbooks.stepFunction],
      ['findings ingest', stack.findings.function],
      ...[...trailRoutes].map((id): [string, ServiceFunction] => [id, stack.api.functions[id] as ServiceFunction]),
    ];
  };

  it('classifies every route that writes the history table: it appends to the trail, or writes nothing the trail covers', () => {
    const writing = apiRoutes.filter((route) => route.needs.includes('history:write')).map((route) => route.id);
    expect(writing.filter((id) => !trailRoutes.has(id) && !routesWritingNoTrailRecord.has(id))).toEqual([]);
  });

  it('lets each writer put and get trail entries and list the trail prefix, with TRAIL_BUCKET set', async () => {
    for (const [name, fn] of writers()) {
      expect(await call(fn, 's3:PutObject', `${bucketArn}/trail/000000000042.json`), name).toBe('Allowed');
      expect(await call(fn, 's3:GetObject', `${bucketArn}/trail/000000000041.json`), name).toBe('Allowed');
      expect(await call(fn, 's3:ListBucket', bucketArn, { 's3:prefix': 'trail/' }), name).toBe('Allowed');
      const environment = (service.toJSON() as { Resources: Record<string, { Properties: { Environment?: { Variables?: Record<string, unknown> } } }> }).Resources[logicalIdOf(fn)]?.Properties.Environment?.Variables;
      expect(environment?.['TRAIL_BUCKET'], name).toBeDefined();
    }
  });

  it('gives a writer nothing more: no delete, no retention change or bypass, no other prefix, no listing beyond trail/', async () => {
    const markStatus = built.serviceStack.markStatus;
    for (const [name, fn] of writers()) {
      for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectRetention', 's3:BypassGovernanceRetention', 's3:PutObjectLegalHold']) {
        expect(await call(fn, action, `${bucketArn}/trail/000000000001.json`), `${name} ${action}`).not.toBe('Allowed');
      }
    }
    expect(await call(markStatus, 's3:PutObject', `${bucketArn}/actions/a1/log.json`)).not.toBe('Allowed');
    expect(await call(markStatus, 's3:GetObject', `${bucketArn}/actions/a1/log.json`)).not.toBe('Allowed');
    expect(await call(markStatus, 's3:ListBucket', bucketArn, { 's3:prefix': 'actions/' })).not.toBe('Allowed');
    expect(await call(markStatus, 's3:PutObject', `${bucketArn}/trailer.json`)).not.toBe('Allowed');
  });

  it('gives functions that write nothing the trail covers no trail grant', async () => {
    const stack = built.serviceStack;
    const readers: [string, ServiceFunction][] = [
      ['sweep responders', stack.sweepResponders],
      ...['GetAction', 'ListApprovals', 'ListEvents', 'RegisterResponder', 'ResetAutomationRule'].map((id): [string, ServiceFunction] => [id, stack.api.functions[id] as ServiceFunction]),
    ];
    for (const [name, fn] of readers) {
      expect(await call(fn, 's3:PutObject', `${bucketArn}/trail/000000000042.json`), name).not.toBe('Allowed');
      expect(await call(fn, 's3:ListBucket', bucketArn, { 's3:prefix': 'trail/' }), name).not.toBe('Allowed');
    }
  });
});
