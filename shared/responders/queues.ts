import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDeletedRecently,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { WorkTarget } from './protocol.ts';

/** The receipt a report carried is not one of the caller's queue's receipts (400 naming `receipt`). */
export class InvalidReceiptError extends Error {
  override readonly name = 'InvalidReceiptError';
}

/** The target's queue was deleted less than 60 s ago; SQS refuses to make it again until then. */
export class QueueRecentlyDeletedError extends Error {
  override readonly name = 'QueueRecentlyDeletedError';
}

/** One message as received: its body as sent, and the receipt that deletes it. */
export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receipt: string;
  readonly receiveCount: number;
}

export interface ResponderQueuesOptions {
  /** The service's own SQS client (an explicit endpoint locally; it never follows AWS_ENDPOINT_URL). */
  readonly client: SQSClient;
  /** Every queue name starts with `<prefix>-` (IAM grants are scoped to it). */
  readonly prefix: string;
  /** How long a received message stays hidden before it is delivered again (default 60 s). */
  readonly visibilityTimeoutSeconds?: number;
  /** Deliveries before a message moves to the dead-letter queue (default 5). */
  readonly maxReceiveCount?: number;
  /** How long unreceived work is kept (default 4 days; anything older is long past its pickup deadline). */
  readonly retentionSeconds?: number;
}

/** The longest queue name SQS allows. */
const maxQueueName = 80;
const dlqSuffix = '-dlq';

/**
 * The name of a target's work queue: `<prefix>-host-<sanitized>-<hash>` (`k8s` for clusters).
 * Host ids allow `.` and `:`, which queue names do not, so they become `-`; the hash of the exact
 * target keeps `a.b` and `a-b` apart and keeps long names unique after truncation. Leaves room
 * for the dead-letter queue's `-dlq`.
 */
export function queueNameFor(prefix: string, target: WorkTarget): string {
  const kind = target.kind === 'host' ? 'host' : 'k8s';
  const hash = createHash('sha256').update(`${target.kind}/${target.name}`).digest('hex').slice(0, 12);
  const room = maxQueueName - dlqSuffix.length - `${prefix}-${kind}--${hash}`.length;
  if (room < 1) throw new RangeError(`the queue prefix "${prefix}" is too long to leave room for a target name`);
  const sanitized = target.name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, room);
  return `${prefix}-${kind}-${sanitized}-${hash}`;
}

/**
 * One SQS queue per host and per cluster, created on first use with a dead-letter queue: work
 * that cannot be delivered (unreadable, or never picked up) ends there after `maxReceiveCount`
 * deliveries instead of circling forever. Queue URLs are cached for the life of the process.
 */
export class ResponderQueues {
  readonly #client: SQSClient;
  readonly #prefix: string;
  readonly #visibility: number;
  readonly #maxReceiveCount: number;
  readonly #retention: number;
  readonly #urls = new Map<string, Promise<string>>();
  /** Ends long-polls in progress when the process shuts down. */
  readonly #closing = new AbortController();

  constructor(options: ResponderQueuesOptions) {
    this.#client = options.client;
    this.#prefix = options.prefix;
    this.#visibility = options.visibilityTimeoutSeconds ?? 60;
    this.#maxReceiveCount = options.maxReceiveCount ?? 5;
    this.#retention = options.retentionSeconds ?? 4 * 24 * 60 * 60;
  }

  /**
   * The target's queue URL, creating the queue and its dead-letter queue when missing. `fresh`
   * asks SQS again rather than trusting this process's cache (registration: the queue may have
   * been removed by another process since).
   */
  ensure(target: WorkTarget, options: { fresh?: boolean } = {}): Promise<string> {
    const name = queueNameFor(this.#prefix, target);
    let url = options.fresh === true ? undefined : this.#urls.get(name);
    if (url === undefined) {
      url = this.#create(name);
      this.#urls.set(name, url);
      // A failed creation is tried again next time rather than remembered.
      url.catch(() => this.#urls.delete(name));
    }
    return url;
  }

  /** How much work a target's queues hold (approximate, as SQS counts): for operators and tests. */
  async counts(target: WorkTarget): Promise<{ queued: number; inFlight: number; deadLetters: number }> {
    const url = await this.ensure(target);
    const deadLetterUrl = await this.#urlOf(`${queueNameFor(this.#prefix, target)}${dlqSuffix}`);
    const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
    const [main, dead] = await Promise.all(
      [url, deadLetterUrl].map((QueueUrl) => this.#client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: [...names] }))),
    );
    const count = (attributes: Record<string, string> | undefined, name: (typeof names)[number]): number => Number(attributes?.[name] ?? '0');
    return {
      queued: count(main?.Attributes, 'ApproximateNumberOfMessages'),
      inFlight: count(main?.Attributes, 'ApproximateNumberOfMessagesNotVisible'),
      deadLetters: count(dead?.Attributes, 'ApproximateNumberOfMessages') + count(dead?.Attributes, 'ApproximateNumberOfMessagesNotVisible'),
    };
  }

  /** The ARN of the target's work queue (what a responder's session policy names). */
  async arnOf(target: WorkTarget): Promise<string> {
    const { Attributes } = await this.#client.send(new GetQueueAttributesCommand({ QueueUrl: await this.ensure(target), AttributeNames: ['QueueArn'] }));
    const arn = Attributes?.QueueArn;
    if (arn === undefined) throw new Error(`SQS returned no ARN for ${queueNameFor(this.#prefix, target)}`);
    return arn;
  }

  async send(target: WorkTarget, body: string): Promise<string> {
    const sendTo = async (url: string): Promise<string> =>
      (await this.#client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }))).MessageId ?? '';
    try {
      return await sendTo(await this.ensure(target));
    } catch (error) {
      // Removed since this process cached its URL (the responder was deregistered or swept): make it again.
      if (!(error instanceof QueueDoesNotExist)) throw error;
      return sendTo(await this.ensure(target, { fresh: true }));
    }
  }

  /**
   * Deletes the target's queue and its dead-letter queue (deregistration, retention). Queues
   * already gone are fine. SQS lets a queue of the same name be made again only after 60 s.
   */
  async remove(target: WorkTarget): Promise<void> {
    const name = queueNameFor(this.#prefix, target);
    this.#urls.delete(name);
    for (const each of [name, `${name}${dlqSuffix}`]) {
      let url: string;
      try {
        url = await this.#urlOf(each);
      } catch (error) {
        if (error instanceof Error && error.cause instanceof QueueDoesNotExist) continue;
        throw error;
      }
      await this.#client.send(new DeleteQueueCommand({ QueueUrl: url })).catch((error: unknown) => {
        if (!(error instanceof QueueDoesNotExist)) throw error;
      });
    }
  }

  /** Whether the target's work queue exists now (asks SQS; creates nothing). */
  async exists(target: WorkTarget): Promise<boolean> {
    try {
      await this.#urlOf(queueNameFor(this.#prefix, target));
      return true;
    } catch (error) {
      if (error instanceof Error && error.cause instanceof QueueDoesNotExist) return false;
      throw error;
    }
  }

  /** Makes a received message visible again at once. */
  async release(target: WorkTarget, receipt: string): Promise<void> {
    await this.#client.send(new ChangeMessageVisibilityCommand({ QueueUrl: await this.ensure(target), ReceiptHandle: receipt, VisibilityTimeout: 0 }));
  }

  /** Long-polls the target's queue for up to `max` messages. */
  async receive(target: WorkTarget, max: number, waitSeconds: number, signal?: AbortSignal): Promise<QueuedMessage[]> {
    if (this.#closing.signal.aborted) return [];
    const abortSignal = signal === undefined ? this.#closing.signal : AbortSignal.any([signal, this.#closing.signal]);
    const { Messages } = await this.#client.send(
      new ReceiveMessageCommand({
        QueueUrl: await this.ensure(target),
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
      { abortSignal },
    ).catch((error: unknown) => {
      if (this.#closing.signal.aborted) return { Messages: [] };
      throw error;
    });
    return (Messages ?? []).flatMap((message) =>
      message.ReceiptHandle === undefined
        ? []
        : [
            {
              messageId: message.MessageId ?? '',
              body: message.Body ?? '',
              receipt: message.ReceiptHandle,
              receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
            },
          ],
    );
  }

  /** Ends long-polls in progress (they answer with no work); for a clean shutdown. */
  close(): void {
    this.#closing.abort();
  }

  /** Deletes a received message from the target's queue; a receipt of no message there is the caller's mistake. */
  async delete(target: WorkTarget, receipt: string): Promise<void> {
    try {
      await this.#client.send(new DeleteMessageCommand({ QueueUrl: await this.ensure(target), ReceiptHandle: receipt }));
    } catch (error) {
      if (error instanceof ReceiptHandleIsInvalid || (error instanceof Error && error.name === 'InvalidParameterValue')) {
        throw new InvalidReceiptError('is not the receipt of a message of this responder\'s queue', { cause: error });
      }
      throw error;
    }
  }

  async #create(name: string): Promise<string> {
    const deadLetterUrl = await this.#createQueue(`${name}${dlqSuffix}`, {
      MessageRetentionPeriod: String(14 * 24 * 60 * 60),
      SqsManagedSseEnabled: 'true',
    });
    const { Attributes } = await this.#client.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
    );
    const deadLetterArn = Attributes?.QueueArn;
    if (deadLetterArn === undefined) throw new Error(`SQS returned no ARN for ${name}${dlqSuffix}`);
    return this.#createQueue(name, {
      VisibilityTimeout: String(this.#visibility),
      MessageRetentionPeriod: String(this.#retention),
      SqsManagedSseEnabled: 'true',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: this.#maxReceiveCount }),
    });
  }

  /** CreateQueue is idempotent for equal attributes; a queue made earlier with other settings is used as it is. */
  async #createQueue(name: string, attributes: Record<string, string>): Promise<string> {
    try {
      const { QueueUrl } = await this.#client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      if (QueueUrl === undefined) throw new Error(`SQS returned no URL for ${name}`);
      return QueueUrl;
    } catch (error) {
      if (error instanceof QueueDeletedRecently) throw new QueueRecentlyDeletedError(`${name} was deleted less than 60 s ago; SQS makes it again only after that`, { cause: error });
      if (!(error instanceof QueueNameExists)) throw error;
      return this.#urlOf(name);
    }
  }

  async #urlOf(name: string): Promise<string> {
    try {
      const { QueueUrl } = await this.#client.send(new GetQueueUrlCommand({ QueueName: name }));
      if (QueueUrl === undefined) throw new Error(`SQS returned no URL for ${name}`);
      return QueueUrl;
    } catch (error) {
      if (error instanceof QueueDoesNotExist) throw new Error(`queue ${name} does not exist`, { cause: error });
      throw error;
    }
  }
}
