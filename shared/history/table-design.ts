/**
 * The history table's physical design, as data: the CDK stateful stack and the local
 * runtime both create the table from this, so the two can never drift apart.
 *
 * One table, conditional writes only (dynalite has no transactions):
 * - action record:      pk `A#<id>`, sk `A`
 * - extra resource link: pk `A#<id>`, sk `R#<n>` (an action over several resources is
 *   listed under each; the record itself carries the first)
 * - idempotency item:   pk `I#<sha256 of JSON [caller, key]>`, sk `I`
 * - bucket floor:       pk `META`, sk `BUCKETS`
 * - automation (shared/automation/store/): dedup claim pk `DEDUP#<sha256 of JSON [rule, finding]>`,
 *   sk `DEDUP`; rate counters pk `RATE#rule#<rule>` sk `H#<hour>`, pk `RATE#scope#<[account, region]>`
 *   sk `M#<minute>`; breaker pk `RATE#breaker#<rule>` sk `BREAKER`; decision pk `DECISION#<id>`, sk
 *   `DECISION`, in the indexes below as `DECISION#<yyyy-mm>` (byTime), `DECISION#finding#<id>`
 *   (byResource), `DECISION#rule#<rule>#<yyyy-mm>` (byType), `DECISION#outcome#<o>#<yyyy-mm>`
 *   (byStatus); decision floor pk `META`, sk `DECISIONS`
 *
 * Every global index projects keys only and shares the sort key `createdSk`
 * (`<createdAt>#<id>`): a page is one Query plus one BatchGetItem, whatever the table size,
 * and a record's status lives in one item only.
 */
export const historyTableDesign = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL removes expired idempotency items in AWS. */
  timeToLiveAttribute: 'ttl',
  indexes: {
    /** `<category>#<resourceKey>`: one resource's history, newest first. */
    byResource: { partitionKey: 'gsiResource', sortKey: 'createdSk' },
    /** `<category>#<yyyy-mm>`: fleet-wide history, bucketed by month so no key runs hot. */
    byTime: { partitionKey: 'gsiTime', sortKey: 'createdSk' },
    /** `<category>#<type>#<yyyy-mm>` */
    byType: { partitionKey: 'gsiType', sortKey: 'createdSk' },
    /** `<category>#<status>#<yyyy-mm>`: moves with the record's status. */
    byStatus: { partitionKey: 'gsiStatus', sortKey: 'createdSk' },
    /** `<category>#<createdBy>#<yyyy-mm>` */
    byCreator: { partitionKey: 'gsiCreator', sortKey: 'createdSk' },
  },
} as const;

export type HistoryIndexName = keyof typeof historyTableDesign.indexes;
