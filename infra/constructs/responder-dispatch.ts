import { Aws, Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { grantHistoryTable } from './grant-history-table.ts';
import { grantResponderQueues } from './grant-responder-queues.ts';
import { responderActionDefinition } from './responder-action-definition.ts';
import type { ResponderActionSubstitutionName } from './responder-action-definition.ts';
import { ServiceFunction } from './service-function.ts';
import { shippedStateMachine } from './shipped-state-machine.ts';
import { grantWorkSigningKey } from './work-signing-key.ts';

/** The dispatch-work function's entry: the responder state machine's Dispatch and ExplainLapse states. */
export const dispatchWorkEntry = 'functions/steps/dispatch-work.ts';

/**
 * Lambda timeout of dispatch-work: under the 60 s `TimeoutSeconds` of the ASL's ExplainLapse task,
 * so a hung call ends as the function's own error (caught into MarkError); enough for the record,
 * the secret, creating a queue pair and sending. (Dispatch itself waits for the responder, not for
 * the function: its timeout is the completion deadline.)
 */
export const dispatchWorkTimeout = Duration.seconds(30);

/** Props of {@link ResponderDispatch}. */
export interface ResponderDispatchProps {
  readonly historyTable: ITable;
  /** The shared mark-status function (MarkCompleted, MarkError). */
  readonly markStatus: IFunction;
  /** Where the executions log (shared with the cloud action state machines). */
  readonly executionLogs: ILogGroup;
  /** First part of every work queue's name (`responderQueuePrefix`). */
  readonly queuePrefix: string;
  /** The secret holding the private Ed25519 JWK that signs work. */
  readonly workSigningKey: ISecret;
}

/**
 * The responder path's dispatch: the dispatch-work function and the responder state machine,
 * built from the shipped `state-machines/responder-action.asl.json` with its functions
 * substituted in. One execution per host or Kubernetes action: Dispatch signs the work, stores
 * the task token with the action, sends the work to the target's own queue and waits
 * (`waitForTaskToken`) for the responder's reports through the API.
 *
 * dispatch-work may read the action, write its dispatch item and mark it Enqueued (GetItem,
 * PutItem, UpdateItem on the table), read the work-signing secret, and create, inspect and send
 * to the work queues (`<prefix>-*`), and heartbeat this state machine's tasks (states:SendTaskHeartbeat), nothing else. The state machine logs every event without
 * execution data, is traced with X-Ray, and its role may invoke dispatch-work and mark-status only.
 */
export class ResponderDispatch extends Construct {
  /** dispatch-work: signs and sends work, explains lapsed deadlines. */
  public readonly dispatchFunction: ServiceFunction;
  /** The responder state machine; executions are named after action ids. */
  public readonly stateMachine: StateMachine;

  public constructor(scope: Construct, id: string, props: ResponderDispatchProps) {
    super(scope, id);

    const dispatchFunction = new ServiceFunction(this, 'DispatchFunction', {
      entry: dispatchWorkEntry,
      description: 'response-actions responder dispatch: signs work, sends it to the target queue, explains lapsed deadlines',
      timeout: dispatchWorkTimeout,
    });
    Validations.of(dispatchFunction).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by the responder state machine (lambda:invoke.waitForTaskToken and lambda:invoke) only: the ASL retries Lambda service errors and catches every failure into MarkError, which records it on the action; there is no asynchronous event to keep.',
    });
    grantHistoryTable(dispatchFunction, props.historyTable, 'dispatch');
    grantWorkSigningKey(dispatchFunction, props.workSigningKey);
    grantResponderQueues(dispatchFunction, props.queuePrefix, 'dispatch');

    const substitutions: Record<ResponderActionSubstitutionName, string> = {
      Partition: Aws.PARTITION,
      DispatchFunctionArn: dispatchFunction.functionArn,
      MarkStatusFunctionArn: props.markStatus.functionArn,
    };
    this.stateMachine = shippedStateMachine(this, 'StateMachine', {
      definition: responderActionDefinition(),
      substitutions,
      comment: 'response-actions responder path: host and Kubernetes actions, sent to the target\'s queue and reported on by its responder',
      executionLogs: props.executionLogs,
      invokes: [dispatchFunction, props.markStatus],
    });
    // SendTaskHeartbeat right after the send restarts the pickup window from there (shared/responders/dispatch.ts), on this state
    // machine only. Its own policy, not the role's default one: the function depends on that, and the machine on the function.
    new Policy(this, 'DispatchHeartbeat', {
      roles: [dispatchFunction.executionRole],
      statements: [new PolicyStatement({ actions: ['states:SendTaskHeartbeat'], resources: [this.stateMachine.stateMachineArn] })],
    });
    this.dispatchFunction = dispatchFunction;
  }
}
