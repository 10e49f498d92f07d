/**
 * The responder work queues (SQS) of the register, queue-credentials and deregister routes, the
 * sweep and dispatch-work. Environment: RESPONDER_QUEUE_PREFIX (default ResponseActions). The
 * client never follows AWS_ENDPOINT_URL: that points cloud actions at target accounts, not at the
 * service's own queues. Apart from the signing key's reader (shared/responders/aws.ts), whose key
 * schemas would otherwise come along into every queue user's bundle.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Environment } from '#shared/config/config.ts';
import { traced } from '#shared/observability/tracing.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';

export function responderQueuesFromEnv(env: Environment): ResponderQueues {
  return new ResponderQueues({ client: traced(new SQSClient({ ignoreConfiguredEndpointUrls: true })), prefix: loadResponderConfig(env).queuePrefix });
}
