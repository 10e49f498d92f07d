/**
 * Powertools in a Lambda function: the Logger (with the redacting formatter) behind the service's
 * `logger`, the Tracer behind `traced`, and the middlewares that put the invocation's context in
 * every line and its handler in a subsegment. Loaded only inside Lambda, by `lambdaEntry`
 * (./entry.ts); importing it installs both, so every line the function logs and every client it
 * builds from then on goes through them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { useLogger } from '#shared/log.ts';
import { RedactingLogFormatter } from './log-formatter.ts';
import { serviceName as defaultServiceName } from './service-name.ts';
import { traceClientsWith } from './tracing.ts';

const serviceName = process.env['POWERTOOLS_SERVICE_NAME'] ?? defaultServiceName;

/** Level from POWERTOOLS_LOG_LEVEL or LOG_LEVEL (default info). */
export const powertoolsLogger = new Logger({ serviceName, logFormatter: new RedactingLogFormatter() });

/** Disables itself outside Lambda (no AWS_EXECUTION_ENV) and with POWERTOOLS_TRACE_ENABLED=false. */
export const tracer = new Tracer({ serviceName });

useLogger({
  debug: (message, fields) => { powertoolsLogger.debug(message, fields ?? {}); },
  info: (message, fields) => { powertoolsLogger.info(message, fields ?? {}); },
  warn: (message, fields) => { powertoolsLogger.warn(message, fields ?? {}); },
  error: (message, fields) => { powertoolsLogger.error(message, fields ?? {}); },
});
traceClientsWith((client) => tracer.captureAWSv3Client(client));

type LambdaHandler<Event, Result> = (event: Event, context: Context) => Promise<Result>;

/**
 * The handler with the invocation's request id and cold start in its log lines and its work in a
 * `## index.handler` subsegment. Responses are never put in the trace: some carry credentials
 * (queue credentials) or presigned URLs, which X-Ray metadata would keep in clear.
 */
export function observe<Event, Result>(handler: LambdaHandler<Event, Result>): LambdaHandler<Event, Result> {
  return middy<Event, Result>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(powertoolsLogger, { resetKeys: true }))
    .handler(handler);
}
