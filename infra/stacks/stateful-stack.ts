import { CfnOutput, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { EvidenceBucket } from '#infra/constructs/evidence-bucket.ts';
import type { EvidenceBucketProps } from '#infra/constructs/evidence-bucket.ts';
import { workSigningKeyPlaceholder } from '#infra/constructs/work-signing-key.ts';
import { ConsoleUserPool } from '#infra/constructs/console-user-pool.ts';
import type { ConsoleUserPoolProps } from '#infra/constructs/console-user-pool.ts';
import { historyTableDesign } from '#shared/history/table-design.ts';

/** Props of {@link StatefulStack}: environment-agnostic by default. */
export interface StatefulStackProps extends StackProps {
  /**
   * Evidence retention and Object Lock (`evidenceRetentionDays`, `evidenceObjectLock*` context).
   * @default 365 days, no default Object Lock retention
   */
  readonly evidence?: EvidenceBucketProps;
  /**
   * The console's user pool, when persons sign in with the pool the CDK app makes (`authIssuer`
   * unset); undefined: a configured issuer, no pool.
   */
  readonly consoleUserPool?: ConsoleUserPoolProps;
}

/** Characters of the generated cursor-signing secret (the API requires at least 32). */
export const cursorSecretLength = 64;

/**
 * Everything that holds data and must outlive a redeploy: the action history table, the
 * evidence bucket (with its access log bucket and key), the secret that signs history cursors
 * and the secret that holds the key signing responder work.
 *
 * Kept apart from the service stack so that replacing or destroying the service never
 * touches the records or the evidence, and so the stack can carry termination protection on its own.
 * Everything here is retained when the stack is deleted.
 */
export class StatefulStack extends Stack {
  /** The history table (records, resource links, idempotency items); see `historyTableDesign`. */
  public readonly historyTable: ITable;
  /** The evidence bucket, its KMS key and its access log bucket. */
  public readonly evidence: EvidenceBucket;
  /** Secret whose value signs history cursors (`CURSOR_SECRET_ARN`); see `functions/api/aws/cursor-secret.ts`. */
  public readonly cursorSecret: ISecret;
  /**
   * Secret whose value is the private Ed25519 JWK that signs responder work
   * (`WORK_SIGNING_KEY_SECRET_ARN`); created holding {@link workSigningKeyPlaceholder}, the key is
   * an operator's step (`infra/scripts/work-signing-key.ts`): CloudFormation cannot make one.
   */
  public readonly workSigningKey: ISecret;
  /** The console's persons (pool, hosted domain, groups); undefined when a configured issuer signs them in. */
  public readonly consoleUserPool: ConsoleUserPool | undefined;

  public constructor(scope: Construct, id: string, props: StatefulStackProps = {}) {
    const { evidence, consoleUserPool, ...stackProps } = props;
    super(scope, id, { terminationProtection: true, ...stackProps });

    const { partitionKey, sortKey, timeToLiveAttribute, indexes } = historyTableDesign;
    // `Table` (AWS::DynamoDB::Table) rather than `TableV2` (a global table): the service runs in
    // one region, and cdk-nag's point-in-time-recovery rule (AwsSolutions-DDB3) checks this type.
    const table = new Table(this, 'HistoryTable', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // AWS-managed key (aws/dynamodb) rather than a customer key: with CDK's default key
      // policy a customer key delegates to IAM anyway, so it adds no independent control
      // here, while every reader and writer in other stacks would need KMS grants (whose
      // CDK form carries `kms:ReEncrypt*` / `kms:GenerateDataKey*` wildcards). Use of the
      // key is still in CloudTrail, and DynamoDB switches a table to a customer key in
      // place, without replacement, should a bespoke key policy ever be wanted.
      encryption: TableEncryption.AWS_MANAGED,
    });

    for (const [indexName, index] of Object.entries(indexes)) {
      table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        // A page is one Query for keys plus one BatchGetItem: the record lives in one item only.
        projectionType: ProjectionType.KEYS_ONLY,
      });
    }

    this.historyTable = table;

    this.evidence = new EvidenceBucket(this, 'Evidence', evidence ?? { retentionDays: 365 });

    // Alphanumeric only, so the value is the same bytes however a client handles it.
    const cursorSecret = new Secret(this, 'CursorSigningSecret', {
      description: 'Signs response-actions history cursors (HMAC key material); any value of 32+ characters works',
      generateSecretString: { passwordLength: cursorSecretLength, excludePunctuation: true, includeSpace: false },
      // Retained like everything in this stack: a redeploy over the same table keeps outstanding cursors valid.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(cursorSecret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'The cursor-signing key only makes pagination cursors tamper-evident; rotating it would just invalidate the cursors clients hold, and no rotation Lambda is needed to replace it by hand (put a new random value; readers pick it up on their next cold start).',
    });
    this.cursorSecret = cursorSecret;

    // Not generated here: CloudFormation and CDK cannot make an Ed25519 key. The placeholder is
    // refused by name until an operator puts a key; it must never change (see workSigningKeyPlaceholder).
    const workSigningKey = new Secret(this, 'WorkSigningKey', {
      description:
        'Private Ed25519 JWK that signs response-actions work orders for responders; put by an operator (infra/scripts/work-signing-key.ts), never generated by CloudFormation',
      secretStringValue: SecretValue.unsafePlainText(workSigningKeyPlaceholder),
      // Responders pin its public half: replacing it by accident would make them refuse all work.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(workSigningKey).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'The work-signing key is rotated by an operator in two steps (stage a new key as AWSPENDING, let responders trust its public half, then promote it: infra/scripts/work-signing-key.ts), because responders must trust the new key before it signs anything; an automatic rotation Lambda would switch keys under them and every responder would refuse the work.',
    });
    new CfnOutput(this, 'WorkSigningKeySecretArn', {
      description: 'Put the work-signing key here once after the first deploy: npx node infra/scripts/work-signing-key.ts ensure --secret-id <this ARN>',
      value: workSigningKey.secretArn,
    });
    this.workSigningKey = workSigningKey;

    // The people and their MFA devices are state: the pool lives here, retained, deletion-protected.
    this.consoleUserPool = consoleUserPool === undefined ? undefined : new ConsoleUserPool(this, 'ConsoleUsers', consoleUserPool);
    if (this.consoleUserPool !== undefined) {
      new CfnOutput(this, 'ConsoleUserPoolId', { description: 'Create the console\'s users here and put them in groups (infra/README.md, Console)', value: this.consoleUserPool.userPool.userPoolId });
    }
  }
}
