/**
 * What kube-apiserver itself would insist on, applied by the test API server to every request the
 * responder makes and every answer a test feeds it, so no test can pass on a request a real API
 * server refuses or on an answer no real API server gives:
 * - requests: known query parameters only; a create's object has the path's apiVersion and kind,
 *   a name, the path's namespace (or none), and validates with kubernetes-models; a patch has a
 *   patch content type that fits the resource (no strategic merge on custom resources) and a
 *   body of the patch kind's shape; a delete's body is DeleteOptions;
 * - answers: a built-in kind validates with kubernetes-models and survives a round trip through
 *   @kubernetes/client-node's ObjectSerializer without losing a field (a misspelled or invented
 *   field is lost, so it is caught), is the kind the path serves, and names the path's object; a
 *   Status carries the HTTP status as its code; the answer to a patch shows the patch applied.
 */
import { isDeepStrictEqual } from 'node:util';
import { APIGroupList, APIResourceList, DeleteOptions, Status } from '@kubernetes-models/apimachinery/apis/meta/v1';
// The serializer the generated API clients decode responses with (the package's exported wrapper reads any object with apiVersion and kind as a bare KubernetesObject).
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-models/apps/v1';
import { Scale } from 'kubernetes-models/autoscaling/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy, NetworkPolicyList } from 'kubernetes-models/networking.k8s.io/v1';
import { Event, EventList, Node, NodeList, PersistentVolumeClaim, Pod, PodList } from 'kubernetes-models/v1';
import { mergePatch, validateCustomObject, validateLabelSelector, validateMetadata } from './validate.ts';

/** A kubernetes-models class (its constructor takes the object without apiVersion and kind, which it sets itself). */
type ModelClass = new (data: never) => { validate(): void };

interface KindModel {
  readonly apiVersion: string;
  readonly kind: string;
  readonly model: ModelClass;
}

interface BuiltInResource extends KindModel {
  readonly namespaced: boolean;
  readonly list?: ModelClass;
}

/** The built-in resources the responder calls, by `<group>/<resource>` ('' is the core group). */
const builtInResources: Readonly<Record<string, BuiltInResource>> = {
  '/pods': { apiVersion: 'v1', kind: 'Pod', namespaced: true, model: Pod, list: PodList },
  '/events': { apiVersion: 'v1', kind: 'Event', namespaced: true, model: Event, list: EventList },
  '/persistentvolumeclaims': { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespaced: true, model: PersistentVolumeClaim },
  '/nodes': { apiVersion: 'v1', kind: 'Node', namespaced: false, model: Node, list: NodeList },
  'apps/deployments': { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true, model: Deployment },
  'apps/statefulsets': { apiVersion: 'apps/v1', kind: 'StatefulSet', namespaced: true, model: StatefulSet },
  'apps/daemonsets': { apiVersion: 'apps/v1', kind: 'DaemonSet', namespaced: true, model: DaemonSet },
  'apps/replicasets': { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespaced: true, model: ReplicaSet },
  'batch/jobs': { apiVersion: 'batch/v1', kind: 'Job', namespaced: true, model: Job },
  'networking.k8s.io/networkpolicies': { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespaced: true, model: NetworkPolicy, list: NetworkPolicyList },
};

/** Every kind an answer or a request body may have that kubernetes-models and client-node know, by `<apiVersion> <kind>`. */
const knownKinds: ReadonlyMap<string, KindModel> = new Map(
  [
    ...Object.values(builtInResources).flatMap((resource) => [
      resource,
      ...(resource.list === undefined ? [] : [{ apiVersion: resource.apiVersion, kind: `${resource.kind}List`, model: resource.list }]),
    ]),
    { apiVersion: 'autoscaling/v1', kind: 'Scale', model: Scale },
    { apiVersion: 'v1', kind: 'Status', model: Status },
    { apiVersion: 'v1', kind: 'APIGroupList', model: APIGroupList },
    { apiVersion: 'v1', kind: 'APIResourceList', model: APIResourceList },
  ].map((entry) => [`${entry.apiVersion} ${entry.kind}`, entry]),
);

/** Query parameters kube-apiserver reads, per verb. Anything else is a typo or an invention. */
const queryParameters: Readonly<Record<string, readonly string[]>> = {
  GET: ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'pretty', 'container', 'previous', 'limitBytes', 'tailLines', 'sinceSeconds', 'timestamps'],
  POST: ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'],
  PATCH: ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'],
  DELETE: ['dryRun', 'gracePeriodSeconds', 'propagationPolicy', 'pretty'],
};

export const patchTypes = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategicMerge: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** What a request path names. */
export interface PathTarget {
  readonly group: string;
  readonly version: string;
  readonly namespace: string | null;
  readonly resource: string;
  readonly name: string | null;
  readonly subresource: string | null;
  /** The built-in resource, or undefined for a custom resource (or discovery). */
  readonly builtIn: BuiltInResource | undefined;
}

/** A request the API server would refuse: the status and Status reason it would answer with. */
export interface Refusal {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The resource a path names, or null for discovery (`/apis`, `/apis/<group>/<version>`). */
export function pathTarget(path: string): PathTarget | null {
  const parts = path.split('/').filter((part) => part !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1' && parts.length > 2) {
    [group, version, rest] = ['', 'v1', parts.slice(2)];
  } else if (parts[0] === 'apis' && parts.length > 3) {
    [group, version, rest] = [parts[1] ?? '', parts[2] ?? '', parts.slice(3)];
  } else {
    return null;
  }
  let namespace: string | null = null;
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1] ?? null;
    rest = rest.slice(2);
  }
  const [resource = '', name = null, subresource = null] = rest;
  return { group, version, namespace, resource, name, subresource, builtIn: builtInResources[`${group}/${resource}`] };
}

function groupVersion(target: PathTarget): string {
  return target.group === '' ? target.version : `${target.group}/${target.version}`;
}

/** The model client-node deserializes this kind with (`V1Pod`, `V1Scale`, `V1Status`). */
function clientType(model: KindModel): string {
  return `V1${model.kind}`;
}

function sameValue(sent: unknown, back: unknown): boolean {
  // client-node turns date-times into Date objects and back (with milliseconds): the same instant is the same value.
  if (typeof sent === 'string' && typeof back === 'string' && sent !== back) {
    const [a, b] = [Date.parse(sent), Date.parse(back)];
    return /^\d{4}-\d\d-\d\dT/.test(sent) && !Number.isNaN(a) && a === b;
  }
  return sent === back;
}

/** The paths of `sent` that `back` lost or changed. */
function lostFields(sent: unknown, back: unknown, path: string): string[] {
  if (Array.isArray(sent)) {
    if (!Array.isArray(back)) return [path];
    return sent.flatMap((item, index) => lostFields(item, back[index], `${path}[${String(index)}]`));
  }
  if (isRecord(sent)) {
    if (!isRecord(back)) return [path];
    return Object.entries(sent).flatMap(([key, value]) => (key in back ? lostFields(value, back[key], `${path}.${key}`) : [`${path}.${key}`]));
  }
  return sameValue(sent, back) ? [] : [path];
}

/**
 * The object as client-node's typed models read and write it: fields it drops are not fields of
 * the Kubernetes API (a typo, an invented field), so the answer or request is not a real one.
 */
function roundTripProblems(object: Record<string, unknown>, model: KindModel): string[] {
  const type = clientType(model);
  const back: unknown = ObjectSerializer.serialize(ObjectSerializer.deserialize(structuredClone(object), type, ''), type, '');
  const lost = lostFields(object, back, '');
  return lost.length === 0 ? [] : [`${type} has no field ${lost.map((field) => field.slice(1)).join(', ')} (lost in client-node's ObjectSerializer round trip)`];
}

function modelProblems(object: Record<string, unknown>, model: KindModel): string[] {
  const problems: string[] = [];
  if (object['apiVersion'] !== model.apiVersion || object['kind'] !== model.kind) {
    problems.push(`is ${String(object['apiVersion'])} ${String(object['kind'])}, not ${model.apiVersion} ${model.kind}`);
  }
  try {
    new model.model(object as never).validate();
  } catch (error) {
    problems.push(`${model.kind} fails kubernetes-models' schema: ${error instanceof Error ? error.message : String(error)}`);
  }
  return [...problems, ...roundTripProblems(object, model)];
}

function attempt(run: () => void): string[] {
  try {
    run();
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

function hasArray(value: unknown): boolean {
  return Array.isArray(value) || (isRecord(value) && Object.values(value).some(hasArray));
}

function withoutResourceVersion(patch: Record<string, unknown>): Record<string, unknown> {
  const metadata = isRecord(patch['metadata']) ? { ...patch['metadata'] } : undefined;
  if (metadata === undefined) return patch;
  Reflect.deleteProperty(metadata, 'resourceVersion');
  return { ...patch, metadata };
}

/** The body of a create: the path's kind, a name, the path's namespace or none, and a valid object. */
function createProblems(target: PathTarget, body: unknown): string[] {
  if (!isRecord(body)) return ['a create needs an object body'];
  const metadata = isRecord(body['metadata']) ? body['metadata'] : {};
  const problems: string[] = [];
  if (typeof metadata['name'] !== 'string' && typeof metadata['generateName'] !== 'string') problems.push('the object has no metadata.name');
  const namespaced = target.namespace !== null;
  if (namespaced && metadata['namespace'] !== undefined && metadata['namespace'] !== target.namespace) {
    problems.push(`metadata.namespace ${JSON.stringify(metadata['namespace'])} is not the request's namespace ${target.namespace}`);
  }
  if (!namespaced && metadata['namespace'] !== undefined) problems.push('a cluster-scoped object has no metadata.namespace');
  if (target.builtIn !== undefined) {
    problems.push(...modelProblems(body, target.builtIn));
    if (target.builtIn.kind === 'NetworkPolicy') {
      problems.push(...attempt(() => { validateLabelSelector(isRecord(body['spec']) ? body['spec']['podSelector'] : undefined); }));
    }
  } else if (typeof body['kind'] !== 'string' || body['kind'] === '') {
    problems.push('the object has no kind');
  } else {
    const withNamespace = namespaced ? { namespace: target.namespace, ...metadata } : metadata;
    problems.push(...attempt(() => { validateCustomObject({ ...body, metadata: withNamespace }, groupVersion(target), String(body['kind']), namespaced); }));
  }
  problems.push(...attempt(() => { validateMetadata({ ...metadata, ...(namespaced ? { namespace: target.namespace } : {}) }, namespaced); }));
  return problems;
}

function jsonPatchProblems(body: unknown): string[] {
  if (!Array.isArray(body) || body.length === 0) return ['a JSON patch is a non-empty array of operations'];
  return body.flatMap((operation: unknown, index) => {
    const at = `operation ${String(index)}`;
    if (!isRecord(operation) || typeof operation['path'] !== 'string' || !operation['path'].startsWith('/')) return [`${at} needs a path starting with /`];
    const op = operation['op'];
    if (op === 'add' || op === 'replace' || op === 'test') return 'value' in operation ? [] : [`${at} (${op}) needs a value`];
    if (op === 'move' || op === 'copy') return typeof operation['from'] === 'string' ? [] : [`${at} (${op}) needs from`];
    return op === 'remove' ? [] : [`${at} has no valid op`];
  });
}

/**
 * The request as kube-apiserver would take it: the refusal it would answer with, and every
 * problem found (a request with problems is answered with the refusal, and the test fails).
 */
export function checkRequest(request: {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | null;
  readonly body: unknown;
}): { refusal: Refusal; problems: string[] } | null {
  const target = pathTarget(request.path);
  const problems: string[] = [];
  let refusal: Refusal = { status: 400, reason: 'BadRequest', message: 'the request is not one kube-apiserver accepts' };
  const allowed = queryParameters[request.method];
  if (allowed === undefined) return { refusal: { status: 405, reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' }, problems: [`method ${request.method}`] };
  for (const name of Object.keys(request.query)) {
    if (!allowed.includes(name)) problems.push(`query parameter ${name} is not one kube-apiserver reads on ${request.method}`);
  }
  const contentType = request.contentType?.split(';')[0]?.trim() ?? null;
  switch (request.method) {
    case 'GET':
      if (request.body !== null) problems.push('a GET has no body');
      break;
    case 'DELETE':
      if (request.body !== null) {
        if (contentType !== 'application/json') problems.push(`a DeleteOptions body is application/json, not ${String(contentType)}`);
        problems.push(...(isRecord(request.body) ? attempt(() => { new DeleteOptions(request.body as never).validate(); }) : ['the body of a DELETE is DeleteOptions']));
      }
      break;
    case 'POST':
      if (target === null || target.name !== null) {
        problems.push('a create goes to a collection');
        break;
      }
      if (contentType !== 'application/json') problems.push(`a create's body is application/json, not ${String(contentType)}`);
      problems.push(...createProblems(target, request.body));
      if (problems.length > 0) refusal = { status: 422, reason: 'Invalid', message: `the object is invalid: ${problems.join('; ')}` };
      break;
    case 'PATCH': {
      if (target?.name === null || target === null) problems.push('a patch names an object');
      const kinds = Object.values(patchTypes) as string[];
      if (contentType === null || !kinds.includes(contentType)) {
        problems.push(`content type ${String(contentType)} is no patch type (${kinds.join(', ')})`);
        refusal = { status: 415, reason: 'UnsupportedMediaType', message: `the body of the request was in an unknown format - accepted media types include: ${kinds.join(', ')}` };
        break;
      }
      if (contentType === patchTypes.strategicMerge && target?.builtIn === undefined) {
        // Custom resources have no patch strategy to merge by: kube-apiserver refuses the media type.
        problems.push('strategic merge patch is not supported on custom resources');
        refusal = { status: 415, reason: 'UnsupportedMediaType', message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml' };
        break;
      }
      if (contentType === patchTypes.apply && request.query['fieldManager'] === undefined) problems.push('a server-side apply patch needs fieldManager');
      if (contentType === patchTypes.json) problems.push(...jsonPatchProblems(request.body));
      else if (!isRecord(request.body)) problems.push(`a ${contentType} body is a JSON object`);
      else if (isRecord(request.body['metadata']) && request.body['metadata']['resourceVersion'] !== undefined && typeof request.body['metadata']['resourceVersion'] !== 'string') {
        problems.push('metadata.resourceVersion is a string');
      }
      break;
    }
    default:
      break;
  }
  return problems.length === 0 ? null : { refusal, problems };
}

/** The kind the path serves, when it is a built-in resource or subresource. */
function servedKind(method: string, target: PathTarget): KindModel | undefined {
  if (target.subresource === 'scale') return knownKinds.get('autoscaling/v1 Scale');
  if (target.subresource !== null || target.builtIn === undefined) return undefined;
  if (target.name === null && method === 'GET') {
    return target.builtIn.list === undefined ? undefined : { apiVersion: target.builtIn.apiVersion, kind: `${target.builtIn.kind}List`, model: target.builtIn.list };
  }
  return target.builtIn;
}

/**
 * Problems with an answer a test feeds the server: not what kube-apiserver would send for this
 * request. `reply` is the JSON answer (raw answers, such as logs, are not checked here).
 */
export function checkReply(
  request: { readonly method: string; readonly path: string; readonly contentType: string | null; readonly body: unknown },
  status: number,
  reply: unknown,
): string[] {
  if (!isRecord(reply)) return status === 200 && request.method === 'DELETE' ? [] : ['a JSON answer is an object with apiVersion and kind'];
  const key = `${String(reply['apiVersion'])} ${String(reply['kind'])}`;
  const target = pathTarget(request.path);
  if (reply['kind'] === 'Status') {
    const problems = modelProblems(reply, knownKinds.get('v1 Status') as KindModel);
    if (reply['code'] !== undefined && reply['code'] !== status) problems.push(`Status code ${JSON.stringify(reply['code'])} is not the HTTP status ${String(status)}`);
    const expected = status >= 400 ? 'Failure' : 'Success';
    if (reply['status'] !== expected) problems.push(`a ${String(status)} Status has status ${expected}`);
    if (status < 400 && request.method !== 'DELETE') problems.push(`only a DELETE is answered with a Success Status, not a ${request.method}`);
    return problems;
  }
  if (status >= 400) return [`an error answer (${String(status)}) is a Status, not ${key}`];
  const problems: string[] = [];
  const known = knownKinds.get(key);
  if (target === null) {
    // Discovery: /apis answers APIGroupList, /apis/<group>/<version> APIResourceList.
    const expected = request.path === '/apis' ? 'v1 APIGroupList' : 'v1 APIResourceList';
    if (key !== expected) problems.push(`discovery at ${request.path} answers ${expected}, not ${key}`);
  } else {
    const served = servedKind(request.method, target);
    if (served !== undefined && key !== `${served.apiVersion} ${served.kind}`) problems.push(`${request.path} serves ${served.apiVersion} ${served.kind}, not ${key}`);
    if (served === undefined && target.subresource === null && reply['apiVersion'] !== groupVersion(target)) {
      problems.push(`${request.path} serves ${groupVersion(target)} objects, not ${String(reply['apiVersion'])}`);
    }
    const metadata = isRecord(reply['metadata']) ? reply['metadata'] : {};
    const name = target.name ?? (request.method === 'POST' && isRecord(request.body) && isRecord(request.body['metadata']) ? request.body['metadata']['name'] : undefined);
    const single = target.name !== null || request.method === 'POST';
    if (single && metadata['name'] !== name) problems.push(`the answer names ${String(metadata['name'])}, not ${String(name)}`);
    if (single && (metadata['namespace'] ?? null) !== target.namespace) {
      problems.push(`the answer's namespace is ${JSON.stringify(metadata['namespace'] ?? 'absent')}, not ${target.namespace ?? 'absent (cluster-scoped)'}`);
    }
    if (single && known === undefined && reply['kind'] !== 'Status') problems.push(...attempt(() => { validateMetadata(metadata, target.namespace !== null); }));
    if (request.method === 'PATCH' && isRecord(request.body) && !(request.contentType?.startsWith(patchTypes.strategicMerge) === true && hasArray(request.body))) {
      // The object after a merge patch (of maps: a strategic merge patch of maps merges the same way) shows the patch.
      const patch = withoutResourceVersion(request.body);
      const strip = (object: unknown) => withoutResourceVersion(object as Record<string, unknown>);
      if (!isDeepStrictEqual(strip(mergePatch(reply, patch)), strip(reply))) problems.push(`the answer to the patch does not show ${JSON.stringify(patch)} applied`);
    }
  }
  if (known !== undefined) problems.push(...modelProblems(reply, known));
  return problems;
}
