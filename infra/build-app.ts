import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { readAutomationRules } from './automation-rules.ts';
import { readDeploymentSettings } from './config.ts';
import type { ConsoleSettings } from './console-settings.ts';
import { readPlaybooks } from './playbooks.ts';
import { loadPlaybookCatalogue } from '#shared/playbooks/definitions/load.ts';
import type { DeploymentConfig } from './config.ts';
import { ConsoleStack } from './stacks/console-stack.ts';
import { MemberAccountStack } from './stacks/member-account-stack.ts';
import { ServiceStack } from './stacks/service-stack.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';

/** Options for {@link buildApp}; the CLI passes none, tests pass an outdir and cdk.json's context. */
export interface BuildAppProps {
  /** Where the cloud assembly is written. @default the CLI's `--output`, else a temp dir */
  readonly outdir?: string;
  /** Context values (feature flags, deployment settings) as `cdk.json` or `-c` would supply them. */
  readonly context?: Record<string, unknown>;
  /**
   * Where environment fallbacks of the settings are read (`RESPONSE_ACTIONS_*`).
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The app and its stacks, so tests can reach every stack without looking them up by id. */
export interface ResponseActionsApp {
  readonly app: App;
  readonly config: DeploymentConfig;
  readonly consoleSettings: ConsoleSettings;
  readonly statefulStack: StatefulStack;
  readonly serviceStack: ServiceStack;
  readonly memberAccountStack: MemberAccountStack;
  readonly consoleStack: ConsoleStack;
}

/** Stack names: the service's is also part of its roles' names and of the member roles' trust. */
export const stackNames = {
  stateful: 'ResponseActionsStateful',
  service: 'ResponseActionsService',
  member: 'ResponseActionsMember',
  console: 'ResponseActionsConsole',
} as const;

/**
 * Builds the response-actions CDK app: every stack, environment-agnostic (no account or
 * region, so synthesis needs no credentials), configured from context (see `config.ts`), with
 * the cdk-nag AwsSolutions and Serverless packs registered as validation plugins. Their findings
 * land in the cloud assembly's validation report; any finding fails synthesis.
 *
 * - `ResponseActionsStateful`: history table, evidence bucket, cursor and work-signing secrets (service account).
 * - `ResponseActionsService`: API, functions, cloud action and responder state machines, alarms (service account).
 * - `ResponseActionsMember`: the member roles, one per family (every target account, the service's own included
 *   when it is a target).
 * - `ResponseActionsConsole`: the console's files in the bucket the service stack serves (service account).
 */
export function buildApp(props: BuildAppProps = {}): ResponseActionsApp {
  const app = new App({
    ...(props.outdir === undefined ? {} : { outdir: props.outdir }),
    ...(props.context === undefined ? {} : { context: props.context }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
  Tags.of(app).add('project', 'response-actions');
  const { config, console: consoleSettings } = readDeploymentSettings(app.node, props.env);

  const statefulStack = new StatefulStack(app, stackNames.stateful, {
    description: 'response-actions: stateful resources (action history table, evidence bucket, cursor-signing and work-signing secrets)',
    evidence: config.evidence,
    ...(consoleSettings.signIn.kind === 'cognito'
      ? { consoleUserPool: consoleSettings.signIn.domainPrefix === undefined ? {} : { domainPrefix: consoleSettings.signIn.domainPrefix } }
      : {}),
  });

  // Rules may name playbooks: they are checked against the playbooks this deployment ships.
  const playbooks = config.playbooks.file === undefined ? undefined : readPlaybooks(config.playbooks.file);
  const knownPlaybooks = (playbooks?.catalogue ?? loadPlaybookCatalogue()).list();
  const serviceStack = new ServiceStack(app, stackNames.service, {
    description: 'response-actions: HTTP API, functions, cloud action and responder state machines, and alarms',
    config,
    historyTable: statefulStack.historyTable,
    evidence: statefulStack.evidence,
    cursorSecret: statefulStack.cursorSecret,
    workSigningKey: statefulStack.workSigningKey,
    ...(config.automation.rulesFile === undefined ? {} : { automationRules: readAutomationRules(config.automation.rulesFile, { knownPlaybooks }).shipped }),
    ...(playbooks === undefined ? {} : { playbooks: playbooks.shipped }),
    console: { settings: consoleSettings, userPool: statefulStack.consoleUserPool },
    ownStackNames: [stackNames.stateful, stackNames.console],
  });

  const memberAccountStack = new MemberAccountStack(app, stackNames.member, {
    description: 'response-actions: the member roles (one per cloud action family) the service assumes in this account',
    memberRoleName: config.memberRole.name,
    externalId: config.memberRole.externalId,
    ...(config.serviceAccountId === undefined ? {} : { serviceAccountId: config.serviceAccountId }),
    serviceStackName: serviceStack.stackName,
  });

  const consoleStack = new ConsoleStack(app, stackNames.console, {
    description: 'response-actions: the console\'s files and configuration, in the bucket the service stack serves',
    consoleDir: consoleSettings.dir,
    site: serviceStack.console.site,
    consoleConfig: serviceStack.console.consoleConfig,
  });

  return { app, config, consoleSettings, statefulStack, serviceStack, memberAccountStack, consoleStack };
}
