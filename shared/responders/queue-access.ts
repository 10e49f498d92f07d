/**
 * Short-lived credentials for one responder's own work queue (issue 10: responders pull their own
 * queue). The service assumes the `ResponderQueueAccess` role, whose own policy allows
 * sqs:ReceiveMessage, DeleteMessage and ChangeMessageVisibility on `<prefix>-*` (never a `-dlq`),
 * with a session policy naming exactly the caller's queue ARN: the session's permissions are the
 * intersection, so the credentials reach that one queue and those three actions only.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { QueueCredentials, WorkTarget } from './protocol.ts';

/** What a responder's queue credentials may do (the role's policy allows the same on `<prefix>-*`). */
export const responderQueueSessionActions = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'] as const;

/** Hands out credentials for a responder's queue. */
export interface QueueAccessIssuer {
  issue(target: WorkTarget, queue: { readonly url: string; readonly arn: string }): Promise<QueueCredentials>;
}

/** The session policy that narrows the role to one queue. */
export function queueSessionPolicy(queueArn: string): { Version: '2012-10-17'; Statement: { Effect: 'Allow'; Action: string[]; Resource: string }[] } {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [...responderQueueSessionActions], Resource: queueArn }] };
}

/**
 * The session name: `host-<name>` or `kubernetes-<name>`, in STS's alphabet ([\w+=,.@-], ≤ 64);
 * it shows in CloudTrail on every SQS call the responder makes.
 */
export function queueSessionName(target: WorkTarget): string {
  return `${target.kind}-${target.name}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

export class StsQueueAccess implements QueueAccessIssuer {
  readonly #sts: STSClient;
  readonly #roleArn: string;
  readonly #region: string;
  readonly #seconds: number;

  constructor(options: { readonly sts: STSClient; readonly roleArn: string; readonly region: string; readonly durationSeconds?: number }) {
    this.#sts = options.sts;
    this.#roleArn = options.roleArn;
    this.#region = options.region;
    // Role chaining (a Lambda role assuming another) caps the lifetime at 1 h.
    this.#seconds = options.durationSeconds ?? 3600;
  }

  async issue(target: WorkTarget, queue: { readonly url: string; readonly arn: string }): Promise<QueueCredentials> {
    const { Credentials } = await this.#sts.send(
      new AssumeRoleCommand({
        RoleArn: this.#roleArn,
        RoleSessionName: queueSessionName(target),
        DurationSeconds: this.#seconds,
        Policy: JSON.stringify(queueSessionPolicy(queue.arn)),
      }),
    );
    const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = Credentials ?? {};
    if (AccessKeyId === undefined || SecretAccessKey === undefined || SessionToken === undefined || Expiration === undefined) {
      throw new Error('STS AssumeRole returned no complete credentials for the responder queue role');
    }
    return {
      queueUrl: queue.url,
      region: this.#region,
      credentials: { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken, expiration: Expiration.toISOString() },
    };
  }
}
