/**
 * Failures of the cluster responder, each with a stable code and a sentence a person can act
 * on: what was missing, which permission the ServiceAccount lacks, what to change.
 */
import { ApiException } from '@kubernetes/client-node';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { clusterWideRoleName, isAllowed, namespacedWriteRoleName, namespacedWriteRules } from './permissions.ts';

export const errorCodes = {
  /** The named object (pod, workload, PVC, container...) does not exist. */
  targetNotFound: 'TargetNotFound',
  /** RBAC (or an admission policy) refused the call; the message names the verb and resource. */
  accessDenied: 'AccessDenied',
  /** The API server rejected the responder's credentials. */
  unauthenticated: 'Unauthenticated',
  /** The cluster does not serve snapshot.storage.k8s.io/v1 (no VolumeSnapshot CRDs or controller). */
  snapshotsUnsupported: 'SnapshotsUnsupported',
  /** The cluster does not serve the API group or resource the call needs. */
  resourceTypeNotServed: 'ResourceTypeNotServed',
  /** The responder's own pod or namespace, or a namespace configured as protected. */
  protectedTarget: 'ProtectedTarget',
  /** The work names another cluster, or needs another executor. */
  wrongTarget: 'WrongTarget',
  /** The object changed between read and write, or the name is taken by someone else's object. */
  conflict: 'Conflict',
  /** The API server refused the object as invalid. */
  invalidObject: 'InvalidObject',
  /** The request to the API server did not complete (network, timeout). */
  clusterUnreachable: 'ClusterUnreachable',
  /** The API server answered with an unexpected status (5xx, 429...). */
  clusterError: 'ClusterError',
  /** The completion deadline passed or the responder is stopping. */
  interrupted: 'Interrupted',
  /** A delete action named an object this service did not create. */
  notManaged: 'NotManagedByResponseActions',
  /** An undo whose inputs do not match what the original action applied. */
  undoMismatch: 'UndoMismatch',
  /** An undo with nothing recorded to put back. */
  nothingToUndo: 'NothingToUndo',
  /** The workload's selector cannot be used to select exactly its pods. */
  unsupportedSelector: 'UnsupportedSelector',
  /** kubectl's own refusal: a paused Deployment is not restarted. */
  workloadPaused: 'WorkloadPaused',
  /** A PVC that is not Bound has no volume to snapshot. */
  pvcNotBound: 'PvcNotBound',
  /** A VolumeSnapshot reported an error or did not become ready in time. */
  snapshotFailed: 'SnapshotFailed',
  /** No log could be read from the pod's containers. */
  logsUnavailable: 'LogsUnavailable',
  /** A rule's work on a pod or workload labelled `response-actions.io/exempt: "true"`. */
  exempt: 'Exempt',
  /** A rule's work on a pod under a controller the responder may not read: its exemption cannot be told. */
  exemptionUnreadable: 'ExemptionUnreadable',
} as const;

/** One call to the API server, described for error messages (RBAC terms: verb, resource, group). */
export interface ApiCall {
  readonly verb: 'get' | 'list' | 'create' | 'patch' | 'delete';
  /** Plural resource, with the subresource when there is one: `pods`, `pods/log`, `deployments/scale`. */
  readonly resource: string;
  /** API group; '' for the core group. */
  readonly group: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** A failed API call, with the HTTP status and the Kubernetes Status reason when the server sent them. */
export class KubernetesCallError extends ResponderActionError {
  readonly status: number | null;
  readonly reason: string | null;
  /** The `message` of the API server's Status, when it sent one. */
  readonly serverMessage: string | null;

  constructor(code: string, message: string, status: number | null, reason: string | null, serverMessage: string | null = null, options?: ErrorOptions) {
    super(code, message, options);
    this.status = status;
    this.reason = reason;
    this.serverMessage = serverMessage;
  }
}

interface StatusBody {
  readonly message: string | null;
  readonly reason: string | null;
}

/** The Kubernetes `Status` in an error body, when it is one. */
function statusOf(body: unknown): StatusBody | null {
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : null;
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || (parsed as { kind?: unknown }).kind !== 'Status') return null;
    const { message, reason } = parsed as { message?: unknown; reason?: unknown };
    return { message: typeof message === 'string' ? message : null, reason: typeof reason === 'string' ? reason : null };
  } catch {
    return null;
  }
}

function clip(text: string, length = 600): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

function resourceText(call: ApiCall): string {
  const group = call.group === '' ? 'the core API group' : `API group ${call.group}`;
  return `${call.resource} (${group})`;
}

function whereText(call: ApiCall): string {
  const named = call.name === undefined ? '' : ` "${call.name}"`;
  return call.namespace === undefined ? named : `${named} in namespace ${call.namespace}`;
}

/** Where the permission a refused call needs is granted: writes in a namespace only by a RoleBinding there. */
function grantText(call: ApiCall): string {
  const grant = `grant "${call.verb}" on "${call.resource}" in ${call.group === '' ? 'the core group ("")' : `group "${call.group}"`}`;
  if (call.namespace !== undefined && isAllowed(namespacedWriteRules, call.group, call.resource, call.verb)) {
    return `${grant} in namespace ${call.namespace} by binding the ClusterRole ${namespacedWriteRoleName} there with a RoleBinding (manifests/rolebindings/); kube-system and the responder's own namespace get none`;
  }
  return `${grant} to its ClusterRole ${clusterWideRoleName}`;
}

/** Whether an error is the abort of a request or wait (deadline passed, responder stopping). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

export function interrupted(what: string): ResponderActionError {
  return new ResponderActionError(
    errorCodes.interrupted,
    `stopped while ${what}: the completion deadline passed or the responder is stopping`,
  );
}

/** Maps whatever an API call threw to a ResponderActionError with a code and an actionable sentence. */
export function toActionError(call: ApiCall, error: unknown): ResponderActionError {
  if (error instanceof ResponderActionError) return error;
  if (isAbort(error)) return interrupted(`calling the API server to ${call.verb} ${call.resource}`);
  if (!(error instanceof ApiException)) {
    const detail = error instanceof Error ? error.message : String(error);
    return new KubernetesCallError(
      errorCodes.clusterUnreachable,
      clip(`could not ${call.verb} ${resourceText(call)}${whereText(call)}: the API server did not answer (${detail})`),
      null,
      null,
      null,
      { cause: error },
    );
  }
  const status = statusOf((error as ApiException<unknown>).body);
  const said = status?.message ?? null;
  const serverSaid = said === null ? '' : ` (the API server said: ${clip(said, 400)})`;
  const code = error.code;
  const reason = status?.reason ?? null;
  const make = (errorCode: string, message: string) => new KubernetesCallError(errorCode, clip(message, 1500), code, reason, said, { cause: error });
  switch (code) {
    case 401:
      return make(errorCodes.unauthenticated, `the API server rejected the responder's ServiceAccount token when it tried to ${call.verb} ${call.resource}`);
    case 403:
      return make(errorCodes.accessDenied, `the responder's ServiceAccount may not ${call.verb} ${resourceText(call)}${whereText(call)}: ${grantText(call)}${serverSaid}`);
    case 404:
      if (reason === 'NotFound' && call.name !== undefined) {
        return make(errorCodes.targetNotFound, `${call.resource.split('/')[0] ?? call.resource}${whereText(call)} does not exist${serverSaid}`);
      }
      return make(errorCodes.resourceTypeNotServed, `the cluster does not serve ${resourceText(call)}: is its CRD installed?${serverSaid}`);
    case 409:
      return make(errorCodes.conflict, `could not ${call.verb} ${call.resource}${whereText(call)}: it changed or already exists${serverSaid}`);
    case 400:
    case 422:
      return make(errorCodes.invalidObject, `the API server refused to ${call.verb} ${call.resource}${whereText(call)}${serverSaid}`);
    default:
      return make(errorCodes.clusterError, `the API server answered ${code} to ${call.verb} ${call.resource}${whereText(call)}${serverSaid}`);
  }
}

/** Runs one API call; any failure becomes a ResponderActionError naming the call. */
export async function callApi<T>(call: ApiCall, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toActionError(call, error);
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubernetesCallError && error.code === errorCodes.targetNotFound;
}

export function isAlreadyExists(error: unknown): boolean {
  return error instanceof KubernetesCallError && error.status === 409 && error.reason === 'AlreadyExists';
}

/** The error's code and message, for per-item results (one PVC, one container). */
export function errorSummary(error: unknown): { code: string; message: string } {
  if (error instanceof ResponderActionError) return { code: error.code, message: error.message };
  return { code: errorCodes.clusterError, message: error instanceof Error ? error.message : String(error) };
}
