/**
 * dispatch-work's SendTaskHeartbeat grant as IAM would judge it (@cloud-copilot/iam-simulate over
 * the synthesized service template, every identity policy attached to its role as deployed), and
 * the statement itself: it may heartbeat tasks of the responder state machine and nothing more in
 * Step Functions: not end them (SendTaskSuccess/Failure are the report route's), not start, stop or
 * read executions, and not heartbeat any other state machine's tasks.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, type ResponseActionsApp } from '#infra/build-app.ts';
import { evaluate } from './support/intrinsics.ts';
import { inService, logicalIdOf, memberSettings, MemberRoles, serviceAccount, simulate, type PolicyDocumentJson } from './support/member-roles.ts';
import { makeTempDir, stubOutAwsEnvironment, testContext } from './support/synth.ts';
import { resourcesOf } from './support/template.ts';

/** A state machine's ARN as deployed, from its logical id (the template only says `Ref`). */
const machineArn = (logicalId: string): string => `arn:aws:states:${inService.region}:${serviceAccount}:stateMachine:${logicalId}`;

describe('dispatch-work heartbeat grant, simulated (@cloud-copilot/iam-simulate)', () => {
  const outdir = makeTempDir('dispatch-heartbeat-grant');
  let built: ResponseActionsApp;
  let machines: string[];
  let policies: { name: string; policy: PolicyDocumentJson }[];
  let roles: MemberRoles;
  let call: (action: string, resource: string) => Promise<string>;

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    built = buildApp({ outdir: outdir.path, context: testContext(memberSettings) });
    const service = Template.fromStack(built.serviceStack);
    roles = new MemberRoles(built, Template.fromStack(built.memberAccountStack), service);
    machines = resourcesOf(service, 'AWS::StepFunctions::StateMachine').map(([logicalId]) => logicalId);
    const role = logicalIdOf(built.serviceStack.responder.dispatchFunction.executionRole);
    policies = resourcesOf(service, 'AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties.Roles as unknown[]).some((each) => JSON.stringify(each) === JSON.stringify({ Ref: role })))
      .map(([logicalId, policy]) => {
        // Each state machine's `<Ref:LogicalId>` placeholder becomes its ARN, so IAM can match it.
        const text = JSON.stringify(evaluate(policy.Properties.PolicyDocument, inService)).replace(/<Ref:(\w+)>/g, (whole, id: string) => (machines.includes(id) ? machineArn(id) : whole));
        return { name: logicalId, policy: JSON.parse(text) as PolicyDocumentJson };
      });
    call = (action, resource) =>
      simulate({ principal: roles.serviceRoleArn(role), action, resource, context: {}, identityPolicies: policies, resourceAccount: serviceAccount });
    // Synthesizing the whole app takes minutes on a busy 2-core machine: a bound, not a measurement.
  }, 600_000);

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  const responder = (): string => machineArn(logicalIdOf(built.serviceStack.responder.stateMachine));

  // iam-simulate models states:SendTaskHeartbeat (like SendTaskSuccess/Failure) as wildcard-only, after the Service
  // Authorization Reference, and refuses to simulate it on a state machine ARN ("must.use.wildcard"); Step Functions itself
  // authorizes the callbacks against the state machine of the task's execution (its AccessDenied names that ARN), which is
  // how the report route's grant (task-callbacks) is scoped too. So the simulator proves what it can model: no wildcard grant
  // of any callback, and no other Step Functions call; the exact statement below pins the scoped grant itself.
  it('grants no callback on every resource: SendTaskHeartbeat, SendTaskSuccess and SendTaskFailure on * are not allowed', async () => {
    for (const action of ['states:SendTaskHeartbeat', 'states:SendTaskSuccess', 'states:SendTaskFailure']) {
      expect(await call(action, '*'), action).not.toBe('Allowed');
    }
  });

  it('denies starting, stopping and reading executions of the responder state machine and of every other one', async () => {
    expect(machines).toContain(logicalIdOf(built.serviceStack.responder.stateMachine));
    for (const id of machines) {
      const execution = machineArn(id).replace(':stateMachine:', ':execution:') + ':action-1';
      expect(await call('states:StartExecution', machineArn(id)), id).not.toBe('Allowed');
      expect(await call('states:DescribeStateMachine', machineArn(id)), id).not.toBe('Allowed');
      expect(await call('states:StopExecution', execution), id).not.toBe('Allowed');
      expect(await call('states:DescribeExecution', execution), id).not.toBe('Allowed');
    }
  });

  it('holds the grant in one statement of one action on one resource', () => {
    const statements = policies.flatMap(({ policy }) => policy.Statement).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('states:')));
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'states:SendTaskHeartbeat', Resource: responder() }]);
  });
});
