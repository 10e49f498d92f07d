import { readFileSync } from 'node:fs';
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Policy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import aslValidator from 'asl-validator';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, stackNames } from '#infra/build-app.ts';
import type { ResponseActionsApp } from '#infra/build-app.ts';
import { cloudActionAslPath, cloudActionSubstitutionNames } from '#infra/constructs/cloud-action-definition.ts';
import { familyFunctionTimeout } from '#infra/constructs/cloud-action-family.ts';
import { historyTableActions } from '#infra/constructs/grant-history-table.ts';
import { dispatchWorkTimeout } from '#infra/constructs/responder-dispatch.ts';
import { responderActionAslPath, responderActionSubstitutionNames } from '#infra/constructs/responder-action-definition.ts';
import { apiThrottle, historyAccessOf, queueUseOf, routeHistoryAccess, routeQueueUse } from '#infra/constructs/service-api.ts';
import { serviceFunctionDefaults } from '#infra/constructs/service-function.ts';
import type { ServiceFunction } from '#infra/constructs/service-function.ts';
import {
  assertQueuePrefixApart,
  cloudActionStepRolePath,
  deadLetterWarnings,
  serviceFunctionEntries,
  serviceRolePattern,
} from '#infra/stacks/service-stack.ts';
import { apiRoutes } from '#functions/api/routes.ts';
import type { ApiRoute } from '#functions/api/routes.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { loadConfig } from '#shared/config/config.ts';
import { isProtectedTarget } from '#shared/guards/protected-targets.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { historyTableDesign } from '#shared/history/table-design.ts';
import { fullyConfigured } from './support/deployments.ts';
import { evaluate, grantsOfPolicy, symbolic } from './support/intrinsics.ts';
import { describeFindings, makeTempDir, stubOutAwsEnvironment, synthesize, testContext } from './support/synth.ts';
import type { SynthesisResult } from './support/synth.ts';
import { resourceById, resourcesOf } from './support/template.ts';
import type { TemplateResource } from './support/template.ts';

const settings = fullyConfigured;
const account = '123456789012';
const deployedRoutes = apiRoutes;
const viaS3 = 'if {"StringEquals":{"kms:ViaService":"s3.<AWS::Region>.amazonaws.com"}}';
const registrationsOnly = 'if {"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["RESPONDER"]}}';
const responderRouteIds = ['RegisterResponder', 'ListResponders', 'ResponderHeartbeat', 'ResponderQueueCredentials', 'DeregisterResponder', 'ReportAction', 'EvidenceUpload'];

/**
 * What each responder route does with the history table, written out by hand from its handler
 * (shared/use-cases/responders.ts): far less than its coarse `history:read`/`history:write` need.
 */
const responderHistory: Readonly<Record<string, readonly [action: string, registrationsOnly: boolean][]>> = {
  RegisterResponder: [['UpdateItem', true]],
  ListResponders: [['Query', true]],
  ResponderHeartbeat: [['UpdateItem', true]],
  ResponderQueueCredentials: [['UpdateItem', true]],
  DeregisterResponder: [['DeleteItem', true]],
  ReportAction: [['GetItem', false], ['UpdateItem', false]],
  EvidenceUpload: [['GetItem', false]],
};

/** The SQS actions of each route with the responder-queues need, written out by hand. */
const responderQueueGrants: Readonly<Record<string, readonly string[]>> = {
  RegisterResponder: ['CreateQueue', 'GetQueueAttributes', 'GetQueueUrl'],
  ResponderQueueCredentials: ['CreateQueue', 'GetQueueAttributes', 'GetQueueUrl'],
  DeregisterResponder: ['GetQueueUrl', 'DeleteQueue'],
};

describe('ServiceStack', () => {
  const outdir = makeTempDir('service');
  let built: ResponseActionsApp;
  let synthesis: SynthesisResult;
  let template: Template;
  /** A token of the service stack (or one it imports) as the template renders it. */
  let render: (token: string) => string;
  let grantsOf: (fn: ServiceFunction) => string[];

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

  function logicalIdOf(construct: IConstruct): string {
    const element = construct.node.defaultChild;
    if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation element`);
    return Stack.of(construct).resolve(element.logicalId) as string;
  }

  function resourceOf(construct: IConstruct): TemplateResource {
    return resourceById(template, logicalIdOf(construct));
  }

  /** Grants every ServiceFunction has: its own log group and X-Ray. */
  function baseGrants(fn: ServiceFunction): string[] {
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

  /** Exactly what each route's `needs` entitle it to, written out per need (and per route where one need differs by route). */
  function expectedRouteGrants(route: ApiRoute, fn: ServiceFunction): string[] {
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
    if (needs.has('queue-credentials')) {
      const role = built.serviceStack.api.queueAccessRole;
      if (role === undefined) throw new Error('no ResponderQueueAccess role');
      grants.push(`Allow sts:AssumeRole on ${render(role.roleArn)}`);
    }
    return [...new Set(grants)].sort();
  }

  describe('synthesis', () => {
    it('succeeds with no unacknowledged cdk-nag finding for a fully configured deployment', () => {
      // Assess
      expect(synthesis.error).toBeUndefined();
      expect(synthesis.findings, describeFindings(synthesis.findings)).toEqual([]);
    });

    it('deploys exactly the functions serviceFunctionEntries lists (what the bundle budget measures): every route\'s among them', () => {
      // Prepare
      const entries = serviceFunctionEntries();

      // Assess
      expect(entries).toHaveLength(apiRoutes.length + 3 + cloudActionFamilyDeployments.length);
      expect(entries).toContainEqual({ id: 'DispatchWork', entry: 'functions/steps/dispatch-work.ts' });
      expect(entries).toContainEqual({ id: 'SweepResponders', entry: 'functions/scheduled/sweep-responders.ts' });
      template.resourceCountIs('AWS::Lambda::Function', entries.length);
      expect(Object.keys(built.serviceStack.api.functions).sort()).toEqual(apiRoutes.map((route) => route.id).sort());
    });
  });

  describe('HTTP API', () => {
    it('has one route per apiRoutes entry, the responder routes included, and no other', () => {
      // Prepare
      const routeKeys = resourcesOf(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties.RouteKey);

      // Assess
      expect(routeKeys.sort()).toEqual(apiRoutes.map((route) => `${route.method} ${route.path}`).sort());
      expect(routeKeys).toEqual(
        expect.arrayContaining([
          'POST /v1/responders',
          'GET /v1/responders',
          'POST /v1/responders/{kind}/{name}/heartbeat',
          'POST /v1/responders/{kind}/{name}/queue-credentials',
          'POST /v1/responders/{kind}/{name}/deregister',
          'POST /v1/actions/{id}/reports',
          'POST /v1/actions/{id}/evidence-uploads',
        ]),
      );
      // No Lambda long-polls for work: responders receive from SQS themselves.
      expect(routeKeys.filter((key) => String(key).endsWith('/work'))).toEqual([]);
    });

    it('authorizes every route but GET /v1/openapi.json with the one JWT authorizer, issuer and audiences from the context', () => {
      // Prepare
      const [[authorizerId, authorizer] = []] = resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer');
      const routes = resourcesOf(template, 'AWS::ApiGatewayV2::Route');

      // Assess
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      expect(authorizer?.Properties).toMatchObject({
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: settings.authIssuer, Audience: ['4example5client6id', 'console-client'] },
      });
      expect(routes.length).toBeGreaterThan(1);
      const [publicRoutes, securedRoutes] = [
        routes.filter(([, route]) => route.Properties.RouteKey === 'GET /v1/openapi.json'),
        routes.filter(([, route]) => route.Properties.RouteKey !== 'GET /v1/openapi.json'),
      ];
      expect(securedRoutes).toHaveLength(apiRoutes.length - 1);
      for (const [, route] of securedRoutes) {
        expect(route.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      }
      // API.md: the description needs no token; it is the one route API Gateway lets through unauthenticated.
      expect(publicRoutes).toHaveLength(1);
      expect(publicRoutes[0]?.[1].Properties.AuthorizationType).toBe('NONE');
      expect(publicRoutes[0]?.[1].Properties.AuthorizerId).toBeUndefined();
      expect(apiRoutes.filter((route) => route.public === true).map((route) => `${route.method} ${route.path}`)).toEqual(['GET /v1/openapi.json']);
      // cdk-nag's APIG4 (no authorization) is acknowledged on that route alone, with API.md's reason.
      const apig4 = built.serviceStack.node
        .findAll()
        .flatMap((construct) =>
          construct.node.metadata
            .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && JSON.stringify(entry.data).includes('AwsSolutions-APIG4'))
            .map((entry) => [construct.node.path, JSON.stringify(entry.data)]),
        );
      expect(apig4).toEqual([[expect.stringMatching(/\/Api\/HttpApi\/GET--v1--openapi\.json$/), expect.stringContaining('API.md: the description needs no token')]]);
    });

    it('sends each route to its own function', () => {
      for (const route of deployedRoutes) {
        // Prepare
        const fn = built.serviceStack.api.functions[route.id];
        if (fn === undefined) throw new Error(`no function for ${route.id}`);
        const [[, apiRoute] = []] = resourcesOf(template, 'AWS::ApiGatewayV2::Route').filter(
          ([, candidate]) => candidate.Properties.RouteKey === `${route.method} ${route.path}`,
        );
        const target = JSON.stringify(apiRoute?.Properties.Target);
        const integrationId = /"integrations\/",\{"Ref":"([^"]+)"\}/.exec(target)?.[1] ?? '';

        // Assess
        expect(resourceById(template, integrationId).Properties).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: { 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] },
        });
      }
    });

    it('logs every request as JSON on the $default stage, with throttling on every route', () => {
      // Prepare
      const [[, stage] = []] = resourcesOf(template, 'AWS::ApiGatewayV2::Stage');
      const accessLogs = stage?.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
      const format = JSON.parse(accessLogs.Format) as Record<string, string>;

      // Assess
      expect(stage?.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: apiThrottle.rateLimit, ThrottlingBurstLimit: apiThrottle.burstLimit },
      });
      expect(accessLogs.DestinationArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ApiAccessLogs/), 'Arn'] });
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', sub: '$context.authorizer.claims.sub' });
      // Nothing that could carry a bearer token, a presigned URL or an input.
      expect(accessLogs.Format).not.toMatch(/header|querystring|body|authorization/i);
    });
  });

  describe('route functions', () => {
    it.each(deployedRoutes.map((route) => [route.id, route] as const))('%s has exactly the grants its needs call for', (_id, route) => {
      // Prepare
      const fn = built.serviceStack.api.functions[route.id];
      if (fn === undefined) throw new Error(`no function for ${route.id}`);

      // Assess
      expect(grantsOf(fn)).toEqual(expectedRouteGrants(route, fn));
    });

    it('writes out the narrowed history and queue grants of exactly the routes the stack narrows', () => {
      // Assess: the hand-written tables above cover every narrowed route, and nothing else is narrowed
      expect(Object.keys(routeHistoryAccess).sort()).toEqual([...responderRouteIds].sort());
      expect(Object.keys(responderHistory).sort()).toEqual([...responderRouteIds].sort());
      expect(Object.keys(routeQueueUse).sort()).toEqual(apiRoutes.filter((route) => route.needs.includes('responder-queues')).map((route) => route.id).sort());
      expect(Object.keys(responderQueueGrants).sort()).toEqual(Object.keys(routeQueueUse).sort());
    });

    it('fails synthesis rather than grant a route too much or too little', () => {
      // Prepare
      const listResponders = apiRoutes.find((route) => route.id === 'ListResponders');
      if (listResponders === undefined) throw new Error('no ListResponders route');

      // Assess: a read route narrowed to a writing level, a queue route without its queue use
      expect(() => historyAccessOf({ ...listResponders, id: 'ResponderHeartbeat' })).toThrow(/writes, but its needs say history:read/);
      expect(() => historyAccessOf({ ...listResponders, needs: [] })).toThrow(/its needs name no history access/);
      expect(() => queueUseOf({ ...listResponders, id: 'SomeNewRoute', needs: ['responder-queues'] })).toThrow(/SomeNewRoute needs responder-queues/);
      expect(historyAccessOf({ ...listResponders, id: 'SomeNewRoute', needs: ['history:write'] })).toBe('readWrite');
    });

    it('gives every route the default timeout: none long-polls any more', () => {
      for (const route of apiRoutes) {
        // Prepare
        const fn = built.serviceStack.api.functions[route.id];
        if (fn === undefined) throw new Error(`no function for ${route.id}`);

        // Assess
        expect(resourceOf(fn).Properties.Timeout, route.id).toBe(serviceFunctionDefaults.timeout.toSeconds());
      }
    });

    it('GetAction can read history and nothing else: no write, no work, no evidence, no secret', () => {
      // Prepare
      const fn = built.serviceStack.api.functions['GetAction'];
      if (fn === undefined) throw new Error('no GetAction function');
      const actions = grantsOf(fn).map((grant) => grant.split(' ')[1]);

      // Assess
      for (const forbidden of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan']) {
        expect(actions).not.toContain(forbidden);
      }
      expect(actions.filter((action) => action?.startsWith('states:') === true || action?.startsWith('s3:') === true)).toEqual([]);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem']));
      expect(actions).not.toContain('secretsmanager:GetSecretValue');
    });

    it('ListActionTypes touches nothing but its logs and traces', () => {
      // Prepare
      const fn = built.serviceStack.api.functions['ListActionTypes'];
      if (fn === undefined) throw new Error('no ListActionTypes function');

      // Assess
      expect(grantsOf(fn)).toEqual(baseGrants(fn).sort());
      expect(resourceOf(fn).Properties.Environment).toEqual({ Variables: { NODE_OPTIONS: '--enable-source-maps' } });
    });

    it('gets the environment its handler reads (functions/api/aws/*), per need', () => {
      for (const route of deployedRoutes) {
        // Prepare
        const fn = built.serviceStack.api.functions[route.id];
        if (fn === undefined) throw new Error(`no function for ${route.id}`);
        const variables = (resourceOf(fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        const history = route.needs.includes('history:read') || route.needs.includes('history:write');
        const startsWork = route.needs.includes('start-work');

        // Assess
        expect(Object.keys(variables).sort(), route.id).toEqual(
          [
            'NODE_OPTIONS',
            ...(history ? ['HISTORY_TABLE_NAME'] : []),
            ...(route.needs.includes('history:cursors') ? ['CURSOR_SECRET_ARN'] : []),
            ...(startsWork ? ['CLOUD_ACTION_STATE_MACHINES', 'RESPONDER_STATE_MACHINE_ARN', 'PICKUP_DEADLINE_SECONDS', 'COMPLETION_DEADLINE_SECONDS'] : []),
            ...(route.needs.includes('evidence:read') || route.needs.includes('evidence:upload') ? ['EVIDENCE_BUCKET'] : []),
            ...(route.needs.includes('responder-queues') ? ['RESPONDER_QUEUE_PREFIX'] : []),
            ...(route.needs.includes('work-signing-key') ? ['WORK_SIGNING_KEY_SECRET_ARN'] : []),
            ...(route.needs.includes('queue-credentials') ? ['RESPONDER_QUEUE_ROLE_ARN'] : []),
          ].sort(),
        );
        if (startsWork) {
          expect(String(evaluate(variables['CLOUD_ACTION_STATE_MACHINES'], symbolic))).toBe(
            Object.entries(built.serviceStack.families)
              .map(([name, family]) => `${name}=${render(family.stateMachine.stateMachineArn)}`)
              .join(','),
          );
          expect(evaluate(variables['RESPONDER_STATE_MACHINE_ARN'], symbolic)).toBe(render(built.serviceStack.responder.stateMachine.stateMachineArn));
          // What the starter reads, and puts in each responder execution's input.
          expect(loadConfig({ PICKUP_DEADLINE_SECONDS: String(variables['PICKUP_DEADLINE_SECONDS']), COMPLETION_DEADLINE_SECONDS: String(variables['COMPLETION_DEADLINE_SECONDS']) }).deadlines).toEqual({
            pickupSeconds: settings.pickupDeadlineSeconds,
            completionSeconds: settings.completionDeadlineSeconds,
          });
        }
        if (route.needs.includes('responder-queues')) {
          expect(loadResponderConfig({ RESPONDER_QUEUE_PREFIX: String(variables['RESPONDER_QUEUE_PREFIX']) }).queuePrefix).toBe(settings.responderQueuePrefix);
        }
        if (route.needs.includes('work-signing-key')) {
          expect(evaluate(variables['WORK_SIGNING_KEY_SECRET_ARN'], symbolic)).toBe(render(built.statefulStack.workSigningKey.secretArn));
        }
      }
    });
  });

  describe('cloud-action path', () => {
    const shippedAsl = (): unknown => JSON.parse(readFileSync(cloudActionAslPath, 'utf8'));

    it('deploys one state machine per cloud action family, and the responder state machine', () => {
      // Assess
      template.resourceCountIs('AWS::StepFunctions::StateMachine', cloudActionFamilyDeployments.length + 1);
      expect(Object.keys(built.serviceStack.families).sort()).toEqual(cloudActionFamilyDeployments.map((family) => family.name).sort());
    });

    it.each(cloudActionFamilyDeployments.map((family) => [family.name] as const))(
      '%s: the deployed definition is the shipped ASL plus TimeoutSeconds, with exactly its substitutions',
      (name) => {
        // Prepare
        const family = built.serviceStack.families[name];
        if (family === undefined) throw new Error(`no ${name} family`);
        const machine = resourceOf(family.stateMachine).Properties;
        const definitionString = machine.DefinitionString;
        if (typeof definitionString !== 'string') throw new Error('the definition is not a plain string');
        const { TimeoutSeconds, ...deployed } = JSON.parse(definitionString) as Record<string, unknown>;

        // Assess
        expect(deployed).toEqual(shippedAsl());
        expect(TimeoutSeconds).toBe(settings.completionDeadlineSeconds);
        expect(machine.DefinitionSubstitutions).toEqual({
          Partition: { Ref: 'AWS::Partition' },
          MarkStatusFunctionArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatus), 'Arn'] },
          ActionFunctionArn: { 'Fn::GetAtt': [logicalIdOf(family.stepFunction), 'Arn'] },
        });
        expect(Object.keys(machine.DefinitionSubstitutions as object).sort()).toEqual([...cloudActionSubstitutionNames].sort());
      },
    );

    it('silences cfn-lint only for E3601 on the state machines (it cannot substitute ${Partition}; asl-validator checks instead)', () => {
      // Prepare
      const resources = (template.toJSON() as { Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }> }).Resources;
      const silenced = Object.values(resources).filter((resource) => resource.Metadata?.['cfn-lint'] !== undefined);

      // Assess
      expect(silenced.map((resource) => resource.Type)).toEqual([...cloudActionFamilyDeployments, 'responder'].map(() => 'AWS::StepFunctions::StateMachine'));
      for (const resource of silenced) expect(resource.Metadata?.['cfn-lint']).toEqual({ config: { ignore_checks: ['E3601'] } });
    });

    it('deploys a definition that is valid ASL once CloudFormation substitutes it', () => {
      for (const family of Object.values(built.serviceStack.families)) {
        // Prepare
        const definition = String(resourceOf(family.stateMachine).Properties.DefinitionString)
          .replaceAll('${Partition}', 'aws')
          .replaceAll('${MarkStatusFunctionArn}', `arn:aws:lambda:eu-west-1:${account}:function:mark-status`)
          .replaceAll('${ActionFunctionArn}', `arn:aws:lambda:eu-west-1:${account}:function:steps`);

        // Act
        const validation = aslValidator(JSON.parse(definition) as object, { checkArn: true, checkPaths: true });

        // Assess
        expect(validation.errorsText('\n')).toBe('');
        expect(validation.isValid).toBe(true);
        expect(definition).not.toContain('${');
      }
    });

    it('logs every execution event (without execution data) with a retention, and traces with X-Ray', () => {
      for (const family of Object.values(built.serviceStack.families)) {
        // Prepare
        const machine = resourceOf(family.stateMachine).Properties as {
          LoggingConfiguration: { Level: string; IncludeExecutionData: boolean; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[] };
          TracingConfiguration: unknown;
        };
        const [destination] = machine.LoggingConfiguration.Destinations;
        const logGroupId = (destination?.CloudWatchLogsLogGroup.LogGroupArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

        // Assess
        expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
        expect(machine.TracingConfiguration).toEqual({ Enabled: true });
        expect(resourceById(template, logGroupId).Properties.RetentionInDays).toBeGreaterThan(0);
      }
    });

    it('lets each state machine invoke exactly its two functions, and use logs and X-Ray', () => {
      for (const family of Object.values(built.serviceStack.families)) {
        // Prepare
        const policy = family.stateMachine.role.node.tryFindChild('DefaultPolicy');
        if (!(policy instanceof Policy)) throw new Error('no state machine policy');
        const grants = grantsOfPolicy(template, logicalIdOf(policy));

        // Assess
        expect(grants.filter((grant) => !grant.endsWith(' on *'))).toEqual(
          [
            `Allow lambda:InvokeFunction on <${logicalIdOf(built.serviceStack.markStatus)}.Arn>`,
            `Allow lambda:InvokeFunction on <${logicalIdOf(family.stepFunction)}.Arn>`,
          ].sort(),
        );
        const starActions = grants.filter((grant) => grant.endsWith(' on *')).map((grant) => grant.split(' ')[1] ?? '');
        expect(starActions.every((action) => /^(logs:\w+|xray:\w+)$/.test(action))).toBe(true);
      }
    });

    it.each(cloudActionFamilyDeployments.map((family) => [family.name, family] as const))(
      '%s steps: a timeout under the ASL task timeout, its own family role path, its environment and exactly its grants',
      (name, deployment) => {
        // Prepare
        const family = built.serviceStack.families[name];
        if (family === undefined) throw new Error(`no ${name} family`);
        const fn = family.stepFunction;
        const properties = resourceOf(fn).Properties;
        const environment = (properties.Environment as { Variables: unknown }).Variables;
        const variables = evaluate(environment, symbolic) as Record<string, string>;
        const table = render(built.statefulStack.historyTable.tableArn);
        const { bucket, key } = built.statefulStack.evidence;
        const expected = [
          ...baseGrants(fn),
          `Allow dynamodb:GetItem on ${table}`,
          `Allow dynamodb:UpdateItem on ${table}`,
          // Its own family's member role only: never another family's, never the base name.
          `Allow sts:AssumeRole on arn:<AWS::Partition>:iam::111111111111:role/SecurityResponseMember-${name}`,
          `Allow sts:AssumeRole on arn:<AWS::Partition>:iam::222222222222:role/SecurityResponseMember-${name}`,
          ...(deployment.writesEvidence === true
            ? [
                `Allow s3:PutObject on ${render(bucket.bucketArn)}/actions/*`,
                `Allow kms:GenerateDataKey on ${render(key.keyArn)} if {"StringEquals":{"kms:ViaService":"s3.<AWS::Region>.amazonaws.com"}}`,
              ]
            : []),
        ].sort();

        // Assess
        expect(properties.Timeout).toBe(familyFunctionTimeout.toSeconds());
        expect(familyFunctionTimeout.toSeconds()).toBeLessThan(300);
        expect(resourceOf(fn.executionRole).Properties.Path).toBe(cloudActionStepRolePath(stackNames.service, name));
        expect(grantsOf(fn)).toEqual(expected);
        expect(variables).toMatchObject({
          TARGET_ACCOUNTS: settings.targetAccounts,
          MEMBER_ROLE_NAME: settings.memberRoleName,
          MEMBER_ROLE_EXTERNAL_ID: settings.memberExternalId,
          HISTORY_TABLE_NAME: render(built.statefulStack.historyTable.tableName),
        });
        expect('EVIDENCE_BUCKET' in variables).toBe(deployment.writesEvidence === true);
        // The function's own configuration accepts what it is given, once CloudFormation filled it in.
        const deployedVariables = evaluate(environment, { partition: 'aws', account, region: 'eu-west-1' }) as Record<string, string>;
        expect(() => loadConfig(deployedVariables, ['HISTORY_TABLE_NAME'])).not.toThrow();
      },
    );

    it('runs mark-status with GetItem and UpdateItem on the table alone, and a dead-letter queue', () => {
      // Prepare
      const fn = built.serviceStack.markStatus;
      const table = render(built.statefulStack.historyTable.tableArn);
      const queue = `<${logicalIdOf(built.serviceStack.markStatusDeadLetterQueue)}.Arn>`;

      // Assess
      expect(grantsOf(fn)).toEqual(
        [...baseGrants(fn), `Allow dynamodb:GetItem on ${table}`, `Allow dynamodb:UpdateItem on ${table}`, `Allow sqs:SendMessage on ${queue}`].sort(),
      );
      expect(resourceOf(fn).Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatusDeadLetterQueue), 'Arn'] } });
    });

    it('gives mark-status the namespace and service its ActionOutcome metrics are published under', () => {
      // Prepare
      const variables = (resourceOf(built.serviceStack.markStatus).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

      // Assess: the stack's own namespace, like its dead-letter metric's
      expect(variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: stackNames.service, POWERTOOLS_SERVICE_NAME: 'response-actions' });
    });

    it('sends failed, timed-out and aborted executions of these machines and the responder\'s to mark-status, with a DLQ on the target', () => {
      // Prepare
      const [, rule] = resourcesOf(template, 'AWS::Events::Rule').find(([, candidate]) => candidate.Properties.EventPattern !== undefined) ?? [];
      const machineRefs = [...Object.values(built.serviceStack.families).map((family) => family.stateMachine), built.serviceStack.responder.stateMachine].map(
        (machine) => ({ Ref: logicalIdOf(machine) }),
      );

      // Assess
      // The other rule is the hourly responder sweep's schedule.
      template.resourceCountIs('AWS::Events::Rule', 2);
      expect(rule?.Properties.EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: machineRefs },
      });
      expect(rule?.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatus), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatusDeadLetterQueue), 'Arn'] } },
        }),
      ]);
    });

    it('keeps the dead-letter queue encrypted and TLS-only', () => {
      // Assess
      expect(resourceOf(built.serviceStack.markStatusDeadLetterQueue).Properties).toMatchObject({ SqsManagedSseEnabled: true });
      const [[, queuePolicy] = []] = resourcesOf(template, 'AWS::SQS::QueuePolicy');
      expect((queuePolicy?.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });
  });

  describe('responder path', () => {
    const shippedAsl = (): unknown => JSON.parse(readFileSync(responderActionAslPath, 'utf8'));
    const machineOf = (): TemplateResource => resourceOf(built.serviceStack.responder.stateMachine);

    it('deploys the shipped responder ASL unchanged, with exactly its substitutions', () => {
      // Prepare
      const machine = machineOf().Properties;
      const definitionString = machine.DefinitionString;
      if (typeof definitionString !== 'string') throw new Error('the definition is not a plain string');

      // Assess: the deadlines stay per execution (HeartbeatSecondsPath, TimeoutSecondsPath), nothing is added
      expect(JSON.parse(definitionString)).toEqual(shippedAsl());
      expect(machine.DefinitionSubstitutions).toEqual({
        Partition: { Ref: 'AWS::Partition' },
        DispatchFunctionArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.responder.dispatchFunction), 'Arn'] },
        MarkStatusFunctionArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatus), 'Arn'] },
      });
      expect(Object.keys(machine.DefinitionSubstitutions as object).sort()).toEqual([...responderActionSubstitutionNames].sort());
      expect(machine.StateMachineType).toBe('STANDARD');
    });

    it('deploys a definition that is valid ASL once CloudFormation substitutes it', () => {
      // Prepare
      const definition = String(machineOf().Properties.DefinitionString)
        .replaceAll('${Partition}', 'aws')
        .replaceAll('${DispatchFunctionArn}', `arn:aws:lambda:eu-west-1:${account}:function:dispatch-work`)
        .replaceAll('${MarkStatusFunctionArn}', `arn:aws:lambda:eu-west-1:${account}:function:mark-status`);

      // Act
      const validation = aslValidator(JSON.parse(definition) as object, { checkArn: true, checkPaths: true });

      // Assess
      expect(validation.errorsText('\n')).toBe('');
      expect(validation.isValid).toBe(true);
      expect(definition).not.toContain('${');
    });

    it('logs every execution event (without execution data) to the shared execution log group, and traces with X-Ray', () => {
      // Prepare
      const machine = machineOf().Properties as {
        LoggingConfiguration: { Level: string; IncludeExecutionData: boolean; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[] };
        TracingConfiguration: unknown;
      };
      const familyMachine = Object.values(built.serviceStack.families)[0]?.stateMachine;
      if (familyMachine === undefined) throw new Error('no family');
      const familyLogging = (resourceOf(familyMachine).Properties as { LoggingConfiguration: unknown }).LoggingConfiguration;

      // Assess
      expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
      expect(machine.LoggingConfiguration).toEqual(familyLogging);
      expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    });

    it('lets the state machine invoke exactly dispatch-work and mark-status, and use logs and X-Ray', () => {
      // Prepare
      const policy = built.serviceStack.responder.stateMachine.role.node.tryFindChild('DefaultPolicy');
      if (!(policy instanceof Policy)) throw new Error('no state machine policy');
      const grants = grantsOfPolicy(template, logicalIdOf(policy));

      // Assess
      expect(grants.filter((grant) => !grant.endsWith(' on *'))).toEqual(
        [
          `Allow lambda:InvokeFunction on <${logicalIdOf(built.serviceStack.markStatus)}.Arn>`,
          `Allow lambda:InvokeFunction on <${logicalIdOf(built.serviceStack.responder.dispatchFunction)}.Arn>`,
        ].sort(),
      );
      const starActions = grants.filter((grant) => grant.endsWith(' on *')).map((grant) => grant.split(' ')[1] ?? '');
      expect(starActions.every((action) => /^(logs:\w+|xray:\w+)$/.test(action))).toBe(true);
    });

    it('runs dispatch-work with exactly its grants: the record and its dispatch item, the signing key, the work queues', () => {
      // Prepare
      const fn = built.serviceStack.responder.dispatchFunction;
      const table = render(built.statefulStack.historyTable.tableArn);
      const queues = `arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${settings.responderQueuePrefix}-*`;

      // Assess
      expect(grantsOf(fn)).toEqual(
        [
          ...baseGrants(fn),
          ...['GetItem', 'PutItem', 'UpdateItem'].map((action) => `Allow dynamodb:${action} on ${table}`),
          `Allow secretsmanager:GetSecretValue on ${render(built.statefulStack.workSigningKey.secretArn)}`,
          ...['CreateQueue', 'GetQueueAttributes', 'GetQueueUrl', 'SendMessage'].map((action) => `Allow sqs:${action} on ${queues}`),
        ].sort(),
      );
    });

    it('gives dispatch-work the environment it reads, and a timeout under the ASL\'s 60 s ExplainLapse task', () => {
      // Prepare
      const properties = resourceOf(built.serviceStack.responder.dispatchFunction).Properties;
      const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;

      // Assess
      expect(Object.keys(variables).sort()).toEqual(['HISTORY_TABLE_NAME', 'NODE_OPTIONS', 'RESPONDER_QUEUE_PREFIX', 'WORK_SIGNING_KEY_SECRET_ARN']);
      expect(evaluate(variables['HISTORY_TABLE_NAME'], symbolic)).toBe(render(built.statefulStack.historyTable.tableName));
      expect(evaluate(variables['WORK_SIGNING_KEY_SECRET_ARN'], symbolic)).toBe(render(built.statefulStack.workSigningKey.secretArn));
      expect(variables['RESPONDER_QUEUE_PREFIX']).toBe(settings.responderQueuePrefix);
      expect(properties.Timeout).toBe(dispatchWorkTimeout.toSeconds());
      expect(dispatchWorkTimeout.toSeconds()).toBeLessThan(60);
      expect(resourceOf(built.serviceStack.responder.dispatchFunction).Properties).not.toHaveProperty('DeadLetterConfig');
    });

    it('counts the warnings the hourly sweep logs for dead-lettered work, and alarms on them', () => {
      // Prepare
      const filters = resourcesOf(template, 'AWS::Logs::MetricFilter').map(([, filter]) => filter.Properties);
      const source = readFileSync(new URL('../../shared/use-cases/responders.ts', import.meta.url), 'utf8');

      // Assess: one filter, on the sweep's log group, matching the warning the use case logs
      expect(filters).toHaveLength(1);
      const [filter] = filters;
      expect(filter?.LogGroupName).toEqual({ Ref: logicalIdOf(built.serviceStack.sweepResponders.logGroup) });
      expect(filter?.MetricTransformations).toEqual([{ MetricNamespace: stackNames.service, MetricName: 'ResponderWorkLeftForDeadLetterQueue', MetricValue: '1' }]);
      for (const warning of deadLetterWarnings) expect(String(filter?.FilterPattern)).toContain(`$.message = "${warning}"`);
      expect(source).toMatch(/\.warn\(deadLetterWarning, /);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: stackNames.service,
        MetricName: 'ResponderWorkLeftForDeadLetterQueue',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmDescription: Match.stringLikeRegexp(`${settings.responderQueuePrefix}-\\*-dlq`),
      });
    });

    it('refuses a queue prefix whose grant would cover the service stack\'s own queues', () => {
      // Assess
      const check = (prefix: string, stackName: string) => (): void => {
        assertQueuePrefixApart(prefix, stackName);
      };
      expect(check('ResponseActionsService', 'ResponseActionsService')).toThrow(/would let the responder queue grant/);
      expect(check('Response', 'Response-Service')).toThrow(/Response-\*/);
      expect(check('ResponseActions', 'ResponseActionsService')).not.toThrow();
      expect(check(settings.responderQueuePrefix, stackNames.service)).not.toThrow();
      const outdir = makeTempDir('prefix');
      try {
        expect(() => buildApp({ outdir: outdir.path, context: testContext({ responderQueuePrefix: stackNames.service }) })).toThrow(/responderQueuePrefix/);
      } finally {
        outdir.remove();
      }
    });
  });

  describe('alarms', () => {
    it('alarm on failed executions per machine, API 5xx, every function\'s errors and dead letters, to an encrypted topic', () => {
      // Prepare
      const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
      const topicRef = { Ref: logicalIdOf(built.serviceStack.alarmTopic) };
      const metricNames = alarms.map((alarm) => `${String(alarm.Namespace)}/${String(alarm.MetricName)}`);
      const count = (metric: string): number => metricNames.filter((name) => name === metric).length;

      // Assess
      expect(count('AWS/States/ExecutionsFailed')).toBe(cloudActionFamilyDeployments.length + 1);
      expect(count('AWS/ApiGateway/5xx')).toBe(1);
      expect(count('AWS/Lambda/Errors')).toBe(serviceFunctionEntries().length);
      expect(count('AWS/SQS/ApproximateNumberOfMessagesVisible')).toBe(1);
      expect(count(`${stackNames.service}/ResponderWorkLeftForDeadLetterQueue`)).toBe(1);
      expect(alarms).toHaveLength(cloudActionFamilyDeployments.length + 1 + 1 + serviceFunctionEntries().length + 2);
      for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([topicRef]);
      expect(resourceOf(built.serviceStack.alarmTopic).Properties.KmsMasterKeyId).toBeDefined();
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });
  });

  describe('protected targets', () => {
    const deployed = { partition: 'aws', account, region: 'eu-west-1' };

    it('protect every IAM role the service stack creates (CloudFormation names them <stack>-<logical id>-<suffix>)', () => {
      // Prepare
      const patterns = loadConfig({ PROTECTED_TARGETS: String(evaluate(built.serviceStack.resolve(built.serviceStack.protectedTargets), deployed)) }).protectedTargets;
      const roles = resourcesOf(template, 'AWS::IAM::Role');

      // Assess
      expect(roles.length).toBeGreaterThan(0);
      for (const [logicalId, role] of roles) {
        expect(role.Properties, `${logicalId} must not have a physical name`).not.toHaveProperty('RoleName');
        const generatedName = `${stackNames.service}-${logicalId}-A1B2C3D4E5F6`.slice(0, 64);
        const path = role.Properties.Path ?? '/';
        if (typeof path !== 'string') throw new Error(`${logicalId} has a computed path`);
        const arn = `arn:aws:iam::${account}:role${path}${generatedName}`;
        expect(isProtectedTarget(arn, patterns), arn).toBe(true);
        // The same role named on another path, or in another case, is the same role to IAM.
        expect(isProtectedTarget(`arn:aws:iam::${account}:role/any/path/${generatedName}`, patterns)).toBe(true);
        expect(isProtectedTarget(`arn:aws:iam::${account}:role/${generatedName.toLowerCase()}`, patterns)).toBe(true);
      }
    });

    it('protect the evidence and access log buckets, the deployer\'s extras and the member role, but not other roles', () => {
      // Prepare
      const value = String(evaluate(built.serviceStack.resolve(built.serviceStack.protectedTargets), deployed));
      const patterns = loadConfig({ PROTECTED_TARGETS: value, MEMBER_ROLE_NAME: settings.memberRoleName }).protectedTargets;
      const { bucket, accessLogBucket } = built.statefulStack.evidence;

      // Assess
      expect(value.split(',')).toEqual([
        serviceRolePattern(stackNames.service, 'aws', account),
        `arn:aws:s3:::${String(evaluate(built.serviceStack.resolve(bucket.bucketName), deployed))}`,
        `arn:aws:s3:::${String(evaluate(built.serviceStack.resolve(accessLogBucket.bucketName), deployed))}`,
        settings.protectedTargets,
      ]);
      expect(isProtectedTarget('arn:aws:iam::222222222222:role/SecurityResponseMember', patterns)).toBe(true);
      for (const family of cloudActionFamilyDeployments) {
        expect(isProtectedTarget(`arn:aws:iam::222222222222:role/SecurityResponseMember-${family.name}`, patterns)).toBe(true);
        expect(isProtectedTarget(`arn:aws:iam::222222222222:role/x/securityresponsemember-${family.name}`, patterns)).toBe(true);
      }
      expect(isProtectedTarget('arn:aws:iam::222222222222:role/BreakGlassAdmin', patterns)).toBe(true);
      expect(isProtectedTarget(`arn:aws:iam::${account}:role/ResponseActionsStateful-Other-X`, patterns)).toBe(false);
      expect(isProtectedTarget('arn:aws:iam::222222222222:role/web-app', patterns)).toBe(false);
    });
  });
});
