import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the capacity bench counts: every AWS SDK call the service makes (through the one hook every
 * client in shared/ and functions/ passes, shared/observability/tracing.ts) with the DynamoDB
 * capacity units the store reports for it, and every request that reaches "AWS" (moto_server)
 * through a counting front, so target-account calls made by clients outside that hook (STS for
 * member sessions) are counted on the wire.
 */
export interface CallCount {
  calls: number;
  /** DynamoDB only: capacity units the store reported (ReturnConsumedCapacity TOTAL). */
  capacityUnits: number;
}

export type CallCounts = ReadonlyMap<string, Readonly<CallCount>>;

/** `service:Operation` → count; `snapshot` and `since` give the calls of one stretch of work. */
export class CallCounter {
  readonly #counts = new Map<string, CallCount>();
  /** Work run inside `uncounted.run(true, ...)` (the bench's own polling) is not counted. */
  readonly uncounted = new AsyncLocalStorage<boolean>();

  record(key: string, capacityUnits = 0): void {
    if (this.uncounted.getStore() === true) return;
    const count = this.#counts.get(key) ?? { calls: 0, capacityUnits: 0 };
    count.calls += 1;
    count.capacityUnits += capacityUnits;
    this.#counts.set(key, count);
  }

  snapshot(): CallCounts {
    return new Map([...this.#counts].map(([key, count]) => [key, { ...count }]));
  }

  /** The calls counted since `before` was taken. */
  since(before: CallCounts): CallCounts {
    const delta = new Map<string, CallCount>();
    for (const [key, count] of this.#counts) {
      const earlier = before.get(key) ?? { calls: 0, capacityUnits: 0 };
      if (count.calls > earlier.calls) delta.set(key, { calls: count.calls - earlier.calls, capacityUnits: count.capacityUnits - earlier.capacityUnits });
    }
    return delta;
  }
}

const dynamoDataPlane = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'TransactWriteItems', 'TransactGetItems']);
/** The DocumentClient's command names, as the DynamoDB operations they send. */
const documentOperations: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactWrite: 'TransactWriteItems',
  TransactGet: 'TransactGetItems',
};

interface MiddlewareContext {
  readonly clientName?: string;
  readonly commandName?: string;
}
interface SdkClientLike {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: { input: Record<string, unknown> }) => Promise<{ output: unknown }>, context: MiddlewareContext) => (args: { input: Record<string, unknown> }) => Promise<{ output: unknown }>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

function capacityOf(output: unknown): number {
  const consumed = (output as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity;
  const list = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
  return list.reduce((sum: number, entry: unknown) => sum + ((entry as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
}

/**
 * A client capture (for `traceClientsWith`) that counts each call of the client by service and
 * operation; DynamoDB data-plane calls are sent with ReturnConsumedCapacity TOTAL so the store's
 * capacity units are counted too (the service never reads that field).
 */
export function countingCapture(counter: CallCounter): <Client extends object>(client: Client) => Client {
  return (client) => {
    const stack = (client as Partial<SdkClientLike>).middlewareStack;
    if (stack === undefined) return client;
    stack.add(
      (next, context) => async (args) => {
        const service = (context.clientName ?? 'Unknown').replace(/Client$/, '').replace(/^DynamoDBDocument$/, 'DynamoDB');
        const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        // Target-account calls (IAM, STS, EC2 ...) are counted on the wire by the front, SQS by countSqsCalls.
        if (service !== 'DynamoDB') return next(args);
        const operation = documentOperations[command] ?? command;
        const counted = dynamoDataPlane.has(operation);
        if (counted) args.input['ReturnConsumedCapacity'] ??= 'TOTAL';
        let output: unknown;
        try {
          const result = await next(args);
          output = result.output;
          return result;
        } finally {
          // A call that failed (NoSuchEntity, a conditional check) was still made and billed.
          counter.record(`DynamoDB:${operation}`, counted ? capacityOf(output) : 0);
        }
      },
      { step: 'initialize', name: 'capacityBenchCounter' },
    );
    return client;
  };
}

/**
 * Counts every SQS call of every SQSClient in this process (the local service's fauxqs client and
 * the in-process responder's are built outside the tracing hook). Returns the undo.
 */
export function countSqsCalls(counter: CallCounter, sqsClient: { prototype: { send: (...args: never[]) => unknown } }): () => void {
  const original = sqsClient.prototype.send;
  sqsClient.prototype.send = function countedSend(this: unknown, ...args: never[]) {
    const command = (args[0] as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? 'Unknown';
    counter.record(`SQS:${command.replace(/Command$/, '')}`);
    return original.apply(this, args);
  };
  return () => {
    sqsClient.prototype.send = original;
  };
}

/** An API request path with its ids replaced, so requests of one route count together. */
export function apiRoute(method: string, path: string): string {
  const route = path
    .split('?')[0]
    ?.replace(/^\/local-evidence\/.*/, '/local-evidence/*')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{id}')
    .replace(/^(\/v1\/responders\/[^/]+\/)[^/]+/, '$1{name}');
  return `api:${method.toUpperCase()} ${route ?? path}`;
}

/** The service and operation of a signed AWS request: the SigV4 scope's service, and the Query `Action` or JSON `X-Amz-Target`. */
export function awsOperationOf(headers: Readonly<Record<string, string | string[] | undefined>>, body: string): string {
  const authorization = String(headers['authorization'] ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? 'unsigned';
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return `${service}:${target.split('.').at(-1) ?? target}`;
  const action = new URLSearchParams(body).get('Action');
  return `${service}:${action ?? 'Unknown'}`;
}

/** A counting front for moto_server: every request is counted by service and operation, then forwarded unchanged. */
export async function startCountingFront(upstream: string, counter: CallCounter): Promise<{ endpoint: string; close(): Promise<void> }> {
  const target = new URL(upstream);
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      // Counted outside any AsyncLocalStorage context of the bench: the request came in over a socket.
      counter.record(`aws:${awsOperationOf(incoming.headers, body.toString('utf8'))}`);
      const forwarded = httpRequest(
        { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => {
        outgoing.writeHead(502).end();
      });
      forwarded.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
