/**
 * What the API fuzzer knows of each route of functions/api/routes.ts: who may call it (decided
 * before any input is read) and what valid-ish inputs look like, for the mutators of
 * fuzz-arbitraries.ts to start from. A route of apiRoutes without a model here fails the fuzz
 * test by name (unmodelled), so a new route is fuzzed once someone says what it takes.
 */
import fc from 'fast-check';
import type { ApiRoute } from '#functions/api/routes.ts';
import { encodedSegment, hostileString, mutatedBody, queryString, type WireBody } from './fuzz-arbitraries.ts';

/**
 * Who a route answers, before it looks at any input: `public` anyone; `reader` any of the four
 * category scopes; `record` a record's own reads, which answer 404 to a caller without a category
 * scope (it does not learn the record exists); `exec` an exec scope; `responder` the respond scope;
 * `events` the events scope.
 */
export type Access = 'public' | 'reader' | 'record' | 'exec' | 'responder' | 'events';

export interface RouteModel {
  readonly access: Access;
  /** Valid-ish values of each path parameter. */
  readonly params?: Readonly<Record<string, fc.Arbitrary<string>>>;
  /** Known query parameters and valid-ish values. */
  readonly query?: Readonly<Record<string, fc.Arbitrary<string>>>;
  /** A valid-ish body, for a route that takes one. */
  readonly body?: fc.Arbitrary<Record<string, unknown>>;
}

/** What the service under test already holds, so inputs name things that exist as well as things that do not. */
export interface FuzzSeeds {
  readonly actionIds: readonly string[];
  readonly approvalIds: readonly string[];
  readonly playbookRunIds: readonly string[];
  readonly playbookNames: readonly string[];
  readonly ruleIds: readonly string[];
  /** The host responder the fuzzer's responder tokens are bound to (registered). */
  readonly responderName: string;
  /** Findings as their sources send them (falco, GuardDuty, Security Hub). */
  readonly findings: readonly Record<string, unknown>[];
  /** An IAM user in the target account. */
  readonly userArn: string;
}

const oneOf = <T>(values: readonly T[], fallback: fc.Arbitrary<T>): fc.Arbitrary<T> => (values.length === 0 ? fallback : fc.oneof(fc.constantFrom(...values), fallback));
const rfc3339 = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString());
const reason = fc.option(fc.string({ maxLength: 60 }), { nil: undefined }).map((text) => (text === undefined ? {} : { reason: text }));
const limit = fc.integer({ min: -5, max: 300 }).map(String);

/** The models, by `METHOD /path` as apiRoutes names them. */
export function routeModels(seeds: FuzzSeeds): Readonly<Record<string, RouteModel>> {
  const actionId = oneOf(seeds.actionIds, fc.uuid());
  const approvalId = oneOf(seeds.approvalIds, fc.uuid());
  const runId = oneOf(seeds.playbookRunIds, fc.uuid());
  const actionTypes = ['iam-quarantine', 'kill-process', 'get-logs', 'isolate-network', 'make-cloud-resource-private', 'iam-unquarantine', 'file-quarantine', 'fetch-cloud-logs'];
  const inputsByType: Readonly<Record<string, Record<string, unknown>>> = {
    'iam-quarantine': { 'aws.resource.arn': seeds.userArn },
    'iam-unquarantine': { 'aws.resource.arn': seeds.userArn },
    'kill-process': { 'host.id': seeds.responderName, 'process.id': 4242 },
    'get-logs': { 'host.id': seeds.responderName, 'container.id': 'abc123' },
    'isolate-network': { 'kubernetes.cluster.name': 'prod', 'kubernetes.namespace.name': 'default', 'kubernetes.workload.name': 'web', 'kubernetes.workload.type': 'deployment' },
    'make-cloud-resource-private': { 'aws.resource.arn': 'arn:aws:s3:::fuzz-bucket' },
    'file-quarantine': { 'host.id': seeds.responderName, 'path.absolute': '/tmp/fuzz-evil' },
    'fetch-cloud-logs': { 'aws.resource.arn': seeds.userArn },
  };
  const createAction = fc.tuple(fc.constantFrom(...actionTypes), reason).map(([type, why]) => ({ type, inputs: inputsByType[type] ?? {}, ...why }));
  const historyQuery = {
    resource: fc.constantFrom(seeds.userArn, `host/${seeds.responderName}`, 'k8s/prod/default/pod/web'),
    type: fc.constantFrom(...actionTypes),
    status: fc.constantFrom('Created', 'Enqueued', 'Running', 'Completed', 'Error'),
    createdBy: fc.constantFrom('fuzz-analyst', 'automation:r1'),
    from: rfc3339,
    to: rfc3339,
    limit,
    cursor: fc.base64String({ maxLength: 120 }),
  };
  const responderPath = { kind: fc.constantFrom('host', 'host', 'kubernetes'), name: fc.constantFrom(seeds.responderName, 'other-host', 'prod-cluster') };
  return {
    'GET /v1/openapi.json': { access: 'public' },
    'GET /v1/action-types': { access: 'reader' },
    'POST /v1/actions': { access: 'exec', body: createAction, query: { dryRun: fc.constantFrom('true', 'false') } },
    'GET /v1/actions': { access: 'reader', query: historyQuery },
    'GET /v1/actions/{id}': { access: 'record', params: { id: actionId } },
    'POST /v1/actions/{id}/undo': { access: 'exec', params: { id: actionId }, body: reason, query: { dryRun: fc.constantFrom('true', 'false') } },
    'POST /v1/actions/{id}/reexecute': { access: 'exec', params: { id: actionId }, query: { dryRun: fc.constantFrom('true', 'false') } },
    'GET /v1/actions/{id}/evidence': { access: 'record', params: { id: actionId } },
    'GET /v1/approvals': { access: 'reader', query: { status: fc.constantFrom('pending', 'approved', 'rejected', 'expired'), limit, cursor: fc.base64String({ maxLength: 120 }) } },
    'GET /v1/approvals/{id}': { access: 'reader', params: { id: approvalId } },
    'POST /v1/approvals/{id}/approve': { access: 'exec', params: { id: approvalId }, body: reason },
    'POST /v1/approvals/{id}/reject': { access: 'exec', params: { id: approvalId }, body: reason },
    'POST /v1/responders': {
      access: 'responder',
      body: fc.record({
        kind: fc.constantFrom('host', 'kubernetes'),
        name: fc.constantFrom(seeds.responderName, 'other-host'),
        version: fc.constantFrom('1.0.0', 'local'),
        capabilities: fc.subarray(['kill-process', 'get-logs', 'file-quarantine', 'kill-container']),
      }),
    },
    'GET /v1/responders': { access: 'reader' },
    'POST /v1/responders/{kind}/{name}/heartbeat': { access: 'responder', params: responderPath },
    'POST /v1/responders/{kind}/{name}/queue-credentials': { access: 'responder', params: responderPath },
    'POST /v1/responders/{kind}/{name}/deregister': { access: 'responder', params: responderPath },
    'POST /v1/actions/{id}/reports': {
      access: 'responder',
      params: { id: actionId },
      body: fc.record(
        {
          status: fc.constantFrom('Running', 'Completed', 'Error'),
          detail: fc.string({ maxLength: 40 }),
          result: fc.jsonValue({ maxDepth: 2 }),
          applied: fc.constant({ changes: ['x'] }),
          error: fc.record({ code: fc.constantFrom('Failed', 'NotFound'), message: fc.string({ minLength: 1, maxLength: 40 }) }),
        },
        { requiredKeys: ['status'] },
      ),
    },
    'POST /v1/actions/{id}/evidence-uploads': {
      access: 'responder',
      params: { id: actionId },
      body: fc.record({
        name: fc.constantFrom('logs.txt', 'memory.lime', '.hidden', 'a'.repeat(200)),
        contentType: fc.constantFrom('text/plain', 'application/octet-stream'),
        size: fc.integer({ min: 0, max: 5 * 1024 ** 3 }),
        sha256: fc.constant('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
      }),
    },
    'POST /v1/events': { access: 'events', body: fc.constantFrom(...seeds.findings).map((finding) => structuredClone(finding)) },
    'GET /v1/events': {
      access: 'reader',
      query: { findingId: fc.string({ maxLength: 30 }), ruleId: oneOf(seeds.ruleIds, fc.string()), outcome: fc.constantFrom('executed', 'approval', 'skipped', 'rate-limited'), from: rfc3339, to: rfc3339, limit, cursor: fc.base64String({ maxLength: 120 }) },
    },
    'GET /v1/automation-rules': { access: 'reader' },
    'POST /v1/automation-rules/{id}/reset': { access: 'exec', params: { id: oneOf(seeds.ruleIds, fc.string({ minLength: 1, maxLength: 20 })) }, body: reason },
    'GET /v1/playbooks': { access: 'reader' },
    'POST /v1/playbooks/{name}/runs': {
      access: 'exec',
      params: { name: oneOf(seeds.playbookNames, fc.string({ minLength: 1, maxLength: 20 })) },
      body: fc.tuple(fc.constantFrom<Record<string, unknown>>({ 'aws.resource.arn': seeds.userArn }, { 'host.id': seeds.responderName, 'container.id': 'abc123' }, { 'host.id': seeds.responderName, 'path.absolute': '/tmp/x' }), reason).map(([inputs, why]) => ({ inputs, ...why })),
      query: { dryRun: fc.constantFrom('true', 'false') },
    },
    'GET /v1/playbook-runs': { access: 'reader', query: { playbook: oneOf(seeds.playbookNames, fc.string()), status: fc.constantFrom('Created', 'Running', 'Completed', 'Error'), createdBy: fc.string(), limit, cursor: fc.base64String({ maxLength: 120 }) } },
    'GET /v1/playbook-runs/{id}': { access: 'reader', params: { id: runId } },
    'POST /v1/playbook-runs/{id}/undo': { access: 'exec', params: { id: runId }, body: reason },
  };
}

/** The routes of `routes` that no model describes: each is a gap in the fuzzing, and fails the test. */
export function unmodelled(routes: readonly Pick<ApiRoute, 'method' | 'path'>[], models: Readonly<Record<string, RouteModel>>): string[] {
  return routes.map((route) => `${route.method} ${route.path}`).filter((key) => !(key in models));
}

/** One request the fuzzer sends, as it goes on the wire. */
export interface FuzzRequest {
  readonly route: string;
  readonly method: string;
  /** The request target: path and query string, already encoded. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: WireBody | undefined;
  /** Whether the target still names the route (no segment added, emptied or made a dot segment), so its token check is due. */
  readonly matches: boolean;
  /** Whether every path parameter is valid percent-encoded UTF-8, so the route's own scope check is due (else the transport's 400). */
  readonly wellFormed: boolean;
}

/** Requests for one route: its valid-ish inputs mutated, other methods now and then, header and query variants. */
export function requestFor(route: Pick<ApiRoute, 'method' | 'path'>, model: RouteModel, headers: fc.Arbitrary<Record<string, string | string[]>>): fc.Arbitrary<FuzzRequest> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');
  const segments = fc.tuple(...names.map((name) => fc.oneof({ weight: 4, arbitrary: model.params?.[name] ?? fc.string() }, { weight: 1, arbitrary: hostileString }).chain(encodedSegment)));
  const body: fc.Arbitrary<WireBody | undefined> = model.body === undefined ? fc.oneof(fc.constant(undefined), mutatedBody(fc.constant({}))) : mutatedBody(model.body);
  const method = fc.oneof({ weight: 12, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') });
  return fc.record({ segments, body, method, headers, query: fc.option(queryString(model.query ?? {}), { freq: 3, nil: undefined }) }).map((parts) => {
    let index = 0;
    const path = route.path.replace(/\{\w+\}/g, () => parts.segments[index++]?.segment ?? '');
    const request = {
      route: `${route.method} ${route.path}`,
      method: parts.method,
      target: parts.query === undefined ? path : `${path}?${parts.query}`,
      headers: parts.headers,
      body: parts.method === 'GET' || parts.method === 'HEAD' ? undefined : parts.body,
      matches: parts.segments.every((segment) => segment.matches),
      wellFormed: parts.segments.every((segment) => segment.wellFormed),
    };
    // A counterexample is printed with its long strings cut short, so a failure stays readable.
    return Object.defineProperty(request, fc.toStringMethod, { value: () => JSON.stringify(request, shortened) });
  });
}

function shortened(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes ${Buffer.from(value).toString('hex')}`;
  return typeof value === 'string' && value.length > 300 ? `${value.slice(0, 200)}...(${value.length} characters)` : value;
}
