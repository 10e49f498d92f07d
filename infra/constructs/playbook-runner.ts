import { Aws, Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaFunctionTarget } from 'aws-cdk-lib/aws-events-targets';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AddAlarm } from './alarm-topic.ts';
import { grantHistoryTable } from './grant-history-table.ts';
import { grantStartActions, type ActionStateMachines } from './grant-start-work.ts';
import { playbookRunDefinition, type PlaybookRunSubstitutionName } from './playbook-run-definition.ts';
import { ServiceFunction } from './service-function.ts';
import { shippedStateMachine } from './shipped-state-machine.ts';

/** The playbook step function's entry: the playbook state machine's Advance and FailRun tasks. */
export const playbookStepEntry = 'functions/playbooks/playbook-step.ts';

/**
 * Lambda timeout of the playbook step function: under the 60 s `TimeoutSeconds` of the ASL's
 * FailRun task (Advance allows 300 s), so a hung call ends as the function's own error, which
 * the ASL retries or catches; enough to read a run, create one step's action and start it.
 */
export const playbookStepTimeout = Duration.seconds(50);

/**
 * How far past the run deadline the state machine's own `TimeoutSeconds` lies: Advance ends a run
 * in Error once its deadline passes, within a wait (2 s) and one Advance (at most 300 s, retried).
 * The execution timeout is only the backstop for an Advance that never comes back.
 */
export const playbookExecutionGraceSeconds = 900;

/** Props of {@link PlaybookRunner}. */
export interface PlaybookRunnerProps {
  readonly historyTable: ITable;
  /** Where the executions log (shared with the action state machines). */
  readonly executionLogs: ILogGroup;
  /** What a step's action starts: the family and responder state machines. */
  readonly actionStateMachines: ActionStateMachines;
  /** `playbookRunDeadlineSeconds`: the execution timeout lies {@link playbookExecutionGraceSeconds} beyond it. */
  readonly runDeadlineSeconds: number;
}

/**
 * Playbook runs on AWS: the playbook step function and the playbook state machine, built from the
 * shipped `state-machines/playbook-run.asl.json` with the function substituted in. One execution
 * per run (named after the run id); each step is an ordinary action on its own execution.
 *
 * The function may read and write the history table (the run item, the steps' action records) and
 * start executions of the action state machines, nothing else: it plans nothing, assumes no
 * member role and cannot start a playbook run. The state machine logs every event without
 * execution data, is traced with X-Ray, and its role may invoke the step function only.
 *
 * An execution that ends without FailRun (its backstop timeout, a stop by hand, FailRun itself
 * failing) would leave its run Running: a rule hands it to the step function's `fail`, which ends
 * the run in Error (and leaves a run that already ended alone).
 */
export class PlaybookRunner extends Construct {
  public readonly stepFunction: ServiceFunction;
  /** The playbook state machine; executions are named after run ids. */
  public readonly stateMachine: StateMachine;
  /** Dead letters of the ended-execution rule and of the step function's asynchronous invocations. */
  public readonly deadLetterQueue: Queue;

  public constructor(scope: Construct, id: string, props: PlaybookRunnerProps) {
    super(scope, id);

    this.deadLetterQueue = new Queue(this, 'EndedRunsDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless::Serverless-SQSRedrivePolicy',
      reason: 'This queue is itself a dead-letter queue (of the ended-execution rule target and of the playbook step function); an operator inspects and redrives it after its alarm.',
    });
    const stepFunction = new ServiceFunction(this, 'StepFunction', {
      entry: playbookStepEntry,
      description: 'response-actions playbook runs: advances a run step by step (creates each step\'s action), ends a failed run',
      timeout: playbookStepTimeout,
      // Invoked asynchronously by the ended-execution rule: what still fails after Lambda's two retries lands here.
      deadLetterQueue: this.deadLetterQueue,
    });
    grantHistoryTable(stepFunction, props.historyTable, 'readWrite');
    grantStartActions(stepFunction, props.actionStateMachines);

    const substitutions: Record<PlaybookRunSubstitutionName, string> = {
      Partition: Aws.PARTITION,
      PlaybookStepFunctionArn: stepFunction.functionArn,
    };
    this.stateMachine = shippedStateMachine(this, 'StateMachine', {
      definition: playbookRunDefinition(props.runDeadlineSeconds + playbookExecutionGraceSeconds),
      substitutions,
      comment: 'response-actions playbook runs: one execution per run, each step an action on its own execution',
      executionLogs: props.executionLogs,
      invokes: [stepFunction],
    });
    this.stepFunction = stepFunction;

    new Rule(this, 'EndedExecutionRule', {
      description: 'response-actions: ends the run of a playbook execution that failed, timed out or was aborted without FailRun',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [
        new LambdaFunctionTarget(stepFunction, {
          // The execution is named after its run.
          event: RuleTargetInput.fromObject({
            step: 'fail',
            runId: EventField.fromPath('$.detail.name'),
            error: { Error: `Execution.${EventField.fromPath('$.detail.status')}`, Cause: 'the execution ended without FailRun ending its run' },
          }),
          deadLetterQueue: this.deadLetterQueue,
          maxEventAge: Duration.hours(24),
          retryAttempts: 185,
        }),
      ],
    });
  }

  /** Failed and timed-out executions, and dead letters: a run that may still show Running. */
  public addAlarms(alarm: AddAlarm, period: Duration): void {
    alarm(
      'PlaybookFailedExecutionsAlarm',
      this.stateMachine.metricFailed({ period, statistic: 'Sum' }),
      'Executions of the playbook state machine failed: a playbook run could not be advanced and was ended in Error (by FailRun or the ended-execution rule).',
    );
    alarm(
      'PlaybookTimedOutExecutionsAlarm',
      this.stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
      'An execution of the playbook state machine outlived the run deadline by the grace period: Advance never came back.',
    );
    alarm(
      'PlaybookDeadLettersAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      'An ended playbook execution could not end its run: the run may still show Running. Inspect and redrive the dead-letter queue.',
    );
  }
}
