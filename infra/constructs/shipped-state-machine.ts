import { CfnResource } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { acknowledgeStarOnlyFor } from './acknowledge-wildcard.ts';

/**
 * What Step Functions needs on `*` for logging (vended log delivery) and X-Ray tracing: none of
 * these actions supports resource-level permissions.
 */
export const stateMachineStarActions: ReadonlySet<string> = new Set([
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
]);

/** Props of {@link shippedStateMachine}. */
export interface ShippedStateMachineProps {
  /** The definition string, from a shipped ASL file (`shippedAslDefinition`). */
  readonly definition: string;
  /** Every `${...}` of the definition, as CloudFormation substitutes it. */
  readonly substitutions: Readonly<Record<string, string>>;
  readonly comment: string;
  /** Where the executions log. */
  readonly executionLogs: ILogGroup;
  /** The functions the definition invokes: the only ones the role may invoke. */
  readonly invokes: readonly IFunction[];
}

/**
 * A Standard state machine from a shipped ASL file, as every state machine of the service is
 * deployed: ALL events logged without execution data (inputs and results stay in the history
 * table), X-Ray tracing, and a role that may invoke exactly the given functions (unqualified
 * ARNs: the ASL invokes $LATEST), besides log delivery and X-Ray on `*`, guarded so nothing else
 * can ever be granted on `*` through it.
 *
 * A function, not a construct, so a state machine keeps the construct path (and logical id) it
 * had before this was shared.
 *
 * @param scope where the state machine goes
 * @param id its construct id
 * @param props see {@link ShippedStateMachineProps}
 */
export function shippedStateMachine(scope: Construct, id: string, props: ShippedStateMachineProps): StateMachine {
  const stateMachine = new StateMachine(scope, id, {
    definitionBody: DefinitionBody.fromString(props.definition),
    definitionSubstitutions: { ...props.substitutions },
    stateMachineType: StateMachineType.STANDARD,
    comment: props.comment,
    logs: { destination: props.executionLogs, level: LogLevel.ALL, includeExecutionData: false },
    tracingEnabled: true,
  });
  // The definition is a string, so CDK cannot see its tasks: grant the functions by hand.
  stateMachine.addToRolePolicy(
    new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: props.invokes.map((fn) => fn.functionArn) }),
  );

  // cfn-lint (E3601) checks the definition before CloudFormation applies DefinitionSubstitutions
  // and only understands a substitution that replaces a whole value, so it rejects
  // "arn:${Partition}:states:::lambda:invoke". The definition is a shipped ASL file, which the
  // tests validate with asl-validator after substituting, as CloudFormation will.
  const cfnStateMachine = stateMachine.node.defaultChild;
  if (cfnStateMachine instanceof CfnResource) {
    cfnStateMachine.addMetadata('cfn-lint', { config: { ignore_checks: ['E3601'] } });
  }
  acknowledgeStarOnlyFor(
    stateMachine.role,
    stateMachineStarActions,
    'log delivery and X-Ray',
    'Step Functions logging to CloudWatch Logs needs the log-delivery actions (logs:*LogDelivery*, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups) and tracing needs the X-Ray write and sampling actions; none supports resource-level permissions; the shared state machine builder fails synthesis if anything else is granted on "*" through this role.',
  );
  return stateMachine;
}
