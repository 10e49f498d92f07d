/**
 * Checks the tamper-evident trail (shared/trail/verify.ts says what is checked):
 *
 *   npm run verify-trail                                   the local service's DATA_DIR (as npm start reads it)
 *   npm run verify-trail -- --bucket B --table T [--region R] [--endpoint-url URL]   AWS
 *
 * Exit 0 with a one-line summary when everything holds; 1 naming the first broken link, every
 * record changed outside the service and every damaged evidence object; 2 on a usage error or a
 * DATA_DIR in use (LevelDB lets one process open the table: stop `npm start` first).
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { dataDirFrom } from '#local/dev-issuer.ts';
import { DataDirBusyError, openLocalTrailSources } from '#local/evidence/trail-sources.ts';
import { awsTrailSources } from '#shared/trail/aws-sources.ts';
import { TRAIL_BUCKET_ENV } from '#shared/trail/trail-from-env.ts';
import { isIntact, verifyTrail, type TrailReport, type TrailSources } from '#shared/trail/verify.ts';

const usage = `usage: npm run verify-trail [-- --bucket BUCKET --table TABLE [--region REGION] [--endpoint-url URL]]

Without options: the trail, table and evidence of the local service under DATA_DIR (default .local/).
With --bucket and --table (or TRAIL_BUCKET and HISTORY_TABLE_NAME): the evidence bucket's trail/
and the history table in AWS, with the usual AWS credentials.
Exit 0: intact. 1: something was changed outside the service (named). 2: usage, or DATA_DIR in use.`;

class UsageError extends Error {}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): { kind: 'local'; dataDir: string } | { kind: 'aws'; bucket: string; table: string; region?: string; endpoint?: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { bucket: { type: 'string' }, table: { type: 'string' }, region: { type: 'string' }, 'endpoint-url': { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) throw new UsageError('');
  const bucket = values.bucket ?? env[TRAIL_BUCKET_ENV];
  const table = values.table ?? env['HISTORY_TABLE_NAME'];
  if (bucket === undefined && table === undefined) {
    if (values.region !== undefined || values['endpoint-url'] !== undefined) throw new UsageError('--region and --endpoint-url go with --bucket and --table');
    return { kind: 'local', dataDir: dataDirFrom(env) };
  }
  if (bucket === undefined || bucket === '') throw new UsageError('--bucket (or TRAIL_BUCKET) is required with --table');
  if (table === undefined || table === '') throw new UsageError('--table (or HISTORY_TABLE_NAME) is required with --bucket');
  return {
    kind: 'aws',
    bucket,
    table,
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(values['endpoint-url'] === undefined ? {} : { endpoint: values['endpoint-url'] }),
  };
}

function print(report: TrailReport): number {
  const counts = `${String(report.entries)} entries, ${String(report.records)} records, ${String(report.evidenceObjects)} evidence objects`;
  if (isIntact(report)) {
    console.log(`trail intact: ${counts}; the chain holds, every record is as the service last wrote it, every evidence object has its recorded SHA-256`);
    return 0;
  }
  if (report.firstBrokenLink !== null) console.log(`first broken link: ${report.firstBrokenLink.what} ${report.firstBrokenLink.why}`);
  for (const problem of report.changedRecords) console.log(`record changed: ${problem.what} ${problem.why}`);
  for (const problem of report.damagedEvidence) console.log(`evidence damaged: ${problem.what} ${problem.why}`);
  const broken = [
    report.firstBrokenLink === null ? [] : ['the chain is broken'],
    report.changedRecords.length === 0 ? [] : [`${String(report.changedRecords.length)} record(s) changed outside the service`],
    report.damagedEvidence.length === 0 ? [] : [`${String(report.damagedEvidence.length)} evidence object(s) damaged`],
  ].flat();
  console.log(`trail NOT intact (${counts}): ${broken.join('; ')}`);
  return 1;
}

async function main(): Promise<number> {
  let target;
  try {
    target = parse(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message !== '') console.error(`verify-trail: ${error.message}`);
    console.error(usage);
    return 2;
  }
  if (target.kind === 'local') {
    let sources;
    try {
      sources = await openLocalTrailSources(target.dataDir);
    } catch (error) {
      if (!(error instanceof DataDirBusyError)) throw error;
      console.error(`verify-trail: DATA_DIR ${target.dataDir} is in use (${error.message}): stop npm start on it, then run verify-trail again`);
      return 2;
    }
    try {
      return print(await verifyTrail(sources));
    } finally {
      await sources.close();
    }
  }
  const aws = { ...(target.region === undefined ? {} : { region: target.region }), ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }) };
  const s3 = new S3Client({ ...aws, forcePathStyle: target.endpoint !== undefined });
  const dynamoClient = new DynamoDBClient(aws);
  const sources: TrailSources = awsTrailSources({ s3, dynamo: DynamoDBDocumentClient.from(dynamoClient), bucket: target.bucket, table: target.table });
  try {
    return print(await verifyTrail(sources));
  } finally {
    s3.destroy();
    dynamoClient.destroy();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`verify-trail: could not finish: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  return 2;
});
