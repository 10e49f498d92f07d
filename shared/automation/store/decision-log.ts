import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '#shared/clock.ts';
import { InvalidCursorError, InvalidInputError } from '#shared/errors.ts';
import { fingerprint, type CursorCodec } from '#shared/history/cursor.ts';
import { IndexStream, monthsBetween, type IndexKey } from '#shared/history/index-streams.ts';
import { monthOf } from '#shared/history/items.ts';
import { backoff, batchGetByPartition, indexPages } from '#shared/history/record-io.ts';
import type { HistoryIndexName } from '#shared/history/table-design.ts';
import type { DecisionLog, DecisionPage, DecisionQuery, DecisionRecord } from '../types.ts';
import { checkDecisionQuery, decisionMatches, type CheckedDecisionQuery } from './decision-query.ts';
import type { AutomationStoreOptions } from './store-options.ts';
import { MonthFloor } from '#shared/history/month-floor.ts';

const decisionSortKey = 'DECISION';
/** The oldest month any decision was recorded in, so a listing never walks months before it. */
const floorKey = { pk: 'META', sk: 'DECISIONS' };

/** The partition keys decisions take in the history table's shared indexes (see table-design.ts). */
const decisionIndexKeys = {
  byTime: (month: string): string => `DECISION#${month}`,
  byResource: (findingId: string): string => `DECISION#finding#${findingId}`,
  byType: (ruleId: string, month: string): string => `DECISION#rule#${ruleId}#${month}`,
  byStatus: (outcome: string, month: string): string => `DECISION#outcome#${outcome}#${month}`,
};

/**
 * Every decision, as an item of the history table listed through the table's key-only indexes
 * (by finding id, by rule and month, by outcome and month, by month), newest first: a page is a
 * Query per month walked plus a BatchGetItem, whatever the table holds. Cursors are signed and
 * bound to the filters they were issued for.
 */
export class DynamoDecisionLog implements DecisionLog {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;
  readonly #cursors: CursorCodec;
  readonly #maxExamined: number;
  readonly #floor: MonthFloor;

  constructor(options: AutomationStoreOptions & {
      /** Signs and checks listing cursors: only the decision log hands any out. */
      readonly cursors: CursorCodec;
      readonly maxExaminedPerPage?: number;
    }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#floor = new MonthFloor(options.client, options.tableName, floorKey);
    this.#clock = options.clock ?? systemClock;
    this.#cursors = options.cursors;
    this.#maxExamined = options.maxExaminedPerPage ?? 1000;
  }

  async record(decisions: readonly DecisionRecord[]): Promise<void> {
    if (decisions.length === 0) return;
    const oldest = decisions.map((decision) => monthOf(isoOf(decision.receivedAt))).sort()[0];
    if (oldest !== undefined) await this.#floor.extend(oldest);
    for (let start = 0; start < decisions.length; start += 25) {
      let pending = decisions.slice(start, start + 25).map((decision) => ({ PutRequest: { Item: decisionItem(decision) } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0) await backoff(attempt);
        const { UnprocessedItems } = await this.#client.send(new BatchWriteCommand({ RequestItems: { [this.#table]: pending } }));
        pending = (UnprocessedItems?.[this.#table] ?? []) as typeof pending;
        if (attempt > 8 && pending.length > 0) throw new Error('the history store kept refusing a batch of decisions');
      }
    }
  }

  async list(query: DecisionQuery): Promise<DecisionPage> {
    const checked = checkDecisionQuery(query);
    const queryPrint = fingerprint({
      listing: 'decisions',
      findingId: checked.findingId,
      ruleId: checked.ruleId,
      outcome: checked.outcome,
      from: checked.from,
      to: checked.to,
    });
    const after = checked.cursor === undefined ? undefined : this.#decodeCursor(checked.cursor, queryPrint);
    const upperOfWindow = checked.to === undefined ? '\uffff' : `${checked.to}#\uffff`;
    const upper = after !== undefined && after < upperOfWindow ? after : upperOfWindow;
    const lower = checked.from ?? '';
    const plan = planDecisionIndex(checked);
    const partitions = plan.bucketed ? (await this.#months(checked, after)).map(plan.partitionKey) : [plan.partitionKey('')];
    const stream = new IndexStream(indexPages(this.#client, this.#table, plan.index, { lower, upper }, checked.limit + 1), partitions, after);

    const items: Omit<DecisionRecord, 'id'>[] = [];
    let examined = 0;
    let lastExamined: string | undefined;
    while (items.length < checked.limit && examined < this.#maxExamined) {
      const batch: IndexKey[] = [];
      // Never more keys than the page still has room for, so the cursor is exactly the last key examined.
      const room = Math.min(checked.limit - items.length, this.#maxExamined - examined, 100);
      for (let key = await stream.peek(); key !== undefined && batch.length < room; key = await stream.peek()) {
        stream.shift();
        batch.push(key);
      }
      if (batch.length === 0) break;
      const found = await this.#getDecisions(batch.map((key) => key.pk));
      for (const key of batch) {
        examined += 1;
        lastExamined = key.createdSk;
        const decision = found.get(key.pk);
        if (decision !== undefined && decisionMatches(decision, checked)) items.push(withoutId(decision));
      }
    }
    const more = lastExamined !== undefined && (await stream.peek()) !== undefined;
    return { items, nextCursor: more && lastExamined !== undefined ? this.#cursors.encode({ after: lastExamined }, queryPrint) : null };
  }

  #decodeCursor(cursor: string, queryPrint: string): string {
    try {
      return this.#cursors.decode(cursor, queryPrint).after;
    } catch (error) {
      if (!(error instanceof InvalidCursorError)) throw error;
      throw new InvalidInputError([{ path: 'cursor', message: error.message }], { cause: error });
    }
  }

  /** Months from the query's end (or the cursor's, or now) back to its start, never before the floor. */
  async #months(query: CheckedDecisionQuery, after: string | undefined): Promise<string[]> {
    const now = this.#clock.now().toISOString();
    const requestedEnd = query.to === undefined || query.to > now ? now : query.to;
    const newest = monthOf(after !== undefined && after < requestedEnd ? after : requestedEnd);
    const first = await this.#floor.read();
    if (first === undefined) return [];
    const requestedStart = query.from === undefined ? first : monthOf(query.from);
    return monthsBetween(requestedStart > first ? requestedStart : first, newest);
  }

  #getDecisions(partitionKeys: readonly string[]): Promise<Map<string, DecisionRecord>> {
    return batchGetByPartition(this.#client, this.#table, partitionKeys, decisionSortKey, itemToDecision);
  }

}

/** The most selective index for a query (finding id, then rule, then outcome); the rest is filtered on read. */
function planDecisionIndex(query: CheckedDecisionQuery): { index: HistoryIndexName; bucketed: boolean; partitionKey: (month: string) => string } {
  const { findingId, ruleId, outcome } = query;
  if (findingId !== undefined) return { index: 'byResource', bucketed: false, partitionKey: () => decisionIndexKeys.byResource(findingId) };
  if (ruleId !== undefined) return { index: 'byType', bucketed: true, partitionKey: (month) => decisionIndexKeys.byType(ruleId, month) };
  if (outcome !== undefined) return { index: 'byStatus', bucketed: true, partitionKey: (month) => decisionIndexKeys.byStatus(outcome, month) };
  return { index: 'byTime', bucketed: true, partitionKey: decisionIndexKeys.byTime };
}

const isoOf = (time: string): string => new Date(time).toISOString();

function decisionItem(decision: DecisionRecord): Record<string, unknown> {
  const at = isoOf(decision.receivedAt);
  const month = monthOf(at);
  return {
    pk: `DECISION#${decision.id}`,
    sk: decisionSortKey,
    createdSk: `${at}#${decision.id}`,
    gsiTime: decisionIndexKeys.byTime(month),
    gsiResource: decisionIndexKeys.byResource(decision.findingId),
    gsiType: decisionIndexKeys.byType(decision.ruleId, month),
    gsiStatus: decisionIndexKeys.byStatus(decision.outcome, month),
    ...decision,
    actionIds: [...decision.actionIds],
  };
}

function itemToDecision(item: Record<string, unknown>): DecisionRecord {
  return {
    id: String(item['id']),
    eventId: String(item['eventId']),
    receivedAt: String(item['receivedAt']),
    source: item['source'] as DecisionRecord['source'],
    findingId: String(item['findingId']),
    findingType: String(item['findingType']),
    ruleId: String(item['ruleId']),
    outcome: item['outcome'] as DecisionRecord['outcome'],
    reason: String(item['reason']),
    actionIds: Array.isArray(item['actionIds']) ? item['actionIds'].map(String) : [],
    approvalId: typeof item['approvalId'] === 'string' ? item['approvalId'] : null,
    playbookRunId: typeof item['playbookRunId'] === 'string' ? item['playbookRunId'] : null,
  };
}

function withoutId(decision: DecisionRecord): Omit<DecisionRecord, 'id'> {
  const { id: _id, ...rest } = decision;
  return rest;
}
