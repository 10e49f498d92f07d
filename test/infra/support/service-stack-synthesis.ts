/**
 * The service stack tests' synthesis (one per test file) and what they share: the deployment's
 * settings, the grants each route's needs entitle it to, and lookups from constructs to the template.
 */
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Policy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import type { ResponseActionsApp } from '#infra/build-app.ts';
import { historyTableActions } from '#infra/constructs/grant-history-table.ts';
import type { ServiceFunction } from '#infra/constructs/service-function.ts';
import { apiRoutes } from '#functions/api/routes.ts';
import type { ApiRoute } from '#functions/api/routes.ts';
import { historyTableDesign } from '#shared/history/table-design.ts';
import { fullyConfigured } from './deployments.ts';
import { evaluate, grantsOfPolicy, symbolic } from './intrinsics.ts';
import { makeTempDir, stubOutAwsEnvironment, synthesize, testContext } from './synth.ts';
import type { SynthesisResult } from './synth.ts';
import { resourceById } from './template.ts';
import type { TemplateResource } from './template.ts';
import { trailRoutes } from '#infra/constructs/grant-trail.ts';

export const settings = fullyConfigured;
export const account = '123456789012';
export const deployedRoutes = apiRoutes;
export const viaS3 = 'if {"StringEquals":{"kms:ViaService":"s3.<AWS::Region>.amazonaws.com"}}';
export const registrationsOnly = 'if {"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["RESPONDER"]}}';
export const responderRouteIds = ['RegisterResponder', 'ListResponders', 'ResponderHeartbeat', 'ResponderQueueCredentials', 'DeregisterResponder', 'ReportAction', 'EvidenceUpload'];

/**
 * What each responder route does with the history table, written out by hand from its handler
 * (shared/use-cases/responders.ts): far less than its coarse `history:read`/`history:write` need.
 */
export const responderHistory: Readonly<Record<string, readonly [action: string, registrationsOnly: boolean][]>> = {
  RegisterResponder: [['UpdateItem', true]],
  ListResponders: [['Query', true]],
  ResponderHeartbeat: [['UpdateItem', true]],
  ResponderQueueCredentials: [['UpdateItem', true]],
  DeregisterResponder: [['DeleteItem', true]],
  ReportAction: [['GetItem', false], ['UpdateItem', false]],
  EvidenceUpload: [['GetItem', false]],
};

/** The SQS actions of each route with the responder-queues need, written out by hand. */
export const responderQueueGrants: Readonly<Record<string, readonly string[]>> = {
  RegisterResponder: ['CreateQueue', 'GetQueueAttributes', 'GetQueueUrl'],
  ResponderQueueCredentials: ['CreateQueue', 'GetQueueAttributes', 'GetQueueUrl'],
  DeregisterResponder: ['GetQueueUrl', 'DeleteQueue'],
};

// Set by the hooks useServiceStack registers; each test file gets its own synthesis (vitest isolates files).
export let built: ResponseActionsApp;
export let synthesis: SynthesisResult;
export let template: Template;
/** A token of the service stack (or one it imports) as the template renders it. */
export let render: (token: string) => string;
export let grantsOf: (fn: ServiceFunction) => string[];

/** Synthesizes the fully configured app once for the calling file (beforeAll) and removes its output after. */
export function useServiceStack(): void {
  const outdir = makeTempDir('service');
  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    built = buildApp({ outdir: outdir.path, context: testContext(settings) });

    // Act
    synthesis = synthesize(built.app);
    template = Template.fromStack(built.serviceStack);
    render = (token) => String(evaluate(built.serviceStack.resolve(token), symbolic));
    grantsOf = (fn) => {
      const policy = fn.executionRole.node.tryFindChild('DefaultPolicy');
      if (!(policy instanceof Policy)) throw new Error(`${fn.node.path} has no default policy`);
      return grantsOfPolicy(template, logicalIdOf(policy));
    };
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });
}

export function logicalIdOf(construct: IConstruct): string {
  const element = construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation element`);
  return Stack.of(construct).resolve(element.logicalId) as string;
}

export function resourceOf(construct: IConstruct): TemplateResource {
  return resourceById(template, logicalIdOf(construct));
}

/** Grants every ServiceFunction has: its own log group and X-Ray. */
export function baseGrants(fn: ServiceFunction): string[] {
  const logGroup = fn.node.scope?.node.tryFindChild(`${fn.node.id}LogGroup`);
  if (logGroup === undefined) throw new Error(`no log group beside ${fn.node.path}`);
  const logGroupArn = `<${logicalIdOf(logGroup)}.Arn>`;
  return [
    `Allow logs:CreateLogStream on ${logGroupArn}`,
    `Allow logs:PutLogEvents on ${logGroupArn}`,
    'Allow xray:PutTelemetryRecords on *',
    'Allow xray:PutTraceSegments on *',
  ];
}

function historyGrants(access: 'read' | 'readWrite'): string[] {
  const table = render(built.statefulStack.historyTable.tableArn);
  const resources = [table, ...Object.keys(historyTableDesign.indexes).map((indexName) => `${table}/index/${indexName}`)];
  return historyTableActions[access].flatMap((action) => resources.map((resource) => `Allow ${action} on ${resource}`));
}

/** What appending to the trail takes (infra/constructs/grant-trail.ts): entries under trail/ of the evidence bucket. */
export function trailGrants(): string[] {
  const { bucket, key } = built.statefulStack.evidence;
  return [
    `Allow s3:PutObject on ${render(bucket.bucketArn)}/trail/*`,
    `Allow s3:GetObject on ${render(bucket.bucketArn)}/trail/*`,
    `Allow s3:ListBucket on ${render(bucket.bucketArn)} if {"StringLike":{"s3:prefix":"trail/*"}}`,
    `Allow kms:GenerateDataKey on ${render(key.keyArn)} ${viaS3}`,
    `Allow kms:Decrypt on ${render(key.keyArn)} ${viaS3}`,
  ];
}

/** Exactly what each route's `needs` entitle it to, written out per need (and per route where one need differs by route). */
export function expectedRouteGrants(route: Pick<ApiRoute, 'id' | 'needs'>, fn: ServiceFunction): string[] {
  const needs = new Set(route.needs);
  const grants = baseGrants(fn);
  const table = render(built.statefulStack.historyTable.tableArn);
  const narrowHistory = responderHistory[route.id];
  if (narrowHistory !== undefined) {
    grants.push(...narrowHistory.map(([action, registrations]) => `Allow dynamodb:${action} on ${table}${registrations ? ` ${registrationsOnly}` : ''}`));
  } else if (needs.has('history:read') || needs.has('history:write')) {
    grants.push(...historyGrants(needs.has('history:write') ? 'readWrite' : 'read'));
  }
  if (needs.has('history:cursors')) {
    grants.push(`Allow secretsmanager:GetSecretValue on ${render(built.statefulStack.cursorSecret.secretArn)}`);
  }
  if (needs.has('start-work')) {
    for (const family of Object.values(built.serviceStack.families)) {
      grants.push(`Allow states:StartExecution on ${render(family.stateMachine.stateMachineArn)}`);
    }
    grants.push(`Allow states:StartExecution on ${render(built.serviceStack.responder.stateMachine.stateMachineArn)}`);
  }
  const { bucket, key } = built.statefulStack.evidence;
  if (needs.has('evidence:read') || needs.has('evidence:upload')) {
    grants.push(
      `Allow s3:ListBucket on ${render(bucket.bucketArn)} if {"StringLike":{"s3:prefix":"actions/*"}}`,
      `Allow s3:GetObject on ${render(bucket.bucketArn)}/actions/*`,
    );
  }
  if (needs.has('evidence:read')) grants.push(`Allow kms:Decrypt on ${render(key.keyArn)} ${viaS3}`);
  if (needs.has('evidence:upload')) {
    grants.push(`Allow s3:PutObject on ${render(bucket.bucketArn)}/actions/*`, `Allow kms:GenerateDataKey on ${render(key.keyArn)} ${viaS3}`);
  }
  if (needs.has('responder-queues')) {
    const queues = `arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${settings.responderQueuePrefix}-*`;
    grants.push(...(responderQueueGrants[route.id] ?? ['no queue actions written out for this route']).map((action) => `Allow sqs:${action} on ${queues}`));
  }
  if (needs.has('task-callbacks')) {
    const machine = render(built.serviceStack.responder.stateMachine.stateMachineArn);
    grants.push(...['SendTaskFailure', 'SendTaskHeartbeat', 'SendTaskSuccess'].map((action) => `Allow states:${action} on ${machine}`));
  }
  if (needs.has('work-signing-key')) {
    grants.push(`Allow secretsmanager:GetSecretValue on ${render(built.statefulStack.workSigningKey.secretArn)}`);
  }
  if (needs.has('cloud-plans')) {
    for (const family of Object.values(built.serviceStack.families)) grants.push(`Allow lambda:InvokeFunction on ${render(family.stepFunction.functionArn)}`);
  }
  if (needs.has('exemptions')) {
    const accounts = settings.targetAccounts.split(',');
    grants.push(...accounts.map((id) => `Allow sts:AssumeRole on arn:<AWS::Partition>:iam::${id}:role/${settings.memberRoleName}-exemptions`));
  }
  if (needs.has('playbook-runs')) {
    grants.push(`Allow states:StartExecution on ${render(built.serviceStack.playbooks.stateMachine.stateMachineArn)}`);
  }
  if (trailRoutes.has(route.id)) grants.push(...trailGrants());
  if (needs.has('queue-credentials')) {
    const role = built.serviceStack.api.queueAccessRole;
    if (role === undefined) throw new Error('no ResponderQueueAccess role');
    grants.push(`Allow sts:AssumeRole on ${render(role.roleArn)}`);
  }
  return [...new Set(grants)].sort();
}
