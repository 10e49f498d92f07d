import { Aws } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { acknowledgeWildcardResource } from './acknowledge-wildcard.ts';
import type { ServiceFunction } from './service-function.ts';

/** Environment variable through which a function learns the responder work queues' name prefix. */
export const RESPONDER_QUEUE_PREFIX_ENV = 'RESPONDER_QUEUE_PREFIX';

/**
 * What a function does with the responder work queues (`shared/responders/queues.ts`):
 * - `register`: makes sure the caller's queue and its dead-letter queue exist (POST /v1/responders);
 * - `receive`: the same, then long-polls the queue and deletes work of actions that have ended
 *   (POST /v1/responders/{kind}/{name}/work);
 * - `report`: the same as `register`, then deletes the delivered message (POST /v1/actions/{id}/reports);
 * - `dispatch`: the same as `register`, then sends the signed work (the dispatch-work function).
 */
export type ResponderQueueUse = 'register' | 'receive' | 'report' | 'dispatch';

/**
 * `ResponderQueues.ensure`: CreateQueue (the queue and its `-dlq`; SSE-SQS, so no key grant),
 * GetQueueAttributes (the dead-letter queue's ARN for the redrive policy) and GetQueueUrl (a queue
 * that already exists with other attributes).
 */
const ensureActions = ['sqs:CreateQueue', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'] as const;

/** Exactly the SQS actions of each use; nothing may purge, delete, retag or re-policy a queue. */
export const responderQueueActions: Readonly<Record<ResponderQueueUse, readonly string[]>> = {
  register: [...ensureActions],
  receive: [...ensureActions, 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
  report: [...ensureActions, 'sqs:DeleteMessage'],
  dispatch: [...ensureActions, 'sqs:SendMessage'],
};

/**
 * ARN pattern of every responder work queue and dead-letter queue of this account and region:
 * `arn:<partition>:sqs:<region>:<account>:<prefix>-*`.
 */
export function responderQueuesArn(prefix: string): string {
  return `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${prefix}-*`;
}

/**
 * Gives a function the responder work queues: sets `RESPONDER_QUEUE_PREFIX` and grants exactly
 * the actions of its use (see {@link responderQueueActions}) on `<prefix>-*`, in one call so the
 * two can never disagree, and acknowledges the wildcard with its reason.
 *
 * @param fn the function that uses the queues
 * @param prefix the queue name prefix (`responderQueuePrefix`)
 * @param use what the function does with them
 */
export function grantResponderQueues(fn: ServiceFunction, prefix: string, use: ResponderQueueUse): void {
  fn.addEnvironment(RESPONDER_QUEUE_PREFIX_ENV, prefix);
  const queues = responderQueuesArn(prefix);
  fn.addToRolePolicy(new PolicyStatement({ actions: [...responderQueueActions[use]], resources: [queues] }));
  acknowledgeWildcardResource(
    fn.executionRole,
    queues,
    `Responder work queues are one per host and per Kubernetes cluster (<prefix>-host-..., <prefix>-k8s-..., each with its -dlq), created on demand when a responder registers or work is first sent to it, so their names cannot be listed at deploy time; the grant is held to this prefix in this account and region, and to the ${use} actions only (${responderQueueActions[use].join(', ')}).`,
  );
}
