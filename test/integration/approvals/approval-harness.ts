import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { apiRoutes } from '#functions/api/routes.ts';
import { ApprovalStore } from '#shared/approvals/approval-store.ts';
import type { ApprovalService } from '#shared/approvals/approval-service.ts';
import type { Approval } from '#shared/approvals/types.ts';
import type { Caller } from '#shared/auth/scopes.ts';
import type { FixedClock } from '#shared/clock.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import type { ApiHandler } from '#shared/http/api-handler.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { createActionServices, type ActionServicesDeps } from '#shared/use-cases/action-services.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { CompletingStarter } from '#test/support/local-api.ts';
import { routePathParameters } from '#test/support/route-path.ts';

export const containmentExec = 'containment-response-actions.exec';
export const containmentRead = 'containment-response-actions.read';
export const dataGatheringExec = 'data-gathering-response-actions.exec';
export const dataGatheringRead = 'data-gathering-response-actions.read';
export const bothExec = [containmentExec, dataGatheringExec];

export interface Person {
  readonly sub: string;
  readonly scopes: readonly string[];
}

/** The caller the authorizer's claims would make of this person. */
export function callerOf(person: Person): Caller {
  return { sub: person.sub, scopes: new Set(person.scopes) };
}

export interface Answer<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ApprovalWorld {
  readonly repository: HistoryRepository;
  /** The history table, for writing items as older versions stored them. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly store: ApprovalStore;
  readonly actions: ActionService;
  readonly approvals: ApprovalService;
  readonly starter: CompletingStarter;
  /** One request through the route's real handler, as API Gateway would hand it over after the JWT authorizer. */
  call<T = unknown>(method: 'GET' | 'POST', path: string, caller: Person, body?: unknown): Promise<Answer<T>>;
  /** Every action record in the table, whatever its category. */
  allActions(): Promise<ActionRecord[]>;
  pending(): Promise<Approval[]>;
}

/**
 * The action and approval use cases on a fresh history table in dynalite, wired as every runtime
 * wires them (createActionServices), served by the routes of functions/api/routes.ts.
 */
export async function approvalWorld(
  endpoint: string,
  clock: FixedClock,
  options: { approvalRequired?: readonly string[]; planner?: Planner; onApproved?: ActionServicesDeps['onApproved']; runs?: ActionServicesDeps['runs'] } = {},
): Promise<ApprovalWorld> {
  const { repository, client, tableName } = await freshHistory(endpoint, clock);
  const store = new ApprovalStore({ client, tableName, cursors: new CursorCodec(randomBytes(32)) });
  const starter = new CompletingStarter(repository);
  const { actions, approvals } = createActionServices({
    repository,
    starters: { cloud: starter },
    clock,
    approvalRequired: options.approvalRequired ?? [],
    approvalStore: store,
    approvalTtlSeconds: 3600,
    ...(options.planner === undefined ? {} : { planner: options.planner }),
    ...(options.onApproved === undefined ? {} : { onApproved: options.onApproved }),
    ...(options.runs === undefined ? {} : { runs: options.runs }),
  });
  const handlers = apiRoutes.map((route) => ({ route, handler: route.create({ service: actions, approvals }) }));
  let requests = 0;
  const call = async <T,>(method: 'GET' | 'POST', path: string, caller: Person, body?: unknown): Promise<Answer<T>> => {
    const [rawPath = '', rawQuery = ''] = path.split('?');
    const found = handlers.flatMap(({ route, handler }) => {
      const parameters = route.method === method ? routePathParameters(route.path, rawPath) : undefined;
      return parameters === undefined ? [] : [{ route, handler, parameters }];
    })[0];
    if (found === undefined) throw new Error(`no route ${method} ${rawPath}`);
    requests += 1;
    const response = await invoke(found.handler, {
      routeKey: `${method} ${found.route.path}`,
      rawPath,
      rawQueryString: rawQuery,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      queryStringParameters: rawQuery === '' ? undefined : Object.fromEntries(new URLSearchParams(rawQuery)),
      pathParameters: found.parameters,
      body: body === undefined ? undefined : JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: {
        requestId: `request-${String(requests)}`,
        authorizer: { jwt: { claims: { sub: caller.sub, scope: caller.scopes.join(' ') }, scopes: null } },
      },
    });
    return {
      status: response.statusCode ?? 0,
      body: JSON.parse(typeof response.body === 'string' ? response.body : 'null') as T,
      headers: (response.headers ?? {}) as Record<string, string>,
    };
  };
  return {
    repository,
    client,
    tableName,
    store,
    actions,
    approvals,
    starter,
    call,
    allActions: async () => (await repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items,
    pending: async () =>
      (await store.list({ categories: ['containment', 'data-gathering'], status: 'pending', limit: 100, now: clock.now() })).items.map(
        (item) => item.approval,
      ),
  };
}

async function invoke(handler: ApiHandler, event: Record<string, unknown>): Promise<{ statusCode?: number; body?: string; headers?: unknown }> {
  return handler(event as unknown as APIGatewayProxyEventV2WithJWTAuthorizer, {} as Context);
}
