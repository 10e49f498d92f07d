/**
 * The responder work queues (SQS) of the register, queue-credentials and deregister routes and the
 * sweep. Environment: RESPONDER_QUEUE_PREFIX (default ResponseActions).
 */
import type { Environment } from '#shared/config/config.ts';
import { createResponderQueues } from '#shared/responders/aws.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import type { ResponderQueues } from '#shared/responders/queues.ts';

export function responderQueuesFromEnv(env: Environment): ResponderQueues {
  return createResponderQueues(loadResponderConfig(env));
}
