/**
 * The responder routes' wiring in AWS, built once per container on first invocation.
 * Environment: HISTORY_TABLE_NAME; RESPONDER_QUEUE_PREFIX (default ResponseActions);
 * WORK_SIGNING_KEY_SECRET_ARN (register: it returns the public half of the signing key);
 * EVIDENCE_BUCKET (evidence-upload); RESPONDER_QUEUE_ROLE_ARN and RESPONDER_QUEUE_CREDENTIAL_SECONDS
 * (queue-credentials: AssumeRole with a session policy for the caller's queue).
 * Permissions: see the README's responder section (history table read/write, SQS on
 * `<prefix>-*`, states:SendTaskHeartbeat/Success/Failure, GetSecretValue on the signing key
 * secret, s3:PutObject presigning on `actions/*` of the evidence bucket).
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { createEvidenceS3Client, S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { HistoryWriter } from '#shared/history/writer.ts';
import { createResponderQueues, readWorkSigningKey } from '#shared/responders/aws.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import type { QueueAccessIssuer } from '#shared/responders/queue-access.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import { SfnTaskCallbacks } from '#shared/responders/task-callbacks.ts';
import type { WorkSigningPublicKey } from '#shared/responders/protocol.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { traced } from '#shared/observability/tracing.ts';

export function responderApiDeps(env: Environment = process.env): { responders: ResponderService } {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  const responderConfig = loadResponderConfig(env);
  const client = createHistoryClient();
  const tableName = config.historyTableName ?? '';
  const bucket = env['EVIDENCE_BUCKET'];
  let publicKey: Promise<WorkSigningPublicKey> | undefined;
  const responders = new ResponderService({
    repository: new HistoryWriter({ client, tableName, clock: systemClock }),
    store: new ResponderStore({ client, tableName, clock: systemClock }),
    queues: createResponderQueues(responderConfig),
    ...(responderConfig.queueRoleArn === undefined
      ? {}
      : {
          queueAccess: lazyQueueAccess(responderConfig.queueRoleArn, env['AWS_REGION'] ?? '', responderConfig.queueCredentialSeconds),
        }),
    callbacks: new SfnTaskCallbacks(traced(new SFNClient({ ignoreConfiguredEndpointUrls: true }))),
    signingKey: () => {
      const arn = responderConfig.signingKeySecretArn;
      if (arn === undefined) return Promise.reject(new ConfigError('WORK_SIGNING_KEY_SECRET_ARN', 'is required by the register route'));
      if (publicKey === undefined) {
        const reading = readWorkSigningKey(arn).then((key) => key.publicJwk);
        // A failed read (the secret not set yet) is tried again on the next registration.
        reading.catch(() => {
          if (publicKey === reading) publicKey = undefined;
        });
        publicKey = reading;
      }
      return publicKey;
    },
    ...(bucket === undefined || bucket === ''
      ? {}
      : { evidence: new S3EvidenceStore({ client: createEvidenceS3Client(), bucket, clock: systemClock }) }),
    clock: systemClock,
  });
  return { responders };
}

/**
 * The STS client, loaded on the first queue-credentials request: the other responder routes share
 * this wiring but never call STS, so they do not evaluate its SDK client at cold start.
 */
function lazyQueueAccess(roleArn: string, region: string, durationSeconds: number): QueueAccessIssuer {
  let issuer: Promise<QueueAccessIssuer> | undefined;
  const load = async (): Promise<QueueAccessIssuer> => {
    const [{ STSClient }, { StsQueueAccess }] = await Promise.all([import('@aws-sdk/client-sts'), import('#shared/responders/queue-access.ts')]);
    return new StsQueueAccess({ sts: traced(new STSClient({ ignoreConfiguredEndpointUrls: true })), roleArn, region, durationSeconds });
  };
  return {
    issue: async (target, queue) => {
      issuer ??= load();
      return (await issuer).issue(target, queue);
    },
  };
}
