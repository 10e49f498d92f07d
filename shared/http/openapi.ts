/**
 * The API's OpenAPI 3.1 document (API.md: Description), built from the zod schemas that validate
 * requests: the catalogue's per-type inputs, the responder protocol's bodies. OpenAPI 3.1 schemas
 * are JSON Schema 2020-12, which zod 4 emits itself, so no generator dependency is bundled.
 */
import * as z from 'zod';
import { actionRecordSchema, approvalAcceptedSchema, approvalSchema, decisionRequestSchema } from '#shared/approvals/approval-schema.ts';
import { approvalStatuses } from '#shared/approvals/types.ts';
import { decisionOutcomes } from '#shared/automation/types.ts';
import { actionTypes } from '#shared/catalogue/catalogue.ts';
import { actionStatuses } from '#shared/history/status.ts';
import { planResponseSchema } from '#shared/plans/plan-schema.ts';
import {
  playbookListSchema,
  playbookPlanResponseSchema,
  playbookRunAcceptedSchema,
  playbookRunPageSchema,
  playbookRunRequestSchema,
  playbookRunSchema,
  playbookRunUndoRequestSchema,
} from '#shared/playbooks/run-schema.ts';
import { runStatuses } from '#shared/playbooks/types.ts';
import { registerRequestSchema, reportSchema, responderKinds, uploadRequestSchema } from '#shared/responders/protocol.ts';
import type { ProblemBody } from './problem.ts';

type JsonSchema = z.core.JSONSchema.BaseSchema;

/** The body of every 4xx and 5xx (RFC 9457), typed against `ProblemBody` so the two cannot drift. */
const problemSchema: z.ZodType<ProblemBody> = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  correlationId: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/**
 * The query of GET /v1/actions, as `parseHistoryQuery` (functions/api/list-actions.ts) checks it;
 * its test holds the two to the same names and bounds.
 */
export const historyQueryParameters = {
  resource: z.string().min(1).max(2048).describe('A resource key (API.md); only actions on it'),
  type: z.enum(actionTypes.map((definition) => definition.type)).describe('Only actions of this type'),
  status: z.enum(actionStatuses),
  createdBy: z.string().min(1).max(256).describe('Only actions created by this subject'),
  from: z.iso.datetime({ offset: true }).describe('RFC 3339; created at or after'),
  to: z.iso.datetime({ offset: true }).describe('RFC 3339; created at or before'),
  limit: z.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(2048).describe('nextCursor of the previous page'),
} as const;

/** The query of GET /v1/events, as `parseEventsQuery` (functions/api/list-events.ts) checks it. */
export const eventsQueryParameters = {
  findingId: z.string().min(1).max(1024).describe('Only decisions on this finding id'),
  ruleId: z.string().min(1).max(64).describe('Only decisions of this rule'),
  outcome: z.enum(decisionOutcomes),
  from: z.iso.datetime({ offset: true }).describe('RFC 3339; received at or after'),
  to: z.iso.datetime({ offset: true }).describe('RFC 3339; received at or before'),
  limit: z.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(2048).describe('nextCursor of the previous page'),
} as const;

/** The query of GET /v1/approvals, as `parseApprovalQuery` (functions/api/list-approvals.ts) checks it. */
export const approvalQueryParameters = {
  status: z.enum(approvalStatuses),
  limit: z.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(2048).describe('nextCursor of the previous page'),
} as const;

/** The query of GET /v1/playbook-runs, as `parseRunQuery` (functions/api/list-playbook-runs.ts) checks it. */
export const playbookRunQueryParameters = {
  playbook: z.string().min(1).max(64).describe('Only runs of this playbook (GET /v1/playbooks lists them)'),
  status: z.enum(runStatuses),
  createdBy: z.string().min(1).max(256).describe('Only runs created by this subject'),
  limit: z.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(2048).describe('nextCursor of the previous page'),
} as const;

/** What create and undo take besides the inputs (action-service's `checkReason`). */
const reasonSchema = z.string().max(1000).nullable().optional();

/** One branch per action type: the request names the type and carries that type's inputs. */
const createActionRequestSchema = z.union(
  actionTypes.map((definition) => z.strictObject({ type: z.literal(definition.type), inputs: definition.inputs, reason: reasonSchema })),
);

const undoRequestSchema = z.strictObject({ reason: reasonSchema });

const jsonSchemaOptions = { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' } as const;

/** JSON Schema (2020-12) of what a client sends; refinements have no JSON Schema form. */
function requestSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, jsonSchemaOptions);
  return rest;
}

/**
 * The named schemas, emitted together so shared parts are `$ref`s into `components/schemas`:
 * the responder report's JSON values are recursive, which a per-schema `$defs` would leave
 * pointing at the document's root.
 */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  registry.add(problemSchema, { id: 'Problem' });
  registry.add(createActionRequestSchema, { id: 'CreateActionRequest' });
  registry.add(undoRequestSchema, { id: 'UndoRequest' });
  registry.add(actionRecordSchema, { id: 'ActionRecord' });
  registry.add(approvalSchema, { id: 'Approval' });
  registry.add(approvalAcceptedSchema, { id: 'ApprovalAccepted' });
  registry.add(z.union([actionRecordSchema, approvalAcceptedSchema]), { id: 'ActionAccepted' });
  registry.add(decisionRequestSchema, { id: 'ApprovalDecisionRequest' });
  registry.add(planResponseSchema, { id: 'PlanResponse' });
  registry.add(registerRequestSchema, { id: 'RegisterResponderRequest' });
  registry.add(reportSchema, { id: 'ResponderReport' });
  registry.add(reportSchema.shape.result.unwrap(), { id: 'JsonValue' });
  registry.add(uploadRequestSchema, { id: 'EvidenceUploadRequest' });
  registry.add(playbookListSchema, { id: 'PlaybookList' });
  registry.add(playbookRunRequestSchema, { id: 'PlaybookRunRequest' });
  registry.add(playbookRunUndoRequestSchema, { id: 'PlaybookRunUndoRequest' });
  registry.add(playbookRunSchema, { id: 'PlaybookRun' });
  registry.add(playbookRunAcceptedSchema, { id: 'PlaybookRunAccepted' });
  registry.add(playbookRunPageSchema, { id: 'PlaybookRunPage' });
  registry.add(playbookPlanResponseSchema, { id: 'PlaybookPlanResponse' });
  const { schemas } = z.toJSONSchema(registry, { ...jsonSchemaOptions, uri: (id) => `#/components/schemas/${id}` });
  const components: Record<string, JsonSchema> = {};
  for (const [id, { $schema: _dialect, $id: _id, ...schema }] of Object.entries(schemas)) components[id] = schema;
  return components;
}

type Access = 'public' | 'action-read' | 'action-exec' | 'playbook-exec' | 'catalogue' | 'respond' | 'events';

interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly access: Access;
  readonly ok: number;
  readonly body?: { readonly schema: string; readonly required: boolean };
  readonly query?: Readonly<Record<string, z.ZodType>>;
  /** The schema of the `ok` response's body; a plain object when not named. */
  readonly response?: string;
  /** Another success the route answers with, and its body's schema (a dry run's 200 with the plan). */
  readonly alternative?: { readonly status: number; readonly schema: string; readonly description: string };
}

const scopeNote: Readonly<Record<Access, string>> = {
  public: 'No token needed.',
  'action-read': 'Needs one of the response-actions category scopes (.exec or .read).',
  'action-exec': 'Needs the .exec scope of the action type\'s category.',
  'playbook-exec': 'Needs the .exec scope of every category the playbook\'s steps use.',
  catalogue: 'Needs one of the response-actions category scopes.',
  respond: 'For responders: needs the responder scope and the token\'s responder claim.',
  events: 'For finding sources: needs the response-actions.events scope; a token with the ra_events claim posts only the sources (and Falco hosts) it names.',
};

/** Every route of the HTTP API, by `METHOD path` as API Gateway keys it (routes.ts). */
export const operations: Readonly<Record<string, Operation>> = {
  'GET /v1/openapi.json': { operationId: 'getOpenApi', summary: 'This document', access: 'public', ok: 200 },
  'GET /v1/action-types': { operationId: 'listActionTypes', summary: 'The catalogue, each type\'s inputs as JSON Schema', access: 'catalogue', ok: 200 },
  'POST /v1/actions': {
    operationId: 'createAction',
    summary: 'Request an action (optional Idempotency-Key header), or with dryRun=true only its plan',
    access: 'action-exec',
    ok: 202,
    response: 'ActionAccepted',
    body: { schema: 'CreateActionRequest', required: true },
    query: { dryRun: z.enum(['true', 'false']).describe('true: the same checks, then 200 with the plan; nothing is written or changed') },
    alternative: { status: 200, schema: 'PlanResponse', description: 'dryRun=true: the plan (API.md "Plans (dry run)")' },
  },
  'GET /v1/actions': {
    operationId: 'listActions',
    summary: 'History, newest first, filtered and paginated',
    access: 'action-read',
    ok: 200,
    query: historyQueryParameters,
  },
  'GET /v1/actions/{id}': { operationId: 'getAction', summary: 'One action record', access: 'action-read', ok: 200, response: 'ActionRecord' },
  'POST /v1/actions/{id}/undo': {
    operationId: 'undoAction',
    summary: 'Undo an action: a new action of its undo type, or with dryRun=true only the plan of undoing exactly this action',
    access: 'action-exec',
    ok: 202,
    response: 'ActionAccepted',
    body: { schema: 'UndoRequest', required: false },
    query: { dryRun: z.enum(['true', 'false']).describe('true: the same checks, then 200 with the plan of undoing this action; nothing is written or changed, no approval is requested') },
    alternative: { status: 200, schema: 'PlanResponse', description: 'dryRun=true: the plan of the undo (API.md "Plans (dry run)")' },
  },
  'POST /v1/actions/{id}/reexecute': {
    operationId: 'reexecuteAction',
    summary: 'A new action with the same type and inputs, or with dryRun=true only its plan',
    access: 'action-exec',
    ok: 202,
    response: 'ActionAccepted',
    query: { dryRun: z.enum(['true', 'false']).describe('true: the same checks, then 200 with the plan of the re-execution; nothing is written or changed, no approval is requested') },
    alternative: { status: 200, schema: 'PlanResponse', description: 'dryRun=true: the plan of the re-execution (API.md "Plans (dry run)")' },
  },
  'GET /v1/approvals': {
    operationId: 'listApprovals',
    summary: 'Approvals of the categories the caller reads, newest first',
    access: 'action-read',
    ok: 200,
    query: approvalQueryParameters,
  },
  'GET /v1/approvals/{id}': { operationId: 'getApproval', summary: 'One approval', access: 'action-read', ok: 200, response: 'Approval' },
  'POST /v1/approvals/{id}/approve': {
    operationId: 'approveApproval',
    summary: 'A second person approves: the action is created for the requester, with trigger.approvedBy',
    access: 'action-exec',
    ok: 202,
    response: 'Approval',
    body: { schema: 'ApprovalDecisionRequest', required: false },
  },
  'POST /v1/approvals/{id}/reject': {
    operationId: 'rejectApproval',
    summary: 'A second person rejects: nothing is created',
    access: 'action-exec',
    ok: 200,
    response: 'Approval',
    body: { schema: 'ApprovalDecisionRequest', required: false },
  },
  'GET /v1/actions/{id}/evidence': { operationId: 'getEvidence', summary: 'The action\'s evidence objects with download URLs', access: 'action-read', ok: 200 },
  'POST /v1/responders': {
    operationId: 'registerResponder',
    summary: 'Register a responder',
    access: 'respond',
    ok: 200,
    body: { schema: 'RegisterResponderRequest', required: true },
  },
  'GET /v1/responders': { operationId: 'listResponders', summary: 'Registered responders', access: 'action-read', ok: 200 },
  'POST /v1/responders/{kind}/{name}/heartbeat': { operationId: 'responderHeartbeat', summary: 'A responder\'s sign of life', access: 'respond', ok: 200 },
  'POST /v1/responders/{kind}/{name}/queue-credentials': {
    operationId: 'responderQueueCredentials',
    summary: 'Short-lived credentials for the responder\'s own work queue',
    access: 'respond',
    ok: 200,
  },
  'POST /v1/responders/{kind}/{name}/deregister': { operationId: 'deregisterResponder', summary: 'Deregister a responder', access: 'respond', ok: 200 },
  'POST /v1/actions/{id}/reports': {
    operationId: 'reportAction',
    summary: 'A responder reports progress or the outcome of its work',
    access: 'respond',
    ok: 200,
    body: { schema: 'ResponderReport', required: true },
  },
  'POST /v1/events': {
    operationId: 'postEvent',
    summary: 'One EventBridge event (GuardDuty, Security Hub ASFF or OCSF) or one Falco alert; 202 with every rule\'s decision',
    access: 'events',
    ok: 202,
  },
  'GET /v1/events': {
    operationId: 'listEvents',
    summary: 'Every recorded decision on a finding, newest first',
    access: 'action-read',
    ok: 200,
    query: eventsQueryParameters,
  },
  'GET /v1/automation-rules': { operationId: 'listAutomationRules', summary: 'The rules in force, their file\'s SHA-256 and each rule\'s breaker', access: 'action-read', ok: 200 },
  'POST /v1/automation-rules/{id}/reset': {
    operationId: 'resetAutomationRule',
    summary: 'Close a rate-limited rule\'s breaker so it acts again',
    access: 'action-exec',
    ok: 200,
  },
  'GET /v1/playbooks': {
    operationId: 'listPlaybooks',
    summary: 'The built-in and custom playbooks, their inputs as JSON Schema and their steps',
    access: 'catalogue',
    ok: 200,
    response: 'PlaybookList',
  },
  'POST /v1/playbooks/{name}/runs': {
    operationId: 'createPlaybookRun',
    summary: 'Run a playbook (optional Idempotency-Key header), or with dryRun=true only every step\'s plan',
    access: 'playbook-exec',
    ok: 202,
    response: 'PlaybookRunAccepted',
    body: { schema: 'PlaybookRunRequest', required: true },
    query: { dryRun: z.enum(['true', 'false']).describe('true: the same checks, then 200 with every step\'s plan; nothing is written or changed') },
    alternative: { status: 200, schema: 'PlaybookPlanResponse', description: 'dryRun=true: every step\'s plan' },
  },
  'GET /v1/playbook-runs': {
    operationId: 'listPlaybookRuns',
    summary: 'Playbook runs, newest first, filtered and paginated',
    access: 'action-read',
    ok: 200,
    response: 'PlaybookRunPage',
    query: playbookRunQueryParameters,
  },
  'GET /v1/playbook-runs/{id}': {
    operationId: 'getPlaybookRun',
    summary: 'One playbook run, its steps as their actions stand now',
    access: 'action-read',
    ok: 200,
    response: 'PlaybookRun',
  },
  'POST /v1/playbook-runs/{id}/undo': {
    operationId: 'undoPlaybookRun',
    summary: 'Undo a run: its Completed containment steps that have an undo, in reverse order, as one new run; evidence is kept',
    access: 'playbook-exec',
    ok: 202,
    response: 'PlaybookRunAccepted',
    body: { schema: 'PlaybookRunUndoRequest', required: false },
  },
  'POST /v1/actions/{id}/evidence-uploads': {
    operationId: 'evidenceUpload',
    summary: 'A presigned upload URL for one evidence object',
    access: 'respond',
    ok: 200,
    body: { schema: 'EvidenceUploadRequest', required: true },
  },
};

const pathParameters: Readonly<Record<string, z.ZodType>> = {
  id: z.string().min(1),
  kind: z.enum(responderKinds),
  name: z.string().regex(/^[A-Za-z0-9._:-]{1,253}$/),
};

function problemResponse(description: string): object {
  return { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
}

function operationObject(method: string, path: string, operation: Operation): object {
  const parameters = [
    ...[...path.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => ({
      name,
      in: 'path',
      required: true,
      schema: requestSchema(pathParameters[name] ?? z.string()),
    })),
    ...Object.entries(operation.query ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema: requestSchema(schema) })),
  ];
  const secured = operation.access !== 'public';
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    description: scopeNote[operation.access],
    ...(secured ? {} : { security: [] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body === undefined
      ? {}
      : {
          requestBody: {
            required: operation.body.required,
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${operation.body.schema}` } } },
          },
        }),
    responses: {
      [String(operation.ok)]: {
        description: `${method} ${path} succeeded`,
        content: { 'application/json': { schema: operation.response === undefined ? { type: 'object' } : { $ref: `#/components/schemas/${operation.response}` } } },
      },
      ...(operation.alternative === undefined
        ? {}
        : {
            [String(operation.alternative.status)]: {
              description: operation.alternative.description,
              content: { 'application/json': { schema: { $ref: `#/components/schemas/${operation.alternative.schema}` } } },
            },
          }),
      ...(operation.body === undefined && operation.query === undefined && parameters.length === 0 ? {} : { '400': problemResponse('Invalid request: each error names its field') }),
      ...(secured ? { '401': problemResponse('No valid bearer token'), '403': problemResponse('The token lacks the scope this route needs') } : {}),
      default: problemResponse('Any other problem (RFC 9457)'),
    },
  };
}

/** The document: built on demand; callers build it once (per cold start) and keep it. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, object>> = {};
  for (const [key, operation] of Object.entries(operations)) {
    const [method = '', path = ''] = key.split(' ');
    paths[path] = { ...paths[path], [method.toLowerCase()]: operationObject(method, path, operation) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'response-actions',
      version: '1',
      description: 'Contain resources and collect evidence on AWS, hosts and Kubernetes from one API; every action recorded, every disruptive one undoable.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: componentSchemas(),
    },
  };
}
