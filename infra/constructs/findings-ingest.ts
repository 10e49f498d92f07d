import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { AccountPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnEventBusPolicy, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaFunctionTarget } from 'aws-cdk-lib/aws-events-targets';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { refusedEventMessage } from '#functions/events/log-messages.ts';
import { acceptedDetailTypes } from '#shared/findings/eventbridge-schema.ts';
import { familyIdOf } from './cloud-action-family.ts';
import type { NeedsOf } from './service-api.ts';
import { ServiceFunction } from './service-function.ts';
import type { ServiceFunctionProps } from './service-function.ts';

/** The member role every target account has for reading exemption tags: `<memberRoleName>-exemptions`. */
export const exemptionsMemberRole = 'exemptions';

/**
 * Path of the roles of the functions that read exemption tags: `/<stack>-exemptions/`. The member
 * accounts' exemptions role trusts this path (`aws:PrincipalArn`) and nothing else of the stack.
 */
export function exemptionsRolePath(serviceStackName: string): string {
  return `/${serviceStackName}-${exemptionsMemberRole}/`;
}

/** The EventBridge target that hands each finding event to the automation. */
export const eventBridgeTargetEntry = 'functions/events/eventbridge-target.ts';

/**
 * What the ingest function touches, granted like a route's needs: decisions, dedup claims, rate
 * counts and approvals live in the history table; rules create actions (start work) or start
 * playbook runs, dry-run and approval rules plan them, and every rule checks the target's
 * exemption tag first.
 */
export const findingsIngest: NeedsOf = {
  id: 'EventBridgeTarget',
  needs: ['history:write', 'start-work', 'cloud-plans', 'exemptions', 'automation-rules', 'playbook-runs'],
};

/**
 * How long a finding event may wait for delivery, at EventBridge (the target cannot be invoked)
 * and at Lambda (the function failed): past GuardDuty's default update interval (6 h) a newer
 * delivery of the same finding has come anyway, and dedup knows it.
 */
export const findingEventMaxAge = Duration.hours(6);

/** Props of {@link FindingsIngest}. */
export interface FindingsIngestProps {
  /** Everything the function must be created with for its needs (role path, shipped rules file). */
  readonly functionProps: Pick<ServiceFunctionProps, 'rolePath' | 'files'>;
  /** Grants the function its needs ({@link findingsIngest}), as the routes' are granted. */
  readonly grant: (fn: ServiceFunction) => void;
  /** Accounts (a delegated administrator's) whose buses may forward findings to this account's default bus. */
  readonly sourceAccounts: readonly string[];
}

/**
 * Findings in, on AWS: one rule on the default event bus per accepted source and detail type
 * (`acceptedDetailTypes`: GuardDuty Finding; Security Hub Findings - Imported, - Custom Action,
 * Findings Imported V2), each targeting the one ingest function. EventBridge retries a failed
 * delivery and Lambda a failed run (twice), both within {@link findingEventMaxAge}; what still
 * fails lands in an encrypted, TLS-only dead-letter queue (the stack alarms on it).
 *
 * Sources starting `aws.` cannot be sent with PutEvents, so only GuardDuty and Security Hub
 * themselves (in this account, or forwarded by a rule of an account in `sourceAccounts`) produce
 * events these rules match; Lambda's resource policy admits these rules alone.
 */
export class FindingsIngest extends Construct {
  public readonly function: ServiceFunction;
  public readonly deadLetterQueue: Queue;
  /** `source/detail-type` → its rule. */
  public readonly rules: Readonly<Record<string, Rule>>;

  public constructor(scope: Construct, id: string, props: FindingsIngestProps) {
    super(scope, id);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless::Serverless-SQSRedrivePolicy',
      reason:
        'This queue is itself a dead-letter queue (of the finding rules\' target and of the ingest function\'s asynchronous invocations); an operator inspects and redrives it after its alarm, so a queue behind it would only move the same messages again.',
    });
    this.function = new ServiceFunction(this, 'Function', {
      entry: eventBridgeTargetEntry,
      description: 'response-actions: takes GuardDuty and Security Hub finding events from EventBridge and decides them by the automation rules',
      // A custom action carries up to 100 findings, each checked, deduplicated and acted on in turn.
      timeout: Duration.minutes(5),
      retryAttempts: 2,
      maxEventAge: findingEventMaxAge,
      deadLetterQueue: this.deadLetterQueue,
      ...props.functionProps,
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless::Serverless-LambdaAsyncFailureDestination',
      reason:
        'Its dead-letter queue (DeadLetterConfig) takes every event that still fails after the two retries, with Lambda\'s error code and message as message attributes, and alarms; a failure destination on the same queue would only deliver each failed event twice.',
    });
    props.grant(this.function);

    const rules: Record<string, Rule> = {};
    for (const [source, detailTypes] of Object.entries(acceptedDetailTypes)) {
      for (const detailType of detailTypes) {
        rules[`${source}/${detailType}`] = new Rule(this, `${familyIdOf(detailType)}Rule`, {
          description: `response-actions: ${detailType} (${source}) to the automation rules`,
          eventPattern: { source: [source], detailType: [detailType] },
          targets: [
            new LambdaFunctionTarget(this.function, {
              deadLetterQueue: this.deadLetterQueue,
              maxEventAge: findingEventMaxAge,
              retryAttempts: 185,
            }),
          ],
        });
      }
    }
    this.rules = rules;

    for (const account of props.sourceAccounts) this.allowForwardingFrom(account);
  }

  /**
   * Alarms on the dead-letter queue (any message visible) and on events refused for good (the
   * target's warning, counted by a metric filter on its log group: `<stack>/FindingEventsRefused`).
   */
  public addAlarms(alarm: (id: string, metric: IMetric, description: string) => void, period: Duration): void {
    alarm(
      'FindingEventsDeadLettersAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      'A finding event could not be delivered to, or decided by, the automation after every retry: no rule acted on it. Inspect the dead-letter queue (each message\'s attributes say why) and redrive it.',
    );
    const refused = new MetricFilter(this, 'RefusedEvents', {
      logGroup: this.function.logGroup,
      metricNamespace: Stack.of(this).stackName,
      metricName: 'FindingEventsRefused',
      filterPattern: FilterPattern.stringValue('$.message', '=', refusedEventMessage),
      metricValue: '1',
    });
    alarm(
      'FindingEventsRefusedAlarm',
      refused.metric({ period, statistic: 'Sum' }),
      'A finding event was refused as malformed (or not from GuardDuty or Security Hub) and dropped: the ingest function\'s log names the event and every field at fault.',
    );
  }

  /**
   * Lets `account`'s rules forward finding events to this account's default bus: PutEvents from
   * that account only, and only with the accepted sources and detail types.
   */
  private allowForwardingFrom(account: string): void {
    const statement: unknown = new PolicyStatement({
      principals: [new AccountPrincipal(account)],
      actions: ['events:PutEvents'],
      resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`],
      conditions: {
        StringEquals: {
          'events:source': Object.keys(acceptedDetailTypes),
          'events:detail-type': Object.values(acceptedDetailTypes).flat(),
        },
      },
    }).toStatementJson();
    new CfnEventBusPolicy(this, `ForwardedFindingsFrom${account}`, { eventBusName: 'default', statementId: `response-actions-findings-from-${account}`, statement });
  }
}
