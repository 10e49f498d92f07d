/**
 * LambdaCloudPlanner, as the API uses it in AWS, invoking the IAM family's function against moto.
 * No server here runs Lambda functions (moto's Lambda needs images this run cannot pull), so a
 * small server speaks Lambda's Invoke protocol (POST /2015-03-31/functions/{name}/invocations; a
 * thrown error answers 200 with X-Amz-Function-Error and { errorType, errorMessage, trace }, as
 * Lambda's Node.js runtime does) and runs the real family handler, which plans against moto.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import type { IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LambdaCloudPlanner } from '#functions/api/aws/cloud-planner.ts';
import { createActionStepHandler } from '#shared/actions/action-step.ts';
import { InvalidStepEventError, ProtectedTargetError, TargetAccountNotAllowedError, UnsupportedActionTypeError } from '#shared/actions/errors.ts';
import { iamFamily } from '#shared/actions/iam/index.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { systemClock } from '#shared/clock.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { startCloudActionHarness, type CloudActionHarness } from '#test/support/cloud-action-harness.ts';
import { historyItemCount } from '#test/support/cloud-plans.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';
import { createUser, motoAccountId, motoIamClient } from '#test/support/moto-iam.ts';

const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';

let harness: CloudActionHarness;
let sts: STSClient;
let iam: IAMClient;
let server: Server;
let lambda: LambdaClient;
let planner: LambdaCloudPlanner;
/** Each invocation the server received: the function's name and its event. */
const invocations: { functionName: string; event: unknown }[] = [];

beforeAll(async () => {
  harness = await startCloudActionHarness(inject('motoEndpoint'), { families: [iamFamily], protectedTargets: 'arn:aws:iam::*:user/breakglass' });
  iam = motoIamClient(inject('motoEndpoint'));
  sts = new STSClient({ region: 'us-east-1', credentials: emulatorCredentials });
  const sessions = new StsMemberSessions({ sts, roleName: harness.config.memberRole.name, externalId: harness.config.memberRole.externalId });
  const handler = createActionStepHandler({ repository: harness.repository, config: harness.config, sessions, family: iamFamily, clock: systemClock });
  server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const functionName = decodeURIComponent(/^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '')?.[1] ?? '');
      const event: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      invocations.push({ functionName, event });
      if (functionName !== 'iam-steps') {
        response.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        response.end(JSON.stringify({ message: `Function not found: ${functionName}` }));
        return;
      }
      try {
        const answer = await handler(event);
        response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
        response.end(JSON.stringify(answer));
      } catch (error) {
        const thrown = error instanceof Error ? error : new Error(String(error));
        response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', 'x-amz-function-error': 'Unhandled' });
        response.end(JSON.stringify({ errorType: thrown.name, errorMessage: thrown.message, trace: [] }));
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => {
    resolve();
  }));
  lambda = new LambdaClient({ endpoint: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, region: 'us-east-1', credentials: emulatorCredentials });
  planner = new LambdaCloudPlanner({ client: lambda, functions: { iam: 'iam-steps', ec2: 'ec2-steps' } });
});

afterAll(async () => {
  lambda.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => {
    resolve();
  }));
  sts.destroy();
  iam.destroy();
  await harness.close();
});

describe('LambdaCloudPlanner', () => {
  it('invokes the family function of the type with { plan } and answers its plan', async () => {
    // Prepare
    const name = `alice-${randomUUID().slice(0, 8)}`;
    const arn = await createUser(iam, name);
    const request = { type: 'iam-quarantine', inputs: { 'aws.resource.arn': arn }, undoOf: null };
    const itemsBefore = await historyItemCount(harness.historyTable);
    const from = invocations.length;

    // Act
    const result = await planner.plan(request);

    // Assess
    expect(invocations.slice(from)).toEqual([{ functionName: 'iam-steps', event: { plan: request } }]);
    expect(result).toEqual({
      prior: { principal: { type: 'user', name, arn, id: expect.any(String) as string }, attachedPolicies: [], inlinePolicyNames: [] },
      changes: [{ call: 'iam:AttachUserPolicy', target: arn, detail: `attach AWSDenyAll (${denyAll}) to IAM user ${name}` }],
    });
    expect(await historyItemCount(harness.historyTable)).toBe(itemsBefore);
  });

  it('throws the function\'s guard refusals as the same named errors, with no call in the target account', async () => {
    // Prepare
    const from = harness.front.requests.length;

    // Act
    const outside = await planner.plan({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': 'arn:aws:iam::210987654321:user/mallory' }, undoOf: null }).catch((error: unknown) => error);
    const guarded = await planner.plan({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': `arn:aws:iam::${motoAccountId}:user/breakglass` }, undoOf: null }).catch((error: unknown) => error);

    // Assess
    expect(outside).toBeInstanceOf(TargetAccountNotAllowedError);
    expect((outside as Error).message).toBe('account 210987654321 is not in TARGET_ACCOUNTS, so no action may touch it; nothing was called');
    expect(guarded).toBeInstanceOf(ProtectedTargetError);
    expect((guarded as ProtectedTargetError).code).toBe('ProtectedTarget');
    expect(harness.front.requests.slice(from)).toEqual([]);
  });

  it('throws InvalidInputError for inputs the function refuses, InvalidStepEvent for an event it refuses, and UnsupportedActionType without invoking for a type no configured function plans', async () => {
    // Prepare
    const from = invocations.length;

    // Act
    const invalid = await planner.plan({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': 'not-an-arn' }, undoOf: null }).catch((error: unknown) => error);
    const malformed = await planner.plan({ type: 'iam-quarantine', inputs: {}, undoOf: null, extra: true } as never).catch((error: unknown) => error);
    const invocationsBefore = invocations.length;
    const unconfigured = await planner.plan({ type: 'deactivate-access-keys', inputs: {}, undoOf: null }).catch((error: unknown) => error);
    const notCloud = await planner.plan({ type: 'kill-process', inputs: {}, undoOf: null }).catch((error: unknown) => error);

    // Assess
    expect(invalid).toBeInstanceOf(InvalidInputError);
    expect((invalid as InvalidInputError).message).toContain('inputs.aws.resource.arn');
    expect(malformed).toBeInstanceOf(InvalidStepEventError);
    expect(unconfigured).toBeInstanceOf(UnsupportedActionTypeError);
    expect(notCloud).toBeInstanceOf(UnsupportedActionTypeError);
    expect(invocations.length).toBe(invocationsBefore);
    expect(invocations.slice(from).map((invocation) => invocation.functionName)).toEqual(['iam-steps', 'iam-steps']);
  });
});
