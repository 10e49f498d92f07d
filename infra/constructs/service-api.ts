import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ApiRoute } from '#functions/api/routes.ts';
import type { EvidenceBucket } from './evidence-bucket.ts';
import { grantCloudPlans, grantExemptions, setApprovalEnvironment, shipAutomationRules } from './grant-automation.ts';
import type { AutomationRouteResources } from './grant-automation.ts';
import { grantEvidenceBucket } from './grant-evidence-bucket.ts';
import { grantHistoryTable, historyReadOnlyAccess } from './grant-history-table.ts';
import { grantPlaybookRuns, shipPlaybooks, type PlaybookRouteResources } from './grant-playbooks.ts';
import { grantStartActions } from './grant-start-work.ts';
import type { HistoryTableAccess } from './grant-history-table.ts';
import { acknowledgeWildcardResource } from './acknowledge-wildcard.ts';
import { grantResponderQueues, responderQueueAccessStatements, responderQueuesArn } from './grant-responder-queues.ts';
import type { ResponderQueueUse } from './grant-responder-queues.ts';
import { ServiceFunction } from './service-function.ts';
import { grantWorkSigningKey } from './work-signing-key.ts';

/** Environment variable naming the secret that signs history cursors. */
export const CURSOR_SECRET_ARN_ENV = 'CURSOR_SECRET_ARN';
/** Environment variable naming the role whose sessions are responders' queue credentials. */
export const RESPONDER_QUEUE_ROLE_ARN_ENV = 'RESPONDER_QUEUE_ROLE_ARN';

/**
 * Stage-wide throttling, for every route: a steady rate well above what SOC tooling and the
 * console need, and a burst that absorbs a playbook firing a batch of actions at once. It bounds
 * what a leaked token or a runaway automation can cost before the alarms fire.
 */
export const apiThrottle = { rateLimit: 50, burstLimit: 100 } as const;

/** Something a route's function touches (`ApiRoute['needs']`). */
export type RouteNeed = ApiRoute['needs'][number];

/** A function that is granted by its needs: a route, or another function granted the same way (the findings ingest). */
export type NeedsOf = Pick<ApiRoute, 'id' | 'needs'>;

/** Routes that need more than the default 20 s (`serviceFunctionDefaults.timeout`), by route id. */
export const routeTimeouts: Readonly<Partial<Record<string, Duration>>> = {};

/**
 * History access of the routes that use less of the table than their `history:read` or
 * `history:write` need would grant (`read`, `readWrite`), by route id, each as its handler uses it
 * (`shared/use-cases/responders.ts`, `shared/responders/store.ts`). A route's narrowed access must
 * stay read-only when its need is `history:read` (synthesis fails otherwise).
 */
export const routeHistoryAccess: Readonly<Partial<Record<string, HistoryTableAccess>>> = {
  // store.register: one UpdateItem on its registration.
  RegisterResponder: 'registrationUpdate',
  // store.list: Query on the registrations' partition.
  ListResponders: 'registrationQuery',
  // store.touch: one conditional UpdateItem on its registration.
  ResponderHeartbeat: 'registrationUpdate',
  // store.touch: the credentials are for a registered responder, and count as a sign of life.
  ResponderQueueCredentials: 'registrationUpdate',
  // store.remove: one DeleteItem on its registration.
  DeregisterResponder: 'registrationDelete',
  // repository.get, transition and recordProgress; store.getDispatch (the action's dispatch item).
  ReportAction: 'statusUpdate',
  // repository.get: the action must be the caller's and Running.
  EvidenceUpload: 'recordGet',
};

/**
 * What each route with the `responder-queues` need does with the work queues, by route id: one
 * need, different sets of SQS actions (see `responderQueueActions`). A route with the need and
 * no entry here fails synthesis.
 */
export const routeQueueUse: Readonly<Partial<Record<string, ResponderQueueUse>>> = {
  RegisterResponder: 'register',
  ResponderQueueCredentials: 'credentials',
  DeregisterResponder: 'remove',
};

/**
 * The history access a route's function gets: none without a history need; its
 * {@link routeHistoryAccess} entry if it has one; else `readWrite` for `history:write` and
 * `read` for `history:read`.
 *
 * @throws Error when an entry of {@link routeHistoryAccess} would write for a `history:read`
 *   route, or names a route without a history need
 */
export function historyAccessOf(route: NeedsOf): HistoryTableAccess | undefined {
  const writes = route.needs.includes('history:write');
  const narrowed = routeHistoryAccess[route.id];
  if (!writes && !route.needs.includes('history:read')) {
    if (narrowed !== undefined) throw new Error(`routeHistoryAccess gives ${route.id} "${narrowed}", but its needs name no history access`);
    return undefined;
  }
  if (narrowed === undefined) return writes ? 'readWrite' : 'read';
  if (!writes && !historyReadOnlyAccess.has(narrowed)) {
    throw new Error(`routeHistoryAccess gives ${route.id} "${narrowed}", which writes, but its needs say history:read`);
  }
  return narrowed;
}

/**
 * What a route with the `responder-queues` need does with the queues.
 *
 * @throws Error when the route has the need and no {@link routeQueueUse} entry
 */
export function queueUseOf(route: NeedsOf): ResponderQueueUse {
  const use = routeQueueUse[route.id];
  if (use === undefined) {
    throw new Error(`${route.id} needs responder-queues, but routeQueueUse does not say which queue actions it uses (register, credentials, remove, sweep or dispatch)`);
  }
  return use;
}

/** The responder path's resources, for the routes that start responder work or serve responders. */
export interface ResponderRouteResources {
  /** The responder state machine: `start-work` starts it, `task-callbacks` answer its tasks. */
  readonly stateMachine: IStateMachine;
  /** First part of every work queue's name (`responderQueuePrefix`). */
  readonly queuePrefix: string;
  /** The secret holding the private work-signing key; the register route hands out its public half. */
  readonly workSigningKey: ISecret;
  /** The deadlines the functions that start work put in each responder execution's input. */
  readonly deadlines: { readonly pickupSeconds: number; readonly completionSeconds: number };
}

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
  /** The responder path: its state machine, work queues, signing key and deadlines. */
  readonly responder: ResponderRouteResources;
  /** Planning, exemptions, rules and approvals (findings in). */
  readonly automation: AutomationRouteResources;
  /** The playbooks file and deadline, and the playbook state machine that runs them. */
  readonly playbooks: PlaybookRouteResources;
}

/**
 * The HTTP API: API Gateway (HTTP API) with a JWT authorizer on every route but the public
 * OpenAPI document (`ApiRoute.public`, API.md: it needs no token), one
 * `ServiceFunction` per route of `apiRoutes`, JSON access logs on the `$default` stage and
 * stage-wide throttling.
 *
 * Each function gets exactly what its route's `needs` say:
 * - `history:read`: Query/GetItem/BatchGetItem on the table and its indexes, or less where
 *   {@link routeHistoryAccess} narrows it (the responder routes);
 * - `history:write`: the above plus Put/Update/Delete/BatchWriteItem, or less likewise;
 * - `history:cursors`: GetSecretValue on the cursor secret (`CURSOR_SECRET_ARN`);
 * - `start-work`: `states:StartExecution` on the family state machines (`CLOUD_ACTION_STATE_MACHINES`)
 *   and on the responder state machine (`RESPONDER_STATE_MACHINE_ARN`, with `PICKUP_DEADLINE_SECONDS`
 *   and `COMPLETION_DEADLINE_SECONDS`);
 * - `evidence:read`: list and get under `actions/` of the evidence bucket, decrypt through S3;
 * - `evidence:upload`: sign one-object uploads under `actions/` (see `grantEvidenceBucket`);
 * - `responder-queues`: the SQS actions of the route's {@link routeQueueUse} on `<prefix>-*`
 *   (`RESPONDER_QUEUE_PREFIX`);
 * - `task-callbacks`: `states:SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` on the
 *   responder state machine;
 * - `work-signing-key`: GetSecretValue on the work-signing secret (`WORK_SIGNING_KEY_SECRET_ARN`);
 * - `playbooks` (and `automation-rules`, whose rules may name a playbook): the shipped PLAYBOOKS
 *   file and PLAYBOOK_RUN_DEADLINE_SECONDS;
 * - `playbook-runs`: `states:StartExecution` on the playbook state machine only (`PLAYBOOK_STATE_MACHINE_ARN`).
 *
 * Scopes are not checked by the authorizer: a valid token without the needed scope must get the
 * API's own problem+json 403 (API.md), which only the handlers produce.
 */
export class ServiceApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  /** The route functions by route id (`CreateAction`, `GetAction`, ...). */
  public readonly functions: Readonly<Record<string, ServiceFunction>>;
  /** ResponderQueueAccess: the role responders' queue credentials are sessions of (the queue-credentials route makes it). */
  public queueAccessRole: Role | undefined;
  private readonly grants: Record<RouteNeed, (fn: ServiceFunction, route: NeedsOf) => void>;
  private readonly automation: AutomationRouteResources;
  private readonly playbooks: PlaybookRouteResources;

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

    this.grants = this.needGrants(props);
    this.automation = props.automation;
    this.playbooks = props.playbooks;
    const functions: Record<string, ServiceFunction> = {};
    for (const route of props.routes) {
      const timeout = routeTimeouts[route.id];
      const fn = new ServiceFunction(this, route.id, {
        entry: route.entry,
        description: `response-actions API: ${route.method} ${route.path}`,
        ...(timeout === undefined ? {} : { timeout }),
        ...this.functionPropsFor(route),
      });
      Validations.of(fn).acknowledge({
        id: 'Serverless::Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by API Gateway only: the caller receives the error (problem+json) and the 5xx and Errors alarms fire; there is no asynchronous event a dead-letter queue could keep.',
      });
      this.grantNeeds(fn, route);

      const routes = httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
        // Every other route keeps the API's default JWT authorizer.
        ...(route.public === true ? { authorizer: new HttpNoneAuthorizer() } : {}),
      });
      if (route.public === true) {
        for (const publicRoute of routes) {
          Validations.of(publicRoute).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason:
              'API.md: the description needs no token. This route serves only the OpenAPI document built from the code; its function reads no data, holds no grant and no secret, and the stage throttling bounds it.',
          });
        }
      }
      functions[route.id] = fn;
    }

    this.httpApi = httpApi;
    this.functions = functions;
  }

  /**
   * What a function with these needs must be created with: the exemptions role path (the member
   * accounts' exemptions role trusts that path only) and the shipped rules and playbooks files.
   */
  public functionPropsFor(consumer: NeedsOf): { rolePath?: string; files?: Readonly<Record<string, string>> } {
    const { rules, exemptionsRolePath } = this.automation;
    const playbooks = this.playbooks.file;
    const files = [
      ...(consumer.needs.includes('automation-rules') && rules !== undefined ? [rules] : []),
      // Rules may name a playbook, so whatever loads the rules knows the playbooks in force.
      ...((consumer.needs.includes('playbooks') || consumer.needs.includes('automation-rules')) && playbooks !== undefined ? [playbooks] : []),
    ];
    return {
      ...(consumer.needs.includes('exemptions') ? { rolePath: exemptionsRolePath } : {}),
      ...(files.length > 0 ? { files: Object.fromEntries(files.map((file) => [file.fileName, file.content])) } : {}),
    };
  }

  /** Grants `fn` exactly what `consumer`'s needs say (created with {@link functionPropsFor}). */
  public grantNeeds(fn: ServiceFunction, consumer: NeedsOf): void {
    const needs = new Set(consumer.needs);
    // One history grant per function, whichever of the two needs it names.
    if (needs.has('history:write')) needs.delete('history:read');
    for (const need of needs) this.grants[need](fn, consumer);
  }

  /** How each need is granted: a record over every need, so a new kind of need cannot go unhandled. */
  private needGrants(props: ServiceApiProps): Record<RouteNeed, (fn: ServiceFunction, route: NeedsOf) => void> {
    const history = (fn: ServiceFunction, route: NeedsOf): void => {
      const access = historyAccessOf(route);
      if (access !== undefined) grantHistoryTable(fn, props.historyTable, access);
    };
    const { responder, automation, playbooks } = props;

    return {
      'history:read': history,
      // Only the function that hands cursors to callers signs them with the shared secret.
      'history:cursors': (fn) => {
        fn.addEnvironment(CURSOR_SECRET_ARN_ENV, props.cursorSecret.secretArn);
        fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.cursorSecret.secretArn] }));
      },
      'history:write': history,
      // Cloud actions start their family's machine; host and Kubernetes actions the responder's.
      'start-work': (fn) => {
        grantStartActions(fn, { families: props.stateMachines, responder: responder.stateMachine, deadlines: responder.deadlines });
        // Whatever starts work may be gated by APPROVAL_REQUIRED, and then creates an approval.
        setApprovalEnvironment(fn, automation);
      },
      'evidence:read': (fn) => {
        grantEvidenceBucket(fn, props.evidence, 'read');
      },
      'evidence:upload': (fn) => {
        grantEvidenceBucket(fn, props.evidence, 'upload');
      },
      'responder-queues': (fn, route) => {
        grantResponderQueues(fn, responder.queuePrefix, queueUseOf(route));
      },
      // SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat; the task token names the execution.
      'task-callbacks': (fn) => {
        responder.stateMachine.grantTaskResponse(fn);
      },
      'work-signing-key': (fn) => {
        grantWorkSigningKey(fn, responder.workSigningKey);
      },
      // The one role responders' queue credentials are sessions of; it trusts this function's role only.
      'queue-credentials': (fn) => {
        if (this.queueAccessRole !== undefined) throw new Error('only one route may hand out queue credentials (the role trusts one function)');
        const role = new Role(this, 'ResponderQueueAccess', {
          assumedBy: fn.executionRole,
          description: 'response-actions: sessions of this role are one responder\'s credentials for its own work queue (narrowed by a session policy)',
          maxSessionDuration: Duration.hours(1),
          inlinePolicies: { OwnQueueMessages: new PolicyDocument({ statements: responderQueueAccessStatements(responder.queuePrefix) }) },
        });
        role.grantAssumeRole(fn.executionRole);
        acknowledgeWildcardResource(
          role,
          responderQueuesArn(responder.queuePrefix),
          'Responder work queues are one per host and per Kubernetes cluster (<prefix>-host-..., <prefix>-k8s-...), created on demand when a responder registers, so their names cannot be listed at deploy time; every session of this role carries a session policy naming exactly one queue ARN (the caller\'s), the role\'s own policy is held to ReceiveMessage, DeleteMessage and ChangeMessageVisibility on this prefix in this account and region, and denies every -dlq.',
        );
        fn.addEnvironment(RESPONDER_QUEUE_ROLE_ARN_ENV, role.roleArn);
        this.queueAccessRole = role;
      },
      'cloud-plans': (fn) => {
        grantCloudPlans(fn, automation);
      },
      'exemptions': (fn) => {
        grantExemptions(fn, automation);
      },
      'automation-rules': (fn) => {
        shipAutomationRules(fn, automation);
        shipPlaybooks(fn, playbooks);
      },
      'playbooks': (fn) => {
        shipPlaybooks(fn, playbooks);
      },
      'playbook-runs': (fn) => {
        grantPlaybookRuns(fn, playbooks);
      },
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
