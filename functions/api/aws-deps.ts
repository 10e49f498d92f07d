/**
 * The API functions' wiring in AWS, built once per container on first invocation.
 * Environment: HISTORY_TABLE_NAME, CURSOR_SECRET_ARN (a Secrets Manager secret whose value
 * signs history cursors), CLOUD_ACTION_STATE_MACHINES (`family=arn,...`; functions that start
 * work), EVIDENCE_BUCKET (functions that list evidence).
 */
import { createHash } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { createEvidenceS3Client, S3EvidenceStore } from '#shared/adapters/s3-evidence-store.ts';
import { parseStateMachineArns, SfnWorkStarter } from '#shared/adapters/sfn-work-starter.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { HistoryRepository } from '#shared/history/repository.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';

export async function apiDeps(env: Readonly<Record<string, string | undefined>> = process.env): Promise<{ service: ActionService }> {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  const secretArn = env['CURSOR_SECRET_ARN'];
  if (secretArn === undefined || secretArn === '') throw new ConfigError('CURSOR_SECRET_ARN', 'is required but not set');
  const secrets = new SecretsManagerClient({ ignoreConfiguredEndpointUrls: true });
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  secrets.destroy();
  if (SecretString === undefined || SecretString.length < 32) {
    throw new ConfigError('CURSOR_SECRET_ARN', 'the secret must hold at least 32 characters');
  }
  const repository = new HistoryRepository({
    client: createHistoryClient(),
    tableName: config.historyTableName ?? '',
    cursors: new CursorCodec(createHash('sha256').update(SecretString).digest()),
    clock: systemClock,
  });
  const machines = env['CLOUD_ACTION_STATE_MACHINES'];
  const bucket = env['EVIDENCE_BUCKET'];
  const service = new ActionService({
    repository,
    starters:
      machines === undefined
        ? {}
        : {
            cloud: new SfnWorkStarter({
              client: new SFNClient({ ignoreConfiguredEndpointUrls: true }),
              stateMachineArns: parseStateMachineArns(machines),
              repository,
            }),
          },
    ...(bucket === undefined
      ? {}
      : { evidence: new S3EvidenceStore({ client: createEvidenceS3Client(), bucket, clock: systemClock }) }),
    clock: systemClock,
  });
  return { service };
}
