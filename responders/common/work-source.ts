/**
 * Where a responder receives its work: straight from its own SQS queue. In AWS with short-lived
 * credentials the API hands out for that one queue (POST /v1/responders/{kind}/{name}/queue-credentials:
 * sts:AssumeRole with a session policy naming only this queue's ARN); in `npm start` the local
 * runtime hands its in-process responder a source over the embedded queue instead.
 *
 * The responder deletes a message itself once the service has answered for it (the pickup, or the
 * settled outcome of a duplicate), and hands a message back (visibility 0) when it stops before
 * acting. Work it refuses is left alone and ends in the dead-letter queue.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { QueueCredentials, WorkTarget } from '#shared/responders/protocol.ts';
import { checkApiUrl } from './api-url.ts';
import type { ResponderQueues } from '#shared/responders/queues.ts';

/** One message of the responder's queue: its body (a work JWS) and the receipt that settles it. */
export interface WorkMessage {
  readonly body: string;
  /** Never logged: anyone holding it and the queue's credentials could delete the message. */
  readonly receipt: string;
}

export interface WorkSource {
  /** Long-polls for up to `max` messages, waiting at most `waitSeconds` (≤ 20); [] when `signal` aborts. */
  receive(max: number, waitSeconds: number, signal: AbortSignal): Promise<readonly WorkMessage[]>;
  /** Removes a settled message from the queue. */
  delete(receipt: string): Promise<void>;
  /** Makes a message visible again at once (the responder stops before acting on it). */
  release(receipt: string): Promise<void>;
  /** Gets ready to receive (fetches credentials); rejects when the source cannot be used. */
  prepare?(signal: AbortSignal): Promise<void>;
}

/** Refresh credentials once less than this much of their life is left (and at most every quarter of it). */
export const refreshMarginMs = 5 * 60 * 1000;

/**
 * A work source on the responder's own SQS queue, with credentials from `fetchAccess` (the API's
 * queue-credentials route), fetched again before they expire. The credentials and the queue URL
 * never reach a log.
 */
export class SqsWorkSource implements WorkSource {
  readonly #fetchAccess: (signal?: AbortSignal) => Promise<QueueCredentials>;
  readonly #now: () => number;
  #access: Promise<{ readonly value: QueueCredentials; readonly client: SQSClient; readonly refreshAt: number }> | undefined;

  constructor(fetchAccess: (signal?: AbortSignal) => Promise<QueueCredentials>, now: () => number = Date.now) {
    this.#fetchAccess = fetchAccess;
    this.#now = now;
  }

  async receive(max: number, waitSeconds: number, signal: AbortSignal): Promise<readonly WorkMessage[]> {
    const { value, client } = await this.#current(signal);
    try {
      const { Messages } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: value.queueUrl, MaxNumberOfMessages: max, WaitTimeSeconds: Math.min(20, waitSeconds) }),
        { abortSignal: signal },
      );
      return (Messages ?? []).flatMap((message) => (message.ReceiptHandle === undefined ? [] : [{ body: message.Body ?? '', receipt: message.ReceiptHandle }]));
    } catch (error) {
      if (signal.aborted) return [];
      if (error instanceof Error && /ExpiredToken|InvalidClientTokenId|AccessDenied/.test(error.name)) this.#access = undefined;
      throw error;
    }
  }

  async prepare(signal: AbortSignal): Promise<void> {
    await this.#current(signal);
  }

  async delete(receipt: string): Promise<void> {
    const { value, client } = await this.#current();
    await client.send(new DeleteMessageCommand({ QueueUrl: value.queueUrl, ReceiptHandle: receipt }));
  }

  async release(receipt: string): Promise<void> {
    const { value, client } = await this.#current();
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: value.queueUrl, ReceiptHandle: receipt, VisibilityTimeout: 0 }));
  }

  /** Stops using the credentials (the client's sockets close). */
  close(): void {
    void this.#access?.then(({ client }) => { client.destroy(); }, () => undefined);
    this.#access = undefined;
  }

  async #current(signal?: AbortSignal): Promise<{ readonly value: QueueCredentials; readonly client: SQSClient; readonly refreshAt: number }> {
    const held = this.#access;
    if (held !== undefined) {
      const access = await held.catch(() => undefined);
      if (access !== undefined && this.#now() < access.refreshAt) return access;
      if (this.#access === held) {
        this.#access = undefined;
        // A long-poll may still be running on the old client: close it once that poll is surely over.
        if (access !== undefined) setTimeout(() => { access.client.destroy(); }, 30_000).unref();
      }
    }
    if (this.#access === undefined) {
      const fetching = this.#fetchAccess(signal).then((value) => {
        const expires = Date.parse(value.credentials.expiration);
        const life = expires - this.#now();
        return { value, client: clientFor(value), refreshAt: expires - Math.min(refreshMarginMs, Math.max(0, life / 4)) };
      });
      // A failed fetch is tried again on the next call, not remembered.
      fetching.catch(() => {
        if (this.#access === fetching) this.#access = undefined;
      });
      this.#access = fetching;
    }
    return this.#access;
  }
}

/**
 * An SQS client for exactly these credentials, sending to the queue URL's origin (no
 * AWS_ENDPOINT_URL is followed); like the API URL, the queue URL must be https (or loopback http).
 */
function clientFor(access: QueueCredentials): SQSClient {
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = access.credentials;
  return new SQSClient({
    region: access.region,
    endpoint: new URL(checkApiUrl(access.queueUrl, 'queueUrl')).origin,
    ignoreConfiguredEndpointUrls: true,
    credentials: { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expiration) },
  });
}

/**
 * A work source over the service's own queue client, for a responder running inside the service
 * (`npm start`: the embedded SQS is reachable by the service process only, so no credentials are
 * handed out; the same runner code reads its queue through this).
 */
export function queueWorkSource(queues: Pick<ResponderQueues, 'receive' | 'delete' | 'release'>, target: WorkTarget): WorkSource {
  return {
    receive: async (max, waitSeconds, signal) => (await queues.receive(target, max, waitSeconds, signal)).map(({ body, receipt }) => ({ body, receipt })),
    delete: (receipt) => queues.delete(target, receipt),
    release: (receipt) => queues.release(target, receipt),
  };
}
