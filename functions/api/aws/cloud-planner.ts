/**
 * The CloudPlanner of the API in AWS: a plan runs in the family function of the request's type
 * (the one holding that family's member role), invoked with `{ "plan": CloudPlanRequest }`.
 * Environment: CLOUD_PLAN_FUNCTIONS, a JSON object of family name → function name or ARN
 * (`{"iam":"...","ec2":"..."}`). Permissions: lambda:InvokeFunction on exactly those functions.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
// zod/mini: the same schemas, tree-shakable, for the API functions' bundles.
import * as z from 'zod/mini';
import { cloudActionErrorOf, UnsupportedActionTypeError } from '#shared/actions/errors.ts';
import { cloudActionFamilyOf } from '#shared/actions/families.ts';
import type { Environment } from '#shared/config/config.ts';
import { ConfigError, InvalidInputError } from '#shared/errors.ts';
import type { JsonValue } from '#shared/json.ts';
import { traced } from '#shared/observability/tracing.ts';
import type { CloudPlanner, CloudPlanRequest, CloudPlanResult } from '#shared/plans/types.ts';

export const cloudPlanFunctionsVariable = 'CLOUD_PLAN_FUNCTIONS';

export interface LambdaCloudPlannerOptions {
  readonly client: LambdaClient;
  /** Family name → the name or ARN of its function. */
  readonly functions: Readonly<Record<string, string>>;
}

const functionsSchema = z.record(z.string().check(z.minLength(1)), z.string().check(z.minLength(1)));

const resultSchema = z.strictObject({
  prior: z.unknown(),
  changes: z.array(z.strictObject({ call: z.string(), target: z.string(), detail: z.string() })),
});

/** What Lambda answers for a function that threw: its error's name and message, nothing more. */
const functionErrorSchema = z.object({ errorType: z.optional(z.string()), errorMessage: z.optional(z.string()) });

export class LambdaCloudPlanner implements CloudPlanner {
  readonly #client: LambdaClient;
  readonly #functions: Readonly<Record<string, string>>;

  constructor(options: LambdaCloudPlannerOptions) {
    this.#client = options.client;
    this.#functions = options.functions;
  }

  /** The family function's plan; its guard refusals and AWS failures come back as the same named errors (errors.ts). */
  async plan(request: CloudPlanRequest): Promise<CloudPlanResult> {
    const family = cloudActionFamilyOf(request.type);
    const functionName = family === undefined || !Object.hasOwn(this.#functions, family) ? undefined : this.#functions[family];
    if (family === undefined || functionName === undefined) {
      throw new UnsupportedActionTypeError(`no cloud action family function plans ${request.type} actions (${cloudPlanFunctionsVariable} names none for it)`);
    }
    const answer = await this.#client.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify({ plan: request })) }),
    );
    const payload = parsePayload(answer.Payload);
    if (answer.FunctionError !== undefined) throw functionError(family, request, payload);
    const result = resultSchema.safeParse(payload);
    if (!result.success) throw new Error(`the ${family} family function answered a plan of ${request.type} that is not a CloudPlanResult: ${result.error.message}`);
    // JSON by construction: it crossed the Lambda boundary as JSON.
    return { prior: (result.data.prior ?? null) as JsonValue | null, changes: result.data.changes };
  }
}

function parsePayload(payload: Uint8Array | undefined): unknown {
  const text = payload === undefined ? '' : new TextDecoder().decode(payload);
  try {
    return text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}

/**
 * The named error the function threw, by its errorType: a guard's refusal, an AWS failure, the
 * inputs refused as a create refuses them; anything else (a defect, a timeout) a plain Error.
 */
function functionError(family: string, request: CloudPlanRequest, payload: unknown): Error {
  const parsed = functionErrorSchema.safeParse(payload);
  const errorType = parsed.success ? (parsed.data.errorType ?? 'Error') : 'Error';
  const errorMessage = parsed.success ? (parsed.data.errorMessage ?? '') : String(payload);
  // Lambda carries no field list: the message names the fields (`inputs.x: ...; ...`).
  if (errorType === 'InvalidInputError') return new InvalidInputError([{ path: 'inputs', message: errorMessage }]);
  return cloudActionErrorOf(errorType, errorMessage) ?? new Error(`the ${family} family function failed to plan ${request.type}: ${errorType}: ${errorMessage}`);
}

/** The planner from CLOUD_PLAN_FUNCTIONS; ConfigError naming the variable when it is missing or not such an object. */
export function cloudPlannerFromEnv(env: Environment): LambdaCloudPlanner {
  const text = env[cloudPlanFunctionsVariable];
  if (text === undefined || text.trim() === '') throw new ConfigError(cloudPlanFunctionsVariable, 'is required but not set');
  let functions: unknown;
  try {
    functions = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(cloudPlanFunctionsVariable, 'is not JSON: it must be an object of family name to function name, e.g. {"iam":"my-iam-steps"}', { cause: error });
  }
  const parsed = functionsSchema.safeParse(functions);
  if (!parsed.success) {
    throw new ConfigError(cloudPlanFunctionsVariable, `must be an object of family name to function name, e.g. {"iam":"my-iam-steps"}: ${parsed.error.message}`);
  }
  // The service's own functions: never AWS_ENDPOINT_URL, which points at target accounts' emulators.
  return new LambdaCloudPlanner({ client: traced(new LambdaClient({ ignoreConfiguredEndpointUrls: true })), functions: parsed.data });
}
