/**
 * The part of containerd's gRPC API that host actions use, as protobufjs reflection types
 * written from containerd's API reference (field numbers only; no .proto file is loaded), and
 * unary calls over @grpc/grpc-js on containerd's unix socket. Each call is scoped by the
 * `containerd-namespace` metadata header. Answers are checked with zod before use, so a field
 * this client reads under the wrong number or type fails loudly instead of reading as empty.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import * as z from 'zod';

export const tasksService = '/containerd.services.tasks.v1.Tasks';
export const containersService = '/containerd.services.containers.v1.Containers';

/** containerd.v1.types.Status, by number (Process.status is that enum). */
export const taskStatuses = ['unknown', 'created', 'running', 'stopped', 'paused', 'pausing'] as const;

type FieldSpec = readonly [name: string, id: number, type: string, rule?: 'repeated'];

const root = new protobuf.Root();

function messageType(name: string, fields: readonly FieldSpec[], maps: readonly (readonly [name: string, id: number])[] = []): protobuf.Type {
  const type = new protobuf.Type(name);
  for (const [field, id, kind, rule] of fields) type.add(new protobuf.Field(field, id, kind, rule));
  for (const [field, id] of maps) type.add(new protobuf.MapField(field, id, 'string', 'string'));
  root.add(type);
  return type;
}

// containerd.v1.types.Process. The task's id is `id` (2); `container_id` (1) is left empty in
// the answers of Tasks.Get and Tasks.List. Status is an enum: read as its number.
messageType('Process', [
  ['containerId', 1, 'string'],
  ['id', 2, 'string'],
  ['pid', 3, 'uint32'],
  ['status', 4, 'uint32'],
  ['stdout', 6, 'string'],
  ['terminal', 8, 'bool'],
  ['exitStatus', 9, 'uint32'],
]);
// containerd.services.containers.v1.Container: id 1, labels 2 (map<string, string>), image 3.
messageType('Container', [['id', 1, 'string'], ['image', 3, 'string']], [['labels', 2]]);

const types = {
  empty: messageType('Empty', []),
  /** Tasks.Get: GetRequest { container_id 1 } → GetResponse { Process process 1 } */
  getTask: messageType('GetRequest', [['containerId', 1, 'string']]),
  getTaskAnswer: messageType('GetResponse', [['process', 1, 'Process']]),
  /** Tasks.List: ListTasksRequest { filter 1 } → ListTasksResponse { repeated Process tasks 1 } */
  listTasks: messageType('ListTasksRequest', [['filter', 1, 'string']]),
  listTasksAnswer: messageType('ListTasksResponse', [['tasks', 1, 'Process', 'repeated']]),
  /** Tasks.Kill: KillRequest { container_id 1, signal 3, all 4 } → Empty */
  kill: messageType('KillRequest', [['containerId', 1, 'string'], ['signal', 3, 'uint32'], ['all', 4, 'bool']]),
  /** Tasks.Pause / Tasks.Resume: { container_id 1 } → Empty */
  pause: messageType('PauseTaskRequest', [['containerId', 1, 'string']]),
  resume: messageType('ResumeTaskRequest', [['containerId', 1, 'string']]),
  /** Tasks.Wait: WaitRequest { container_id 1 } → WaitResponse { exit_status 1 } */
  wait: messageType('WaitRequest', [['containerId', 1, 'string']]),
  waitAnswer: messageType('WaitResponse', [['exitStatus', 1, 'uint32']]),
  /** Containers.Get: GetContainerRequest { id 1 } → GetContainerResponse { Container container 1 } */
  getContainer: messageType('GetContainerRequest', [['id', 1, 'string']]),
  getContainerAnswer: messageType('GetContainerResponse', [['container', 1, 'Container']]),
  /** Containers.List: ListContainersRequest { repeated filters 1 } → ListContainersResponse { repeated containers 1 } */
  listContainers: messageType('ListContainersRequest', [['filters', 1, 'string', 'repeated']]),
  listContainersAnswer: messageType('ListContainersResponse', [['containers', 1, 'Container', 'repeated']]),
};
root.resolveAll();

const processSchema = z.object({ id: z.string(), containerId: z.string(), pid: z.number(), status: z.number(), stdout: z.string(), terminal: z.boolean(), exitStatus: z.number() });
const containerSchema = z.object({ id: z.string(), image: z.string(), labels: z.record(z.string(), z.string()) });
export type ProcessMessage = z.infer<typeof processSchema>;
export type ContainerMessage = z.infer<typeof containerSchema>;

/** One method: path, request type, answer type and the answer's schema. */
interface Method {
  readonly path: string;
  readonly request: protobuf.Type;
  readonly answer: protobuf.Type;
  readonly schema: z.ZodType;
}

const emptySchema = z.object({});

export const methods = {
  getTask: { path: `${tasksService}/Get`, request: types.getTask, answer: types.getTaskAnswer, schema: z.object({ process: processSchema.nullable() }) } satisfies Method,
  listTasks: { path: `${tasksService}/List`, request: types.listTasks, answer: types.listTasksAnswer, schema: z.object({ tasks: z.array(processSchema) }) } satisfies Method,
  kill: { path: `${tasksService}/Kill`, request: types.kill, answer: types.empty, schema: emptySchema } satisfies Method,
  pause: { path: `${tasksService}/Pause`, request: types.pause, answer: types.empty, schema: emptySchema } satisfies Method,
  resume: { path: `${tasksService}/Resume`, request: types.resume, answer: types.empty, schema: emptySchema } satisfies Method,
  wait: { path: `${tasksService}/Wait`, request: types.wait, answer: types.waitAnswer, schema: z.object({ exitStatus: z.number() }) } satisfies Method,
  getContainer: { path: `${containersService}/Get`, request: types.getContainer, answer: types.getContainerAnswer, schema: z.object({ container: containerSchema.nullable() }) } satisfies Method,
  listContainers: { path: `${containersService}/List`, request: types.listContainers, answer: types.listContainersAnswer, schema: z.object({ containers: z.array(containerSchema) }) } satisfies Method,
} as const;

export type MethodName = keyof typeof methods;

/** What each method's request carries (the fields above, by their names here). */
export interface Requests {
  getTask: { containerId: string };
  listTasks: { filter?: string };
  kill: { containerId: string; signal: number; all: boolean };
  pause: { containerId: string };
  resume: { containerId: string };
  wait: { containerId: string };
  getContainer: { id: string };
  listContainers: { filters: string[] };
}
export type RequestOf<Name extends MethodName> = Requests[Name];
export type AnswerOf<Name extends MethodName> = z.infer<(typeof methods)[Name]['schema']>;

/** An answer that does not have the shape the API reference gives it. */
export class ContainerdAnswerError extends Error {
  override readonly name = 'ContainerdAnswerError';
}

/** A call that ended with a non-OK gRPC status. */
export type ContainerdCallError = grpc.ServiceError;

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && 'code' in error && typeof error.code === 'number' && 'details' in error;
}

export const grpcStatus = grpc.status;

/** A containerd client on one unix socket; the channel connects lazily and reconnects after a daemon restart. */
export class ContainerdClient {
  readonly #client: grpc.Client;

  constructor(socketPath: string) {
    this.#client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure());
  }

  /** One unary call in `namespace`; rejects with a grpc ServiceError (CANCELLED when `signal` aborts). */
  call<Name extends MethodName>(name: Name, namespace: string, request: Requests[Name], options: { signal: AbortSignal; timeoutMs: number }): Promise<AnswerOf<Name>> {
    const method: Method = methods[name];
    const metadata = new grpc.Metadata();
    metadata.set('containerd-namespace', namespace);
    const encode = (value: Requests[Name]): Buffer => Buffer.from(method.request.encode(method.request.fromObject(value)).finish());
    const decode = (bytes: Buffer): unknown => method.answer.toObject(method.answer.decode(bytes), { defaults: true, longs: Number, arrays: true, objects: true });
    return new Promise((resolve, reject) => {
      options.signal.throwIfAborted();
      const call = this.#client.makeUnaryRequest(method.path, encode, decode, request, metadata, { deadline: Date.now() + options.timeoutMs }, (error, answer) => {
        options.signal.removeEventListener('abort', onAbort);
        if (error !== null) {
          reject(options.signal.aborted ? (options.signal.reason as Error) : error);
          return;
        }
        const parsed = method.schema.safeParse(answer ?? {});
        if (parsed.success) resolve(parsed.data as AnswerOf<Name>);
        else reject(new ContainerdAnswerError(`containerd answered ${method.path} with a message this client cannot read: ${parsed.error.message}`));
      });
      const onAbort = () => {
        call.cancel();
      };
      options.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.#client.close();
  }
}
