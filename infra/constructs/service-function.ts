import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { FunctionOptions } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { serviceFunctionCode } from '#infra/bundling/service-function-code.ts';
import { acknowledgeStarOnlyFor } from './acknowledge-wildcard.ts';

/** Defaults every service function starts from; each can be overridden through the props. */
export const serviceFunctionDefaults = {
  /** Enough CPU for SDK calls and JSON work without paying for idle memory. */
  memorySize: 512,
  /**
   * Below the HTTP API's 30 s integration limit, so a slow call ends in the function with
   * our own error instead of a gateway 503; long enough for AssumeRole plus a few retried
   * SDK calls. Longer work belongs in the state machine, not in one invocation.
   */
  timeout: Duration.seconds(20),
  logRetention: RetentionDays.ONE_MONTH,
} as const;

/** X-Ray's write actions: they support no resource-level permission, so they need `*`. */
const xRayWriteActions: ReadonlySet<string> = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

/** Props of {@link ServiceFunction}: Lambda's function options minus what the construct decides. */
export interface ServiceFunctionProps
  extends Omit<
    FunctionOptions,
    | 'architecture'
    | 'tracing'
    | 'role'
    | 'logGroup'
    | 'logRetention'
    | 'logRetentionRole'
    | 'logRetentionRetryOptions'
    | 'logRemovalPolicy'
  > {
  /** The handler's TypeScript entry file, e.g. `functions/api/create-action.ts`. */
  readonly entry: string;
  /**
   * How long the function's own log group keeps events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Path of the execution role (`/a/b/`), for trust policies that must tell this role apart from
   * the stack's others by `aws:PrincipalArn` without giving it a physical name.
   * @default '/'
   */
  readonly rolePath?: string;
  /**
   * Files shipped beside the bundle (name → content), e.g. the automation rules; their bytes are
   * part of the asset's hash, so changing one updates the function.
   */
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * A Lambda function with the project's defaults: Node.js 24 on arm64, active X-Ray tracing,
 * the ES module bundle `buildServiceFunctionBundle` makes of `entry` (local esbuild, never Docker,
 * with source maps), and a dedicated log group with a retention period.
 *
 * The function gets its own execution role with no managed policy: it may write to its own
 * log group and send traces, nothing more, until a grant (e.g. `grantHistoryTable`)
 * adds to it. The one wildcard (X-Ray) is acknowledged for cdk-nag here, and synthesis fails
 * if anything else is ever granted on `*` through the role's default policy, so that the
 * acknowledgement can never hide a broader grant.
 *
 * Left to the stack: whether a function invoked asynchronously needs a dead-letter queue or
 * failure destination (cdk-nag `Serverless-LambdaDLQ`); synchronous callers (API Gateway,
 * Step Functions) see the error themselves.
 */
export class ServiceFunction extends LambdaFunction {
  /** The execution role, created without managed policies. */
  public readonly executionRole: Role;
  /** The execution role's path, when one was given (trust policies match on it). */
  public readonly rolePath: string | undefined;

  public constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const { entry, logRetention, rolePath, environment, files, ...functionProps } = props;
    // Role and log group must exist before `super()`, so they live beside the function
    // in the same scope (`<id>Role`, `<id>LogGroup`) rather than under it.
    const executionRole = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
      ...(rolePath === undefined ? {} : { path: rolePath }),
    });
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: logRetention ?? serviceFunctionDefaults.logRetention,
    });

    super(scope, id, {
      memorySize: serviceFunctionDefaults.memorySize,
      timeout: serviceFunctionDefaults.timeout,
      ...functionProps,
      code: serviceFunctionCode(entry, files),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      role: executionRole,
      logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...environment },
    });
    this.executionRole = executionRole;
    this.rolePath = rolePath;

    logGroup.grantWrite(executionRole);
    acknowledgeStarOnlyFor(
      executionRole,
      xRayWriteActions,
      'X-Ray',
      'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions; ServiceFunction fails synthesis if any other action is granted on "*" through this role.',
    );
  }
}
