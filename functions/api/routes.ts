import type { ApiHandler } from '#shared/http/api-handler.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import * as createAction from './create-action.ts';
import * as getAction from './get-action.ts';
import * as getEvidence from './get-evidence.ts';
import * as listActionTypes from './list-action-types.ts';
import * as listActions from './list-actions.ts';
import * as reexecuteAction from './reexecute-action.ts';
import * as undoAction from './undo-action.ts';

export interface ApiRouteDeps {
  readonly service: ActionService;
}

/** One HTTP route: the same handler module serves it in API Gateway and in the local runtime. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  /** API Gateway route path, `{name}` for path parameters. */
  readonly path: string;
  /** Construct id of its function in the CDK app. */
  readonly id: string;
  /** The handler module, relative to the repository root, for NodejsFunction's entry. */
  readonly entry: string;
  /** What the function touches, for its least-privilege grants. */
  readonly needs: readonly ('history:read' | 'history:write' | 'start-work' | 'evidence:read')[];
  readonly create: (deps: ApiRouteDeps) => ApiHandler;
}

export const apiRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/v1/action-types',
    id: 'ListActionTypes',
    entry: 'functions/api/list-action-types.ts',
    needs: [],
    create: () => listActionTypes.createHandler(),
  },
  {
    method: 'POST',
    path: '/v1/actions',
    id: 'CreateAction',
    entry: 'functions/api/create-action.ts',
    needs: ['history:write', 'start-work'],
    create: (deps) => createAction.createHandler(deps),
  },
  {
    method: 'GET',
    path: '/v1/actions',
    id: 'ListActions',
    entry: 'functions/api/list-actions.ts',
    needs: ['history:read'],
    create: (deps) => listActions.createHandler(deps),
  },
  {
    method: 'GET',
    path: '/v1/actions/{id}',
    id: 'GetAction',
    entry: 'functions/api/get-action.ts',
    needs: ['history:read'],
    create: (deps) => getAction.createHandler(deps),
  },
  {
    method: 'POST',
    path: '/v1/actions/{id}/undo',
    id: 'UndoAction',
    entry: 'functions/api/undo-action.ts',
    needs: ['history:write', 'start-work'],
    create: (deps) => undoAction.createHandler(deps),
  },
  {
    method: 'POST',
    path: '/v1/actions/{id}/reexecute',
    id: 'ReexecuteAction',
    entry: 'functions/api/reexecute-action.ts',
    needs: ['history:write', 'start-work'],
    create: (deps) => reexecuteAction.createHandler(deps),
  },
  {
    method: 'GET',
    path: '/v1/actions/{id}/evidence',
    id: 'GetEvidence',
    entry: 'functions/api/get-evidence.ts',
    needs: ['history:read', 'evidence:read'],
    create: (deps) => getEvidence.createHandler(deps),
  },
];
