import type { Context } from 'aws-lambda';

/** A Lambda function's handler: the event and Lambda's context in, the result out. */
export type LambdaHandler<Event, Result> = (event: Event, context: Context) => Promise<Result>;

/**
 * Powertools is loaded while a Lambda function initialises, and only there: the local runtime,
 * the CDK app and tests import the same handler modules and load none of it. Not awaited here,
 * so importing this module stays synchronous; the first invocation waits for it.
 */
const observability = process.env['AWS_LAMBDA_FUNCTION_NAME'] === undefined ? undefined : import('./lambda.ts');

/**
 * A Lambda entry point: on the first invocation installs Powertools (in Lambda), then builds the
 * handler with `build` (so every client it creates is traced) and keeps it for the container's
 * life, wrapped so each invocation's context reaches its logs and traces.
 */
export function lambdaEntry<Event, Result>(build: () => LambdaHandler<Event, Result> | Promise<LambdaHandler<Event, Result>>): LambdaHandler<Event, Result> {
  let built: Promise<LambdaHandler<Event, Result>> | undefined;
  return async (event: Event, context: Context): Promise<Result> => {
    built ??= (async () => {
      const powertools = await observability;
      const handler = await build();
      return powertools === undefined ? handler : powertools.observe(handler);
    })();
    return (await built)(event, context);
  };
}
