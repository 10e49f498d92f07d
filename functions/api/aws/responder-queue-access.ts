/**
 * Credentials for a responder's own queue, for the queue-credentials route (STS AssumeRole with a
 * session policy). Environment: RESPONDER_QUEUE_ROLE_ARN (without it the route answers 409),
 * RESPONDER_QUEUE_CREDENTIAL_SECONDS, AWS_REGION.
 */
import { STSClient } from '@aws-sdk/client-sts';
import type { Environment } from '#shared/config/config.ts';
import { traced } from '#shared/observability/tracing.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { StsQueueAccess } from '#shared/responders/queue-access.ts';
import type { ResponderPorts } from './responders.ts';

export function queueAccessFromEnv(env: Environment): Pick<ResponderPorts, 'queueAccess'> {
  const { queueRoleArn, queueCredentialSeconds } = loadResponderConfig(env);
  if (queueRoleArn === undefined) return {};
  const sts = traced(new STSClient({ ignoreConfiguredEndpointUrls: true }));
  return { queueAccess: new StsQueueAccess({ sts, roleArn: queueRoleArn, region: env['AWS_REGION'] ?? '', durationSeconds: queueCredentialSeconds }) };
}
