import { Validations } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { stackNames } from '#infra/build-app.ts';
import { apiThrottle, historyAccessOf, queueUseOf, routeHistoryAccess, routeQueueUse } from '#infra/constructs/service-api.ts';
import { serviceFunctionDefaults } from '#infra/constructs/service-function.ts';
import { serviceRolePattern } from '#infra/stacks/own-targets.ts';
import { serviceFunctionEntries } from '#infra/stacks/service-stack.ts';
import { apiRoutes } from '#functions/api/routes.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { loadConfig } from '#shared/config/config.ts';
import { isProtectedTarget } from '#shared/guards/protected-targets.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { evaluate, symbolic } from './support/intrinsics.ts';
import { describeFindings } from './support/synth.ts';
import { resourceById, resourcesOf } from './support/template.ts';
import { account, baseGrants, built, deployedRoutes, expectedRouteGrants, grantsOf, logicalIdOf, render, resourceOf, responderHistory, responderQueueGrants, responderRouteIds, settings, synthesis, template, useServiceStack } from './support/service-stack-synthesis.ts';
import { trailRoutes } from '#infra/constructs/grant-trail.ts';

// The synthesized stack, its HTTP API and each route function's grants and environment, alarms, protected targets.
useServiceStack();

describe('ServiceStack', () => {
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
      expect(entries).toHaveLength(apiRoutes.length + 5 + cloudActionFamilyDeployments.length);
      expect(entries).toContainEqual({ id: 'PlaybookStep', entry: 'functions/playbooks/playbook-step.ts' });
      expect(entries).toContainEqual({ id: 'EventBridgeTarget', entry: 'functions/events/eventbridge-target.ts' });
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
        // Rules may name playbooks, so the functions that load rules read the playbooks too.
        const playbooks = route.needs.includes('playbooks') || route.needs.includes('automation-rules');

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
            ...(startsWork ? ['APPROVAL_REQUIRED', 'APPROVAL_TTL_SECONDS'] : []),
            ...(route.needs.includes('cloud-plans') ? ['CLOUD_PLAN_FUNCTIONS'] : []),
            ...(route.needs.includes('cloud-plans') || route.needs.includes('exemptions') ? ['TARGET_ACCOUNTS', 'MEMBER_ROLE_NAME', 'MEMBER_ROLE_EXTERNAL_ID', 'PROTECTED_TARGETS'] : []),
            ...(route.needs.includes('automation-rules') ? ['AUTOMATION_RULES', 'AUTOMATION_RULES_SHA256'] : []),
            ...(playbooks ? ['PLAYBOOKS', 'PLAYBOOKS_SHA256', 'PLAYBOOK_RUN_DEADLINE_SECONDS'] : []),
            ...(route.needs.includes('playbook-runs') ? ['PLAYBOOK_STATE_MACHINE_ARN'] : []),
            ...(trailRoutes.has(route.id) ? ['TRAIL_BUCKET'] : []),
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
          const read = loadConfig(Object.fromEntries(['PICKUP_DEADLINE_SECONDS', 'COMPLETION_DEADLINE_SECONDS', 'APPROVAL_REQUIRED', 'APPROVAL_TTL_SECONDS'].map((name) => [name, String(variables[name])])));
          expect(read.deadlines).toEqual({ pickupSeconds: settings.pickupDeadlineSeconds, completionSeconds: settings.completionDeadlineSeconds });
          // Whatever starts work may be gated, so it reads the deployment's approval settings.
          expect([read.approvalRequired.join(','), read.approvalTtlSeconds]).toEqual([settings.approvalRequired, settings.approvalTtlSeconds]);
        }
        if (playbooks) {
          // The shipped file, where the bundle puts it, and the deadline the run service reads.
          const read = loadConfig({ PLAYBOOKS: String(variables['PLAYBOOKS']), PLAYBOOK_RUN_DEADLINE_SECONDS: String(variables['PLAYBOOK_RUN_DEADLINE_SECONDS']) });
          expect([read.playbooksFile, read.playbookRunDeadlineSeconds]).toEqual(['/var/task/playbooks.json', settings.playbookRunDeadlineSeconds]);
        }
        if (route.needs.includes('playbook-runs')) {
          expect(evaluate(variables['PLAYBOOK_STATE_MACHINE_ARN'], symbolic)).toBe(render(built.serviceStack.playbooks.stateMachine.stateMachineArn));
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

  describe('alarms', () => {
    it('alarm on failed executions per machine, API 5xx, every function\'s errors and dead letters, to an encrypted topic', () => {
      // Prepare
      const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
      const topicRef = { Ref: logicalIdOf(built.serviceStack.alarmTopic) };
      const metricNames = alarms.map((alarm) => `${String(alarm.Namespace)}/${String(alarm.MetricName)}`);
      const count = (metric: string): number => metricNames.filter((name) => name === metric).length;

      // Assess
      // Each family's, the responder's and the playbook machine's; the playbook machine's backstop timeout too.
      expect(count('AWS/States/ExecutionsFailed')).toBe(cloudActionFamilyDeployments.length + 2);
      expect(count('AWS/States/ExecutionsTimedOut')).toBe(1);
      expect(count('AWS/ApiGateway/5xx')).toBe(1);
      expect(count('AWS/Lambda/Errors')).toBe(serviceFunctionEntries().length);
      // mark-status's dead letters, the finding events' and the ended playbook executions'.
      expect(count('AWS/SQS/ApproximateNumberOfMessagesVisible')).toBe(3);
      expect(count(`${stackNames.service}/ResponderWorkLeftForDeadLetterQueue`)).toBe(1);
      expect(count(`${stackNames.service}/FindingEventsRefused`)).toBe(1);
      expect(alarms).toHaveLength(cloudActionFamilyDeployments.length + 2 + 1 + 1 + serviceFunctionEntries().length + 5);
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

    it('protect the app\'s stacks\' roles, the evidence, access log and console buckets, the deployer\'s extras and the member role, but not other roles', () => {
      // Prepare
      const value = String(evaluate(built.serviceStack.resolve(built.serviceStack.protectedTargets), deployed));
      const patterns = loadConfig({ PROTECTED_TARGETS: value, MEMBER_ROLE_NAME: settings.memberRoleName }).protectedTargets;
      const { bucket, accessLogBucket } = built.statefulStack.evidence;

      // Assess
      const site = built.serviceStack.console.site;
      expect(value.split(',')).toEqual([
        serviceRolePattern(stackNames.service, 'aws', account),
        serviceRolePattern(stackNames.stateful, 'aws', account),
        serviceRolePattern(stackNames.console, 'aws', account),
        ...[bucket, accessLogBucket, site.bucket, site.logBucket].map((own) => `arn:aws:s3:::${String(evaluate(built.serviceStack.resolve(own.bucketName), deployed))}`),
        settings.protectedTargets,
      ]);
      expect(isProtectedTarget('arn:aws:iam::222222222222:role/SecurityResponseMember', patterns)).toBe(true);
      for (const family of cloudActionFamilyDeployments) {
        expect(isProtectedTarget(`arn:aws:iam::222222222222:role/SecurityResponseMember-${family.name}`, patterns)).toBe(true);
        expect(isProtectedTarget(`arn:aws:iam::222222222222:role/x/securityresponsemember-${family.name}`, patterns)).toBe(true);
      }
      expect(isProtectedTarget('arn:aws:iam::222222222222:role/BreakGlassAdmin', patterns)).toBe(true);
      expect(isProtectedTarget(`arn:aws:iam::${account}:role/ResponseActionsStateful-Other-X`, patterns)).toBe(true);
      expect(isProtectedTarget(`arn:aws:iam::${account}:role/ResponseActionsElsewhere-Other-X`, patterns)).toBe(false);
      expect(isProtectedTarget('arn:aws:iam::222222222222:role/web-app', patterns)).toBe(false);
    });
  });
});
