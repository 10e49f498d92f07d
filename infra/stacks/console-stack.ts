import { Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ConsoleContent } from '#infra/constructs/console-site.ts';
import type { ConsoleContentProps } from '#infra/constructs/console-site.ts';

/** Props of {@link ConsoleStack}. */
export interface ConsoleStackProps extends StackProps, ConsoleContentProps {}

/**
 * The console's files: the build and its `console-config.json`, copied into the site's bucket
 * (made by the service stack with its distribution) by a CDK bucket deployment. A stack of its
 * own because the configuration names the app client and the distribution the service stack
 * makes, and so that the service stack holds only the service's functions.
 */
export class ConsoleStack extends Stack {
  public readonly content: ConsoleContent;

  public constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    const { consoleDir, site, consoleConfig, ...stackProps } = props;
    super(scope, id, stackProps);
    this.content = new ConsoleContent(this, 'Console', { consoleDir, site, consoleConfig });
  }
}
