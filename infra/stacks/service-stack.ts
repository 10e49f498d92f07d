import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaFunctionTarget } from 'aws-cdk-lib/aws-events-targets';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { DeploymentConfig } from '#infra/config.ts';
import { targetAccountsVariable } from '#infra/config.ts';
import { OwnTargets } from '#infra/stacks/own-targets.ts';
import { ConsoleSignIn, type ConsoleParts, type ConsoleSignInProps } from '#infra/constructs/console-sign-in.ts';
import { alarmTopic } from '#infra/constructs/alarm-topic.ts';
import { CloudActionFamily, familyIdOf } from '#infra/constructs/cloud-action-family.ts';
import { eventBridgeTargetEntry, exemptionsMemberRole, exemptionsRolePath, FindingsIngest, findingsIngest } from '#infra/constructs/findings-ingest.ts';
import type { EvidenceBucket } from '#infra/constructs/evidence-bucket.ts';
import { grantHistoryTable } from '#infra/constructs/grant-history-table.ts';
import { grantTrailToWriters } from '#infra/constructs/grant-trail.ts';
import { grantResponderQueues } from '#infra/constructs/grant-responder-queues.ts';
import { dispatchWorkEntry, ResponderDispatch } from '#infra/constructs/responder-dispatch.ts';
import { PlaybookRunner, playbookStepEntry } from '#infra/constructs/playbook-runner.ts';
import { ServiceApi } from '#infra/constructs/service-api.ts';
import type { ShippedFile } from '#infra/constructs/shipped-file.ts';
import { ServiceFunction } from '#infra/constructs/service-function.ts';
import { apiRoutes } from '#functions/api/routes.ts';
import type { ApiRoute } from '#functions/api/routes.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import type { CloudActionFamilyDeployment } from '#shared/actions/families.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';
import { serviceName } from '#shared/observability/service-name.ts';
import { deadLetterWarning } from '#shared/use-cases/responders.ts';

/** Props of {@link ServiceStack}. */
export interface ServiceStackProps extends StackProps {
  readonly config: DeploymentConfig;
  /** From the stateful stack. */
  readonly historyTable: ITable;
  readonly evidence: EvidenceBucket;
  readonly cursorSecret: ISecret;
  /** The secret holding the private Ed25519 JWK that signs responder work. */
  readonly workSigningKey: ISecret;
  /** @default apiRoutes */
  readonly routes?: readonly ApiRoute[];
  /** @default cloudActionFamilyDeployments */
  readonly families?: readonly CloudActionFamilyDeployment[];
  /** The rules file read (and validated) at synthesis, shipped in the automation functions' bundles; undefined: the default set. */
  readonly automationRules?: ShippedFile;
  /** The PLAYBOOKS file read (and validated) at synthesis, shipped in the bundles of the functions that run playbooks; undefined: the built-ins only. */
  readonly playbooks?: ShippedFile;
  /** The console's settings, and the stateful stack's user pool when persons sign in there. */
  readonly console: ConsoleSignInProps;
  /** The app's other stacks in this account, every role of which is the service's own (protected); required, so no app forgets them. */
  readonly ownStackNames: readonly string[];
}

/**
 * Path of one family step function's role in a service stack: `/<stack>-cloud-action-steps/<family>/`.
 * Each family's member role trusts exactly the role on its own family's path (`aws:PrincipalArn`),
 * which no other role of the stack has; the trailing `/` keeps `iam` apart from `iam-sessions`.
 */
export function cloudActionStepRolePath(serviceStackName: string, family: string): string {
  return `/${serviceStackName}-cloud-action-steps/${family}/`;
}

/** The mark-status function's entry: MarkRunning, MarkCompleted, MarkError and ended executions. */
export const markStatusEntry = 'functions/steps/mark-status.ts';

/**
 * Fails synthesis when `<prefix>-*`, the responder queue grant, would also match a queue of the
 * service stack itself (CloudFormation names them `<stack name>-<logical id>-<suffix>`): the work
 * routes could then read and delete the mark-status dead letters.
 *
 * @throws Error naming both when the prefix covers the stack's queues
 */
export function assertQueuePrefixApart(queuePrefix: string, serviceStackName: string): void {
  if (`${serviceStackName}-`.startsWith(`${queuePrefix}-`)) {
    throw new Error(
      `responderQueuePrefix "${queuePrefix}" would let the responder queue grant (${queuePrefix}-*) cover the ${serviceStackName} stack's own queues (${serviceStackName}-*); choose another prefix`,
    );
  }
}

/** The hourly sweep of silent responders and their queues, which also logs dead-lettered work. */
export const sweepRespondersEntry = 'functions/scheduled/sweep-responders.ts';

/**
 * What the sweep logs (`shared/use-cases/responders.ts`, at warn) for a responder whose
 * dead-letter queue holds work; the dead-letter alarm counts these lines. Responders leave refused
 * work to the dead-letter queue themselves; no service function receives work any more.
 */
export const deadLetterWarnings = [deadLetterWarning] as const;

/** One Lambda function of the service stack: its construct id and its handler's entry file. */
export interface ServiceFunctionEntry {
  readonly id: string;
  readonly entry: string;
}

/**
 * Every function the service stack deploys, by construct id: one per API route, mark-status,
 * dispatch-work, and one per cloud action family. The bundle budget (`bench/bundles.ts`) measures
 * exactly these.
 */
export function serviceFunctionEntries(
  routes: readonly ApiRoute[] = apiRoutes,
  families: readonly CloudActionFamilyDeployment[] = cloudActionFamilyDeployments,
): ServiceFunctionEntry[] {
  return [
    ...routes.map((route) => ({ id: route.id, entry: route.entry })),
    { id: 'MarkStatus', entry: markStatusEntry },
    { id: 'DispatchWork', entry: dispatchWorkEntry },
    { id: 'SweepResponders', entry: sweepRespondersEntry },
    { id: findingsIngest.id, entry: eventBridgeTargetEntry },
    { id: 'PlaybookStep', entry: playbookStepEntry },
    ...families.map((family) => ({ id: `${familyIdOf(family.name)}Steps`, entry: family.entry })),
  ];
}

/** Lambda errors, failed executions, 5xx or dead letters in one 5-minute period raise an alarm. */
const alarmPeriod = Duration.minutes(5);

/**
 * The service: the HTTP API and its functions; the cloud-action path (mark-status, one step
 * function and one state machine per family of `cloudActionFamilyDeployments`); the responder
 * path (dispatch-work and the responder state machine, for host and Kubernetes actions); the
 * EventBridge rule that ends records of executions of either path that ended without MarkError;
 * and alarms on an encrypted SNS topic. Stateless: everything it keeps lives in the stateful stack.
 *
 * The responder work queues (one per host and per cluster, each with its dead-letter queue) are
 * not CloudFormation resources: the code creates them on demand (`shared/responders/queues.ts`)
 * under `<responderQueuePrefix>-`, which is all the grants name.
 */
export class ServiceStack extends Stack {
  public readonly api: ServiceApi;
  public readonly markStatus: ServiceFunction;
  /** Family name → its deployment (step function and state machine). */
  public readonly families: Readonly<Record<string, CloudActionFamily>>;
  /** The responder path: dispatch-work and the responder state machine. */
  public readonly responder: ResponderDispatch;
  public readonly sweepResponders: ServiceFunction;
  /** Playbook runs: the playbook step function and state machine. */
  public readonly playbooks: PlaybookRunner;
  /** Findings in: the EventBridge rules, the ingest function and its dead-letter queue. */
  public readonly findings: FindingsIngest;
  /** Dead letters of the ended-execution rule and of mark-status's asynchronous invocations. */
  public readonly markStatusDeadLetterQueue: Queue;
  public readonly alarmTopic: Topic;
  /** `PROTECTED_TARGETS` as the family functions receive it. */
  public readonly protectedTargets: string;
  /** The console's site, app client (with the app's user pool) and `console-config.json`. */
  public readonly console: ConsoleParts;
  /** The JWT authorizer's issuer and audiences: the console's user pool and client, or the configured issuer. */
  public readonly apiAuth: { readonly issuer: string; readonly audiences: readonly string[] };

  public constructor(scope: Construct, id: string, props: ServiceStackProps) {
    const {
      config,
      historyTable,
      evidence,
      cursorSecret,
      workSigningKey,
      routes = apiRoutes,
      families = cloudActionFamilyDeployments,
      automationRules,
      playbooks,
      console: consoleProps,
      ownStackNames,
      ...stackProps
    } = props;
    super(scope, id, stackProps);
    assertQueuePrefixApart(config.responderQueuePrefix, this.stackName);

    // The service must never act on itself: its stacks' roles, its buckets (the console's are added
    // once made), and whatever the deployer adds (the member roles, root principals and the
    // allow-list are built into shared/config).
    const ownTargets = new OwnTargets([this.stackName, ...ownStackNames], config.protectedTargets);
    ownTargets.protect(evidence.bucket, evidence.accessLogBucket);
    this.protectedTargets = ownTargets.value;

    // Cloud-action path -------------------------------------------------------------------------
    this.markStatusDeadLetterQueue = new Queue(this, 'MarkStatusDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.markStatus = new ServiceFunction(this, 'MarkStatus', {
      entry: markStatusEntry,
      description: 'response-actions: MarkRunning, MarkCompleted, MarkError, and executions that ended without MarkError',
      // Invoked asynchronously by the ended-execution rule: what still fails after Lambda's two retries lands here.
      deadLetterQueue: this.markStatusDeadLetterQueue,
      // Its ActionOutcome metrics (shared/observability/metrics.ts), written as EMF log lines.
      environment: { POWERTOOLS_SERVICE_NAME: serviceName, POWERTOOLS_METRICS_NAMESPACE: this.stackName },
    });
    grantHistoryTable(this.markStatus, historyTable, 'statusUpdate');

    const executionLogs = new LogGroup(this, 'CloudActionExecutionLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const familyEnvironment = {
      TARGET_ACCOUNTS: targetAccountsVariable(config.targetAccounts),
      MEMBER_ROLE_NAME: config.memberRole.name,
      MEMBER_ROLE_EXTERNAL_ID: config.memberRole.externalId,
      PROTECTED_TARGETS: this.protectedTargets,
    };
    const memberAccounts = config.targetAccounts.all || config.targetAccounts.ids.length === 0 ? '*' : config.targetAccounts.ids;
    const familyDeployments: Record<string, CloudActionFamily> = {};
    for (const family of families) {
      familyDeployments[family.name] = new CloudActionFamily(this, `${familyIdOf(family.name)}Family`, {
        family,
        historyTable,
        evidence,
        markStatus: this.markStatus,
        executionLogs,
        completionDeadlineSeconds: config.deadlines.completionSeconds,
        environment: familyEnvironment,
        memberRoleName: memberRoleNameOf(config.memberRole.name, family.name),
        memberAccounts,
        stepRolePath: cloudActionStepRolePath(this.stackName, family.name),
      });
    }
    this.families = familyDeployments;

    // Responder path ------------------------------------------------------------------------------
    // Host and Kubernetes actions: Dispatch sends signed work to the target's own queue and waits
    // for the responder's reports through the API; responders receive from their queue directly.
    this.responder = new ResponderDispatch(this, 'Responder', {
      historyTable,
      markStatus: this.markStatus,
      executionLogs,
      queuePrefix: config.responderQueuePrefix,
      workSigningKey,
    });

    // Executions that end without reaching MarkError (a deadline, a stop by hand, MarkError itself
    // failing) would leave their record Enqueued or Running: mark-status ends it in Error.
    const stateMachines = [...Object.values(familyDeployments).map((deployment) => deployment.stateMachine), this.responder.stateMachine];
    new Rule(this, 'EndedExecutionRule', {
      description: 'response-actions: ends the record of an action whose execution failed, timed out or was aborted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: stateMachines.map((machine) => machine.stateMachineArn),
        },
      },
      targets: [
        new LambdaFunctionTarget(this.markStatus, {
          deadLetterQueue: this.markStatusDeadLetterQueue,
          maxEventAge: Duration.hours(24),
          retryAttempts: 185,
        }),
      ],
    });

    // Playbook runs: one execution per run; each step's action starts on its own machine above.
    const familyMachines = Object.fromEntries(Object.entries(familyDeployments).map(([name, deployment]) => [name, deployment.stateMachine]));
    this.playbooks = new PlaybookRunner(this, 'Playbooks', {
      historyTable,
      executionLogs,
      actionStateMachines: { families: familyMachines, responder: this.responder.stateMachine, deadlines: config.deadlines },
      runDeadlineSeconds: config.playbooks.runDeadlineSeconds,
    });

    // API ----------------------------------------------------------------------------------------
    // Who signs persons in to the console decides whom the authorizer trusts (console-sign-in.ts).
    const consoleSignIn = new ConsoleSignIn(config.auth, consoleProps);
    this.apiAuth = consoleSignIn.apiAuth;
    this.api = new ServiceApi(this, 'Api', {
      routes,
      auth: this.apiAuth,
      historyTable,
      cursorSecret,
      evidence,
      stateMachines: familyMachines,
      responder: { stateMachine: this.responder.stateMachine, queuePrefix: config.responderQueuePrefix, workSigningKey, deadlines: config.deadlines },
      automation: {
        planFunctions: Object.fromEntries(Object.entries(familyDeployments).map(([name, deployment]) => [name, deployment.stepFunction])),
        memberEnvironment: familyEnvironment,
        exemptionsRoleArns: (memberAccounts === '*' ? ['*'] : memberAccounts).map((account) => `arn:${Aws.PARTITION}:iam::${account}:role/${memberRoleNameOf(config.memberRole.name, exemptionsMemberRole)}`),
        exemptionsRolePath: exemptionsRolePath(this.stackName),
        rules: automationRules,
        approvals: { required: config.automation.approvalRequired, ttlSeconds: config.automation.approvalTtlSeconds },
      },
      playbooks: { stateMachine: this.playbooks.stateMachine, file: playbooks, runDeadlineSeconds: config.playbooks.runDeadlineSeconds },
    });

    // Findings in: EventBridge rules for GuardDuty and Security Hub to the automation -----------
    this.findings = new FindingsIngest(this, 'Findings', {
      functionProps: this.api.functionPropsFor(findingsIngest),
      grant: (fn) => { this.api.grantNeeds(fn, findingsIngest); },
      sourceAccounts: config.automation.findingsSourceAccounts,
    });

    // Responders silent past the retention go with their queues; kept ones' dead letters are logged.
    this.sweepResponders = new ServiceFunction(this, 'SweepResponders', {
      entry: sweepRespondersEntry,
      description: 'response-actions: hourly, removes responders silent past the retention with their queues, and logs dead-lettered work',
      timeout: Duration.minutes(5),
    });
    grantHistoryTable(this.sweepResponders, historyTable, 'registrationSweep');
    grantResponderQueues(this.sweepResponders, config.responderQueuePrefix, 'sweep');
    this.sweepResponders.addEnvironment('RESPONDER_RETENTION_HOURS', String(config.responderRetentionHours));
    const sweepSchedule = new Rule(this, 'SweepRespondersSchedule', {
      description: 'response-actions: the hourly sweep of silent responders',
      schedule: Schedule.rate(Duration.hours(1)),
      // A failed sweep is simply the next hour's to do: nothing is lost by dropping the event.
      targets: [new LambdaFunctionTarget(this.sweepResponders, { retryAttempts: 0 })],
    });
    Validations.of(sweepSchedule).acknowledge({
      id: 'Serverless::Serverless-EventBusDLQ',
      reason: 'The event is a clock tick of an idempotent hourly sweep: a failed delivery is made good by the next hour\'s, and a dead-letter queue would hold nothing worth redriving.',
    });
    Validations.of(this.sweepResponders).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason: 'Invoked hourly by a schedule and idempotent: a failed run is redone by the next one, and its Errors alarm fires; a dead-letter queue would only hold copies of a clock tick.',
    });

    // The tamper-evident trail: every function that writes what it records appends to trail/.
    grantTrailToWriters(evidence, this, routes);

    // Alarms -------------------------------------------------------------------------------------
    const { topic, alarm } = alarmTopic(this);
    this.alarmTopic = topic;
    alarm('Api5xxAlarm', this.api.httpApi.metricServerError({ period: alarmPeriod, statistic: 'Sum' }), 'The API answered 5xx: a 5xx is always a defect (API.md).');
    for (const [name, deployment] of Object.entries(familyDeployments)) {
      alarm(
        `${familyIdOf(name)}FailedExecutionsAlarm`,
        deployment.stateMachine.metricFailed({ period: alarmPeriod, statistic: 'Sum' }),
        `Executions of the ${name} family state machine failed: cloud actions ended in Error.`,
      );
    }
    alarm(
      'ResponderFailedExecutionsAlarm',
      this.responder.stateMachine.metricFailed({ period: alarmPeriod, statistic: 'Sum' }),
      'Executions of the responder state machine failed: host or Kubernetes actions ended in Error (a deadline passed, the work could not be sent, or the responder reported an error).',
    );
    this.playbooks.addAlarms(alarm, alarmPeriod);
    const functions: [string, ServiceFunction][] = [
      ...Object.entries(this.api.functions),
      ['MarkStatus', this.markStatus],
      ['DispatchWork', this.responder.dispatchFunction],
      ['SweepResponders', this.sweepResponders],
      [findingsIngest.id, this.findings.function],
      ['PlaybookStep', this.playbooks.stepFunction],
      ...Object.entries(familyDeployments).map(([name, deployment]): [string, ServiceFunction] => [`${familyIdOf(name)}Steps`, deployment.stepFunction]),
    ];
    for (const [name, fn] of functions) {
      alarm(`${name}ErrorsAlarm`, fn.metricErrors({ period: alarmPeriod, statistic: 'Sum' }), `The ${name} function failed (errors or timeouts).`);
    }
    alarm(
      'MarkStatusDeadLettersAlarm',
      this.markStatusDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: alarmPeriod, statistic: 'Maximum' }),
      'An ended execution could not be recorded: its action may still show Running. Inspect and redrive the dead-letter queue.',
    );
    this.findings.addAlarms(alarm, alarmPeriod);
    // The responder queues are created at run time, so CloudFormation cannot alarm on each
    // dead-letter queue, and an alarm cannot use a SEARCH expression over them (infra/README.md):
    // count the warnings the hourly sweep logs for each dead-letter queue that holds work instead.
    const deadLetterMetric = { metricNamespace: this.stackName, metricName: 'ResponderWorkLeftForDeadLetterQueue' };
    const deadLetterPattern = FilterPattern.any(...deadLetterWarnings.map((message) => FilterPattern.stringValue('$.message', '=', message)));
    const deadLetterFilter = new MetricFilter(this, 'SweepRespondersDeadLetterWarnings', {
      logGroup: this.sweepResponders.logGroup,
      ...deadLetterMetric,
      filterPattern: deadLetterPattern,
      metricValue: '1',
    });
    alarm(
      'ResponderDeadLettersAlarm',
      deadLetterFilter.metric({ period: Duration.hours(1), statistic: 'Sum' }),
      `Responder work is in a dead-letter queue (work a responder refused or could not settle): inspect the ${config.responderQueuePrefix}-*-dlq queues.`,
    );

    // Console ------------------------------------------------------------------------------------
    this.console = consoleSignIn.build(this, { api: this.api.httpApi, logRetentionDays: config.evidence.retentionDays });
    ownTargets.protect(this.console.site.bucket, this.console.site.logBucket);
    new CfnOutput(this, 'ConsoleUrl', { description: 'The console (and the API under /v1/ on the same origin)', value: this.console.site.url });

    new CfnOutput(this, 'ApiEndpoint', { description: 'Base URL of the API (routes under /v1)', value: this.api.httpApi.apiEndpoint });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Subscribe to receive alarms', value: this.alarmTopic.topicArn });

    this.acknowledgeFindings();
  }

  /** The cdk-nag findings this stack accepts, each with its reason (see infra/README.md). */
  private acknowledgeFindings(): void {
    Validations.of(this.markStatusDeadLetterQueue).acknowledge({
      id: 'Serverless::Serverless-SQSRedrivePolicy',
      reason:
        'This queue is itself a dead-letter queue (of the ended-execution rule target and of mark-status); nothing consumes it automatically, an operator inspects and redrives it after its alarm, so a queue behind it would only move the same messages again.',
    });
  }
}
