import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { StatefulStack } from './stacks/stateful-stack.ts';

/** Options for {@link buildApp}; the CLI passes none, tests pass an outdir and cdk.json's context. */
export interface BuildAppProps {
  /** Where the cloud assembly is written. @default the CLI's `--output`, else a temp dir */
  readonly outdir?: string;
  /** Context values (feature flags) as `cdk.json` would supply them through the CLI. */
  readonly context?: Record<string, unknown>;
}

/** The app and its stacks, so tests can reach every stack without looking them up by id. */
export interface ResponseActionsApp {
  readonly app: App;
  readonly statefulStack: StatefulStack;
}

/**
 * Builds the response-actions CDK app: every stack, environment-agnostic (no account or
 * region, so synthesis needs no credentials), with the cdk-nag AwsSolutions and Serverless
 * packs registered as validation plugins. Their findings land in the cloud assembly's
 * validation report; an error-level finding fails synthesis.
 */
export function buildApp(props: BuildAppProps = {}): ResponseActionsApp {
  const app = new App({
    ...(props.outdir === undefined ? {} : { outdir: props.outdir }),
    ...(props.context === undefined ? {} : { context: props.context }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
  Tags.of(app).add('project', 'response-actions');

  const statefulStack = new StatefulStack(app, 'ResponseActionsStateful', {
    description: 'response-actions: stateful resources (action history table)',
  });

  return { app, statefulStack };
}
