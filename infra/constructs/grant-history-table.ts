import { Grant } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { historyTableDesign } from '#shared/history/table-design.ts';

/** Environment variable through which a function learns the history table's name. */
export const HISTORY_TABLE_NAME_ENV = 'HISTORY_TABLE_NAME';

/**
 * What a function may do with the history table: `read` (queries), `readWrite` (the use cases
 * that record actions), or `statusUpdate` (the step functions: read one record by its key and
 * update it in place, conditionally; they never query an index, create or delete).
 */
export type HistoryTableAccess = 'read' | 'readWrite' | 'statusUpdate';

/**
 * Item-level DynamoDB actions per access level. No `Scan`: every listing is a Query on one of
 * the indexes (see `historyTableDesign`); no stream actions, the table has no stream.
 */
export const historyTableActions: Readonly<Record<HistoryTableAccess, readonly string[]>> = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  readWrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
  statusUpdate: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
};

/**
 * Gives a function the history table: sets `HISTORY_TABLE_NAME` and grants the matching
 * actions, in one call so the two can never disagree.
 *
 * The grant names the table and each of its indexes from `historyTableDesign` instead of
 * `index/*`, so it is least-privilege and leaves no wildcard for cdk-nag to report. A table
 * encrypted with a customer key also gets the key grant CDK's `grant*Data` would give.
 *
 * @param fn the function that reads or writes records
 * @param table the history table (`StatefulStack.historyTable`)
 * @param access `'read'` for queries only, `'readWrite'` for the use cases that record actions,
 *   `'statusUpdate'` for the state machine's steps
 * @returns the grant on the function's role
 */
export function grantHistoryTable(fn: LambdaFunction, table: ITable, access: HistoryTableAccess): Grant {
  fn.addEnvironment(HISTORY_TABLE_NAME_ENV, table.tableName);
  // Record-by-key access touches no index, so `statusUpdate` is granted on the table alone.
  const indexArns =
    access === 'statusUpdate' ? [] : Object.keys(historyTableDesign.indexes).map((indexName) => `${table.tableArn}/index/${indexName}`);
  const grant = Grant.addToPrincipal({
    grantee: fn,
    actions: [...historyTableActions[access]],
    resourceArns: [table.tableArn, ...indexArns],
  });
  if (table.encryptionKey) {
    if (access === 'read') table.encryptionKey.grantDecrypt(fn);
    else table.encryptionKey.grantEncryptDecrypt(fn);
  }
  return grant;
}
