import { Aws } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { responderQueueSessionActions } from '#shared/responders/queue-access.ts';
import { acknowledgeWildcardResource } from './acknowledge-wildcard.ts';
import type { ServiceFunction } from './service-function.ts';

/** Environment variable through which a function learns the responder work queues' name prefix. */
export const RESPONDER_QUEUE_PREFIX_ENV = 'RESPONDER_QUEUE_PREFIX';

/**
 * What a function does with the responder work queues (`shared/responders/queues.ts`). No service
 * function receives or deletes messages: responders do that themselves with credentials for their
 * own queue only (`ResponderQueueAccess`, see {@link responderQueueSessionActions}).
 * - `register`: makes sure the caller's queue and its dead-letter queue exist (POST /v1/responders);
 * - `credentials`: the same, and reads the queue's ARN for the session policy (queue-credentials);
 * - `remove`: deletes a responder's queue and dead-letter queue (deregister);
 * - `sweep`: `remove`, and counts the dead-letter queues of the responders it keeps (the sweep);
 * - `dispatch`: the same as `register`, then sends the signed work (the dispatch-work function).
 */
export type ResponderQueueUse = 'register' | 'credentials' | 'remove' | 'sweep' | 'dispatch';

/**
 * `ResponderQueues.ensure`: CreateQueue (the queue and its `-dlq`; SSE-SQS, so no key grant),
 * GetQueueAttributes (the dead-letter queue's ARN for the redrive policy) and GetQueueUrl (a queue
 * that already exists with other attributes).
 */
const ensureActions = ['sqs:CreateQueue', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'] as const;
const removeActions = ['sqs:GetQueueUrl', 'sqs:DeleteQueue'] as const;

/** Exactly the SQS actions of each use; nothing may purge, retag or re-policy a queue. */
export const responderQueueActions: Readonly<Record<ResponderQueueUse, readonly string[]>> = {
  register: [...ensureActions],
  credentials: [...ensureActions],
  remove: [...removeActions],
  sweep: [...ensureActions, 'sqs:DeleteQueue'],
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

/**
 * The role responders' queue credentials are sessions of: its policy allows the three message
 * actions on `<prefix>-*` but never on a `-dlq`, it trusts only the queue-credentials function's
 * role, and every session is narrowed further to one queue by the session policy that function
 * passes (shared/responders/queue-access.ts). Credentials last at most an hour (role chaining).
 */
export function responderQueueAccessStatements(prefix: string): PolicyStatement[] {
  return [
    new PolicyStatement({ actions: [...responderQueueSessionActions], resources: [responderQueuesArn(prefix)] }),
    new PolicyStatement({ effect: Effect.DENY, actions: ['sqs:*'], resources: [`${responderQueuesArn(prefix).slice(0, -1)}*-dlq`] }),
  ];
}
