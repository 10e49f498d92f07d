import { Aws, Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CloudActionFamilyDeployment } from '#shared/actions/families.ts';
import { grantAssumeRoles } from './grant-assume-roles.ts';
import { cloudActionDefinition } from './cloud-action-definition.ts';
import type { CloudActionSubstitutionName } from './cloud-action-definition.ts';
import type { EvidenceBucket } from './evidence-bucket.ts';
import { grantEvidenceBucket } from './grant-evidence-bucket.ts';
import { grantHistoryTable } from './grant-history-table.ts';
import { ServiceFunction } from './service-function.ts';
import { shippedStateMachine } from './shipped-state-machine.ts';

/**
 * Lambda timeout of a family's steps: under the 300 s `TimeoutSeconds` of the ASL's Capture,
 * Apply, Check and Verify tasks, so a hung step ends as the function's own timeout (a Lambda
 * error the task catches into MarkError) before Step Functions gives up on the task. Enough
 * for AssumeRole and a handful of retried SDK calls; longer changes use the ASL's wait loop.
 */
export const familyFunctionTimeout = Duration.seconds(120);

/** Props of {@link CloudActionFamily}. */
export interface CloudActionFamilyProps {
  /** The family's entry of `cloudActionFamilyDeployments`. */
  readonly family: CloudActionFamilyDeployment;
  readonly historyTable: ITable;
  readonly evidence: EvidenceBucket;
  /** The shared mark-status function (MarkRunning, MarkCompleted, MarkError). */
  readonly markStatus: IFunction;
  /** Where every family's executions log. */
  readonly executionLogs: ILogGroup;
  /** Execution timeout of the state machine: the completion deadline. */
  readonly completionDeadlineSeconds: number;
  /**
   * Environment the family's function reads through `loadConfig`: TARGET_ACCOUNTS,
   * MEMBER_ROLE_NAME, MEMBER_ROLE_EXTERNAL_ID, PROTECTED_TARGETS.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** Name of the family's own member role, the only role the function may assume in target accounts. */
  readonly memberRoleName: string;
  /**
   * Accounts whose member role the function may assume; `'*'` for any (targetAccounts `*` or
   * unset, when the account is only known per action).
   */
  readonly memberAccounts: readonly string[] | '*';
  /** Path of the function's role; the family's member role trusts it through `aws:PrincipalArn`. */
  readonly stepRolePath: string;
}

/**
 * One cloud action family's deployment: its step function (the family's `entry`, running
 * Capture, Apply, Check and Verify) and its state machine, built from the shipped
 * `state-machines/cloud-action.asl.json` with the family's functions substituted in.
 *
 * The function may read and update records by key, assume its own family's member role by name
 * (and nothing else across accounts: no other family's role), and, for families that collect evidence, write new objects under the
 * evidence bucket's `actions/` prefix. The state machine logs every event (without execution
 * data: inputs and results stay in the history table), is traced with X-Ray, and its role may
 * invoke exactly the two functions of its definition.
 */
export class CloudActionFamily extends Construct {
  /** The function that runs the family's steps. */
  public readonly stepFunction: ServiceFunction;
  /** The family's state machine; executions are named after action ids. */
  public readonly stateMachine: StateMachine;

  public constructor(scope: Construct, id: string, props: CloudActionFamilyProps) {
    super(scope, id);
    const { family } = props;

    const stepFunction = new ServiceFunction(this, 'StepFunction', {
      entry: family.entry,
      description: `response-actions ${family.name} family steps (${family.types.join(', ')})`,
      timeout: familyFunctionTimeout,
      rolePath: props.stepRolePath,
      environment: { ...props.environment },
    });
    Validations.of(stepFunction).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by its state machine (lambda:invoke) only: the ASL retries transient errors and catches every failure into MarkError, which records it on the action; there is no asynchronous event to keep.',
    });
    grantHistoryTable(stepFunction, props.historyTable, 'statusUpdate');
    if (family.writesEvidence === true) grantEvidenceBucket(stepFunction, props.evidence, 'write');
    const accounts = props.memberAccounts === '*' ? ['*'] : props.memberAccounts;
    const memberRoleArns = accounts.map((account) => `arn:${Aws.PARTITION}:iam::${account}:role/${props.memberRoleName}`);
    grantAssumeRoles(
      stepFunction,
      memberRoleArns,
      'The target account is an input of each action, checked against TARGET_ACCOUNTS before any call; with targetAccounts "*" or unset it cannot be named at deploy time. The role name is this family\'s own member role, which trusts only this role\'s path and demands the external id.',
    );

    const substitutions: Record<CloudActionSubstitutionName, string> = {
      Partition: Aws.PARTITION,
      MarkStatusFunctionArn: props.markStatus.functionArn,
      ActionFunctionArn: stepFunction.functionArn,
    };
    const stateMachine = shippedStateMachine(this, 'StateMachine', {
      definition: cloudActionDefinition(props.completionDeadlineSeconds),
      substitutions,
      comment: `response-actions ${family.name} family: ${family.types.join(', ')}`,
      executionLogs: props.executionLogs,
      invokes: [props.markStatus, stepFunction],
    });

    this.stepFunction = stepFunction;
    this.stateMachine = stateMachine;
  }
}

/** A family's name as a construct id part: `iam` → `Iam`, `make-private` → `MakePrivate`. */
export function familyIdOf(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => `${part.charAt(0).toUpperCase()}${part.slice(1)}`)
    .join('');
}
