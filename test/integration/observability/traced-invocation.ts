/**
 * One Lambda invocation through `lambdaEntry`, run by tracing.test.ts in a child process whose
 * environment is Lambda's (function name, execution env, trace header, X-Ray daemon address,
 * credentials in AWS_* variables): the shipped wiring, the shipped client factories, moto behind them.
 * It stays up until its stdin closes, so the X-Ray SDK's UDP sends are not cut short.
 */
import type { Context } from 'aws-lambda';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHistoryClient, ensureHistoryTable } from '#shared/adapters/dynamodb.ts';
import { createEvidenceS3Client } from '#shared/adapters/s3-evidence-store.ts';
import { lambdaEntry } from '#shared/observability/entry.ts';

const endpoint = process.env['MOTO_ENDPOINT'] ?? '';
const tableName = process.env['HISTORY_TABLE_NAME'] ?? '';

const handler = lambdaEntry(() => {
  const history = createHistoryClient({ endpoint });
  const evidence = createEvidenceS3Client({ endpoint });
  return async (): Promise<unknown> => {
    await ensureHistoryTable({ endpoint }, tableName);
    await history.send(new GetCommand({ TableName: tableName, Key: { pk: 'ACTION#traced', sk: 'RECORD' } }));
    await evidence.send(new ListBucketsCommand({}));
    // A response like the queue-credentials route's: it must never reach the trace.
    return { credentials: { secretAccessKey: process.env['RESPONSE_SECRET'] } };
  };
});

const context: Partial<Context> = {
  functionName: process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? '',
  awsRequestId: 'traced-request-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:traced',
  memoryLimitInMB: '256',
  functionVersion: '$LATEST',
  getRemainingTimeInMillis: () => 30_000,
};
await handler({}, context as Context);
process.stdout.write('invoked\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
