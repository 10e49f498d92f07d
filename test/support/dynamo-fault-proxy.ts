/**
 * A fault-injecting proxy in front of dynalite, for the one DynamoDB answer no server gives on
 * demand: a ConditionalCheckFailedException on a chosen status write. Every request is passed
 * through unchanged except the status writes a rule names (an UpdateItem conditioned on
 * `#status = :from` whose `:to` is the rule's status), and even those are answered by dynalite
 * itself, never by an answer made here:
 * - `refuse`: the write is forwarded with its condition made false (`AND attribute_exists(#f) AND
 *   attribute_not_exists(#f)`), so dynalite refuses it with its own ConditionalCheckFailedException
 *   and nothing is written: another writer "won" between the caller's read and write.
 * - `lost-answer`: the write is forwarded as is (it lands), its answer is dropped, and the very same
 *   request is forwarded again, whose answer (dynalite's ConditionalCheckFailedException: the status
 *   moved) is returned. This is what an SDK retry after a lost response meets.
 * dynalite checks no signatures, so the rewritten body needs none.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode = 'refuse' | 'lost-answer';

export interface StatusWriteFault {
  /** The status the write moves to (`:to`). */
  readonly to: string;
  readonly mode: FaultMode;
  /** How many matching writes meet the fault (Infinity: all of them). */
  readonly times: number;
  /** Only writes on this action id, when given. */
  readonly actionId?: string;
}

export interface DynamoFaultProxy {
  /** `http://127.0.0.1:<port>`: give it to the SDK as the endpoint. */
  readonly endpoint: string;
  /** Adds a fault; faults are checked in the order given. */
  inject(fault: StatusWriteFault): void;
  /** Forgets every fault not yet used up. */
  clear(): void;
  /** Status writes that met a fault, by `:to` status. */
  readonly injected: Map<string, number>;
  /** Every ConditionalCheckFailedException dynalite answered, injected or not (real races count here too). */
  conditionFailures(): number;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

type AttributeValue = Record<string, unknown>;

/** Starts the proxy in front of `upstream` (dynalite on a loopback TCP port). */
export async function startDynamoFaultProxy(upstream: string): Promise<DynamoFaultProxy> {
  const target = new URL(upstream);
  const faults: { fault: StatusWriteFault; left: number }[] = [];
  const injected = new Map<string, number>();
  let conditionFailures = 0;

  const forward = (headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: target.hostname, port: target.port, method: 'POST', path: '/', headers: { ...headers, host: target.host, 'content-length': String(body.length) } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => { resolve({ status: response.statusCode ?? 500, headers: response.headers, body: Buffer.concat(chunks) }); });
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const matching = (headers: IncomingHttpHeaders, body: Buffer): StatusWriteFault | undefined => {
    if (headers['x-amz-target'] !== 'DynamoDB_20120810.UpdateItem' || faults.length === 0) return undefined;
    const parsed = JSON.parse(body.toString('utf8')) as { ConditionExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> };
    if (parsed.ConditionExpression !== '#status = :from') return undefined;
    const to = parsed.ExpressionAttributeValues?.[':to']?.['S'];
    const key = parsed.Key?.['pk']?.['S'];
    const pk = typeof key === 'string' ? key : '';
    const slot = faults.find(({ fault, left }) => left > 0 && fault.to === to && (fault.actionId === undefined || pk.endsWith(fault.actionId)));
    if (slot === undefined) return undefined;
    slot.left -= 1;
    injected.set(slot.fault.to, (injected.get(slot.fault.to) ?? 0) + 1);
    return slot.fault;
  };

  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const headers = { ...incoming.headers };
        delete headers['content-length'];
        const fault = matching(headers, body);
        let answer: Answer;
        if (fault?.mode === 'refuse') {
          const parsed = JSON.parse(body.toString('utf8')) as { ConditionExpression: string; ExpressionAttributeNames?: Record<string, string> };
          parsed.ConditionExpression = `${parsed.ConditionExpression} AND attribute_exists(#injectedFault) AND attribute_not_exists(#injectedFault)`;
          parsed.ExpressionAttributeNames = { ...parsed.ExpressionAttributeNames, '#injectedFault': 'pk' };
          answer = await forward(headers, Buffer.from(JSON.stringify(parsed)));
        } else if (fault?.mode === 'lost-answer') {
          await forward(headers, body);
          answer = await forward(headers, body);
        } else {
          answer = await forward(headers, body);
        }
        if (answer.status === 400 && answer.body.includes('ConditionalCheckFailedException')) conditionFailures += 1;
        const { 'content-length': _length, 'transfer-encoding': _encoding, connection: _connection, ...rest } = answer.headers;
        outgoing.writeHead(answer.status, { ...rest, 'content-length': String(answer.body.length) });
        outgoing.end(answer.body);
      })().catch((error: unknown) => {
        outgoing.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    inject: (fault) => { faults.push({ fault, left: fault.times }); },
    clear: () => { faults.length = 0; },
    injected,
    conditionFailures: () => conditionFailures,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
