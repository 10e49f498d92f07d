import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ApiRoute } from '#functions/api/routes.ts';
import type { EvidenceBucket } from './evidence-bucket.ts';
import { grantEvidenceBucket } from './grant-evidence-bucket.ts';
import { grantHistoryTable } from './grant-history-table.ts';
import { ServiceFunction } from './service-function.ts';

/** Environment variable naming the secret that signs history cursors. */
export const CURSOR_SECRET_ARN_ENV = 'CURSOR_SECRET_ARN';
/** Environment variable mapping each cloud action family to its state machine (`family=arn,...`). */
export const CLOUD_ACTION_STATE_MACHINES_ENV = 'CLOUD_ACTION_STATE_MACHINES';

/**
 * Stage-wide throttling, for every route: a steady rate well above what SOC tooling and the
 * console need, and a burst that absorbs a playbook firing a batch of actions at once. It bounds
 * what a leaked token or a runaway automation can cost before the alarms fire.
 */
export const apiThrottle = { rateLimit: 50, burstLimit: 100 } as const;

/** Something a route's function touches (`ApiRoute['needs']`). */
export type RouteNeed = ApiRoute['needs'][number];

/**
 * Needs this stack cannot provide yet, with the reason. A route with one of them is not deployed
 * (no function, no route: API Gateway answers 404) until its resources exist; the responder path
 * (work queues, the dispatch state machine and its task callbacks, the work-signing key) arrives
 * with the responder issue, in the service stack's "Responder path" section.
 */
export const deferredNeeds: Readonly<Partial<Record<RouteNeed, string>>> = {
  'responder-queues': 'the per-responder work queues arrive with the responder issue',
  'task-callbacks': 'the responder state machine whose tasks these callbacks complete arrives with the responder issue',
  'work-signing-key': 'the work-signing key secret arrives with the responder issue',
};

/** Props of {@link ServiceApi}. */
export interface ServiceApiProps {
  /** The routes to serve (`apiRoutes`), one function each. */
  readonly routes: readonly ApiRoute[];
  /** JWT issuer (`authIssuer`) and accepted audiences (`authAudience`). */
  readonly auth: { readonly issuer: string; readonly audiences: readonly string[] };
  readonly historyTable: ITable;
  readonly cursorSecret: ISecret;
  readonly evidence: EvidenceBucket;
  /** Family name → its state machine, for the routes that start work. */
  readonly stateMachines: Readonly<Record<string, IStateMachine>>;
}

/** A route left out because the stack cannot yet provide one of its needs. */
export interface DeferredRoute {
  readonly id: string;
  readonly method: ApiRoute['method'];
  readonly path: string;
  /** Each missing need with why it is missing. */
  readonly missing: readonly string[];
}

/**
 * The HTTP API: API Gateway (HTTP API) with a JWT authorizer on every route, one
 * `ServiceFunction` per route of `apiRoutes`, JSON access logs on the `$default` stage and
 * stage-wide throttling.
 *
 * Each function gets exactly what its route's `needs` say:
 * - `history:read`: Query/GetItem/BatchGetItem, and the cursor secret (GetSecretValue);
 * - `history:write`: the above plus Put/Update/Delete/BatchWriteItem;
 * - `start-work`: `states:StartExecution` on the family state machines, named in
 *   `CLOUD_ACTION_STATE_MACHINES`;
 * - `evidence:read`: list and get under `actions/` of the evidence bucket, decrypt through S3;
 * - `evidence:upload`: sign one-object uploads under `actions/` (see `grantEvidenceBucket`).
 * Routes with a need of {@link deferredNeeds} are not deployed yet ({@link ServiceApi.deferredRoutes}).
 *
 * Scopes are not checked by the authorizer: a valid token without the needed scope must get the
 * API's own problem+json 403 (API.md), which only the handlers produce.
 */
export class ServiceApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  /** The route functions by route id (`CreateAction`, `GetAction`, ...). */
  public readonly functions: Readonly<Record<string, ServiceFunction>>;
  /** Routes of `apiRoutes` not deployed yet, and why. */
  public readonly deferredRoutes: readonly DeferredRoute[];

  public constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.auth.issuer, {
      jwtAudience: [...props.auth.audiences],
      identitySource: ['$request.header.Authorization'],
    });
    const httpApi = new HttpApi(this, 'HttpApi', {
      description: 'response-actions API v1',
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { ...apiThrottle },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: AccessLogFormat.custom(JSON.stringify(accessLogFields)) },
    });

    const grants = this.needGrants(props);
    const functions: Record<string, ServiceFunction> = {};
    const deferredRoutes: DeferredRoute[] = [];
    for (const route of props.routes) {
      const missing = route.needs.flatMap((need) => {
        const reason = deferredNeeds[need];
        return reason === undefined ? [] : [`${need}: ${reason}`];
      });
      if (missing.length > 0) {
        deferredRoutes.push({ id: route.id, method: route.method, path: route.path, missing });
        continue;
      }
      const fn = new ServiceFunction(this, route.id, {
        entry: route.entry,
        description: `response-actions API: ${route.method} ${route.path}`,
      });
      Validations.of(fn).acknowledge({
        id: 'Serverless::Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by API Gateway only: the caller receives the error (problem+json) and the 5xx and Errors alarms fire; there is no asynchronous event a dead-letter queue could keep.',
      });
      const needs = new Set(route.needs);
      // Write includes read: one history grant per function.
      if (needs.has('history:write')) needs.delete('history:read');
      for (const need of needs) grants[need](fn);

      httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
      });
      functions[route.id] = fn;
    }

    this.httpApi = httpApi;
    this.functions = functions;
    this.deferredRoutes = deferredRoutes;
  }

  /** How each need is granted: a record over every need, so a new kind of need cannot go unhandled. */
  private needGrants(props: ServiceApiProps): Record<RouteNeed, (fn: ServiceFunction) => void> {
    const history = (access: 'read' | 'readWrite') => (fn: ServiceFunction): void => {
      grantHistoryTable(fn, props.historyTable, access);
    };
    const machines = Object.entries(props.stateMachines);
    const deferred = (need: RouteNeed) => (): void => {
      throw new Error(`${need} cannot be granted yet: ${deferredNeeds[need] ?? 'no reason recorded'}`);
    };
    return {
      'history:read': history('read'),
      // Only the function that hands cursors to callers signs them with the shared secret.
      'history:cursors': (fn: ServiceFunction): void => {
        fn.addEnvironment(CURSOR_SECRET_ARN_ENV, props.cursorSecret.secretArn);
        fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.cursorSecret.secretArn] }));
      },
      'history:write': history('readWrite'),
      'start-work': (fn) => {
        if (machines.length === 0) return;
        fn.addEnvironment(CLOUD_ACTION_STATE_MACHINES_ENV, machines.map(([family, machine]) => `${family}=${machine.stateMachineArn}`).join(','));
        fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: machines.map(([, machine]) => machine.stateMachineArn) }));
      },
      'evidence:read': (fn) => {
        grantEvidenceBucket(fn, props.evidence, 'read');
      },
      'evidence:upload': (fn) => {
        grantEvidenceBucket(fn, props.evidence, 'upload');
      },
      'responder-queues': deferred('responder-queues'),
      'task-callbacks': deferred('task-callbacks'),
      'work-signing-key': deferred('work-signing-key'),
    };
  }
}

/**
 * One JSON object per request. No headers, query strings or bodies: bearer tokens, presigned
 * URLs and inputs never reach this log; the caller is the token's `sub`.
 */
const accessLogFields = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  sub: '$context.authorizer.claims.sub',
};
