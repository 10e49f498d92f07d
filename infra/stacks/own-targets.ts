import { Aws, Lazy } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';

/**
 * The protected-target pattern matching every IAM role of one of the app's stacks: CloudFormation
 * names a role without a physical name `<stack name>-<logical id>-<suffix>`, and `*` spans the
 * path. Built from the stack name, not from the roles, so the functions' environment has no
 * dependency on the roles that carry it (nor on a stack deployed after it, as the console's is).
 */
export function serviceRolePattern(stackName: string, partition: string = Aws.PARTITION, account: string = Aws.ACCOUNT_ID): string {
  return `arn:${partition}:iam::${account}:role/${stackName}-*`;
}

/**
 * `PROTECTED_TARGETS` as the family functions receive it: the service never acts on itself. Every
 * role of the app's own stacks (the service's, the stateful one's such as the console sign-in
 * trigger's, the console's file deployment's), each bucket of its own given with
 * {@link OwnTargets.protect}, even one made after the functions that read the value (it is
 * resolved at synthesis), then the deployer's patterns.
 */
export class OwnTargets {
  readonly #buckets: IBucket[] = [];
  /** The comma-separated value, a token resolved at synthesis. */
  public readonly value: string;

  public constructor(ownStackNames: readonly string[], deployerPatterns: readonly string[]) {
    this.value = Lazy.string({
      produce: () =>
        [
          ...ownStackNames.map((name) => serviceRolePattern(name)),
          ...this.#buckets.map((bucket) => `arn:${Aws.PARTITION}:s3:::${bucket.bucketName}`),
          ...deployerPatterns,
        ].join(','),
    });
  }

  /** Adds buckets of the service's own (evidence, logs, the console's files). */
  public protect(...buckets: IBucket[]): void {
    this.#buckets.push(...buckets);
  }
}
