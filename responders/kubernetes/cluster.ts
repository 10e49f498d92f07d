/**
 * The API clients the cluster responder uses, made once from a KubeConfig (in-cluster config in
 * production, a test API server's address in tests), and the per-call options every call gets:
 * the action's abort signal, an explicit patch content type, and optionally the raw response bytes.
 */
import {
  ApisApi,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  ResponseContext,
  SelfDecodingBody,
  V1DeleteOptions,
  V1Preconditions,
} from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware, RequestContext } from '@kubernetes/client-node';

export interface KubernetesClients {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly networking: NetworkingV1Api;
  readonly custom: CustomObjectsApi;
  /** Discovery of API groups (`GET /apis`). */
  readonly apis: ApisApi;
}

export function kubernetesClients(kubeConfig: KubeConfig): KubernetesClients {
  return {
    core: kubeConfig.makeApiClient(CoreV1Api),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    batch: kubeConfig.makeApiClient(BatchV1Api),
    networking: kubeConfig.makeApiClient(NetworkingV1Api),
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    apis: kubeConfig.makeApiClient(ApisApi),
  };
}

export function isKubeConfig(value: KubeConfig | KubernetesClients): value is KubeConfig {
  return value instanceof KubeConfig;
}

/** Patch bodies as kubectl sends them. */
export const patchContentTypes = {
  strategicMerge: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
} as const;
export type PatchContentType = (typeof patchContentTypes)[keyof typeof patchContentTypes];

export type CallOptions = ConfigurationOptions;

function middlewareOf(
  pre: (request: RequestContext) => RequestContext,
  post: (response: ResponseContext) => Promise<ResponseContext> = (response) => Promise.resolve(response),
): ObservableMiddleware {
  return {
    pre: (request) => new Observable(Promise.resolve(pre(request))),
    post: (response) => new Observable(post(response)),
  };
}

/**
 * Options for one call: aborted with `signal`, and for a patch the content type (the generated
 * client would otherwise send `application/json-patch+json`, which no patch here is).
 */
export function callOptions(signal: AbortSignal, contentType?: PatchContentType): CallOptions {
  return {
    middleware: [
      middlewareOf((request) => {
        request.setSignal(signal);
        if (contentType !== undefined) request.setHeaderParam('Content-Type', contentType);
        return request;
      }),
    ],
    middlewareMergeStrategy: 'append',
  };
}

async function readAll(stream: ReadableStream<Uint8Array> | null): Promise<Buffer> {
  if (stream === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Call options that also keep the exact bytes of the response body (logs, evidence JSON). */
export interface RawCapture {
  readonly options: CallOptions;
  /** The bytes of the last response; empty before any. */
  bytes(): Buffer;
}

/**
 * Keeps the response body's bytes as the server sent them: log lines are not necessarily UTF-8,
 * and evidence should hold every field of an object, not only those the client's models know.
 */
export function rawCapture(signal: AbortSignal): RawCapture {
  let captured: Buffer = Buffer.alloc(0);
  const capture = middlewareOf(
    (request) => {
      request.setSignal(signal);
      return request;
    },
    async (response) => {
      captured = await readAll(response.body.stream());
      return new ResponseContext(response.httpStatusCode, response.headers, new SelfDecodingBody(Promise.resolve(captured)));
    },
  );
  return {
    options: { middleware: [capture], middlewareMergeStrategy: 'append' },
    bytes: () => captured,
  };
}

/**
 * Delete options that make the delete apply only to the object with this uid (the one that was
 * inspected), not to a same-named replacement.
 */
export function uidPrecondition(uid: string | null): V1DeleteOptions | undefined {
  if (uid === null) return undefined;
  const preconditions = new V1Preconditions();
  preconditions.uid = uid;
  const options = new V1DeleteOptions();
  options.preconditions = preconditions;
  return options;
}
