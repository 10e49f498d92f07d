import { Grant } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { historyTableDesign } from '#shared/history/table-design.ts';

/** Environment variable through which a function learns the history table's name. */
export const HISTORY_TABLE_NAME_ENV = 'HISTORY_TABLE_NAME';

/**
 * The partition key of responder registrations (`shared/responders/store.ts`: pk `RESPONDER`,
 * sk `<kind>#<name>`). The registration grants hold only for it (`dynamodb:LeadingKeys`).
 */
export const responderRegistrationPartition = 'RESPONDER';

/**
 * What a function may do with the history table:
 * - `read`: queries (GetItem, BatchGetItem, Query on the table and its indexes);
 * - `readWrite`: the use cases that record actions (plus Put, Update, Delete, BatchWriteItem);
 * - `statusUpdate`: read one record by its key and update it in place, conditionally (the step
 *   functions, and the report route); never an index, never a create or delete;
 * - `dispatch`: `statusUpdate` plus PutItem, for the responder dispatch item beside the record;
 * - `recordGet`: read one record by its key (the responder routes that only check an action);
 * - `registrationUpdate`: UpdateItem on responder registrations only (register, heartbeat);
 * - `registrationQuery`: Query on responder registrations only (the list route);
 * - `registrationDelete`: DeleteItem on responder registrations only (deregister);
 * - `registrationSweep`: Query and DeleteItem on responder registrations only (the sweep).
 */
export type HistoryTableAccess =
  | 'read'
  | 'readWrite'
  | 'statusUpdate'
  | 'dispatch'
  | 'recordGet'
  | 'registrationUpdate'
  | 'registrationQuery'
  | 'registrationDelete'
  | 'registrationSweep';

/**
 * Item-level DynamoDB actions per access level. No `Scan`: every listing is a Query on one of
 * the indexes (see `historyTableDesign`) or on the registrations' partition; no stream actions,
 * the table has no stream.
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
  dispatch: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  recordGet: ['dynamodb:GetItem'],
  registrationUpdate: ['dynamodb:UpdateItem'],
  registrationQuery: ['dynamodb:Query'],
  registrationDelete: ['dynamodb:DeleteItem'],
  registrationSweep: ['dynamodb:Query', 'dynamodb:DeleteItem'],
};

/** The levels that list history through the indexes; every other level touches the table alone. */
export const historyIndexAccess: ReadonlySet<HistoryTableAccess> = new Set(['read', 'readWrite']);

/** The levels that write nothing (a table key, if any, is only granted Decrypt for them). */
export const historyReadOnlyAccess: ReadonlySet<HistoryTableAccess> = new Set(['read', 'recordGet', 'registrationQuery']);

/** The levels held to one partition key (`dynamodb:LeadingKeys`), and which. */
export const historyLeadingKeys: Readonly<Partial<Record<HistoryTableAccess, readonly string[]>>> = {
  registrationUpdate: [responderRegistrationPartition],
  registrationQuery: [responderRegistrationPartition],
  registrationDelete: [responderRegistrationPartition],
  registrationSweep: [responderRegistrationPartition],
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
 * @param access see {@link HistoryTableAccess}
 * @returns the grant on the function's role
 */
export function grantHistoryTable(fn: LambdaFunction, table: ITable, access: HistoryTableAccess): Grant {
  fn.addEnvironment(HISTORY_TABLE_NAME_ENV, table.tableName);
  // Record-by-key and registration access touch no index: granted on the table alone.
  const indexArns = historyIndexAccess.has(access)
    ? Object.keys(historyTableDesign.indexes).map((indexName) => `${table.tableArn}/index/${indexName}`)
    : [];
  const leadingKeys = historyLeadingKeys[access];
  const grant = Grant.addToPrincipal({
    grantee: fn,
    actions: [...historyTableActions[access]],
    resourceArns: [table.tableArn, ...indexArns],
    ...(leadingKeys === undefined ? {} : { conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...leadingKeys] } } }),
  });
  if (table.encryptionKey) {
    if (historyReadOnlyAccess.has(access)) table.encryptionKey.grantDecrypt(fn);
    else table.encryptionKey.grantEncryptDecrypt(fn);
  }
  return grant;
}
