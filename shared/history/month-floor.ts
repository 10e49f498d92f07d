import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The oldest month a month-bucketed listing must look back to (actions, approvals, decisions
 * each keep one item): moved earlier only, with a conditional write, and written at most once
 * per process per older month.
 */
export class MonthFloor {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #key: Readonly<Record<string, string>>;
  #knownFor: string | undefined;

  constructor(client: DynamoDBDocumentClient, table: string, key: Readonly<Record<string, string>>) {
    this.#client = client;
    this.#table = table;
    this.#key = key;
  }

  /** The floor (`yyyy-mm`), or undefined while nothing was ever written: the listing has no month to read. */
  async read(): Promise<string | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: this.#key }));
    const first: unknown = Item?.['firstMonth'];
    return typeof first === 'string' ? first : undefined;
  }

  /** Makes sure the floor covers `month` (`yyyy-mm`). */
  async extend(month: string): Promise<void> {
    if (this.#knownFor !== undefined && this.#knownFor <= month) return;
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key,
          UpdateExpression: 'SET firstMonth = :month',
          ConditionExpression: 'attribute_not_exists(firstMonth) OR firstMonth > :month',
          ExpressionAttributeValues: { ':month': month },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    this.#knownFor = month;
  }
}
