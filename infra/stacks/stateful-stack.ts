import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { historyTableDesign } from '#shared/history/table-design.ts';

/** Props of {@link StatefulStack}: a plain `StackProps`, kept environment-agnostic by default. */
export type StatefulStackProps = StackProps;

/**
 * Everything that holds data and must outlive a redeploy: for now the action history table.
 *
 * Kept apart from the service stack so that replacing or destroying the service never
 * touches the records, and so the stack can carry termination protection on its own.
 */
export class StatefulStack extends Stack {
  /** The history table (records, resource links, idempotency items); see `historyTableDesign`. */
  public readonly historyTable: ITable;

  public constructor(scope: Construct, id: string, props: StatefulStackProps = {}) {
    super(scope, id, { terminationProtection: true, ...props });

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
  }
}
