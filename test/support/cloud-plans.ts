/**
 * What the cloud plan tests share: the in-process planner on a harness's history and member
 * sessions, the history table's item count (a plan must leave it as it was), and the requests
 * a plan made that were not reads (it must make none).
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { createInProcessCloudPlanner, type InProcessCloudPlanner } from '#local/runners/cloud-planner.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { systemClock, type Clock } from '#shared/clock.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import type { CloudPlanner, CloudPlanRequest, CloudPlanResult } from '#shared/plans/types.ts';
import { startCloudActionHarness, type CloudActionHarness } from './cloud-action-harness.ts';
import { emulatorCredentials } from './history-store.ts';
import { motoIamClient, type MotoRequest } from './moto-iam.ts';

export interface HistoryTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Every item in the history table (records, idempotency claims, links, ...), counted. */
export async function historyItemCount(table: HistoryTable): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(new ScanCommand({ TableName: table.tableName, Select: 'COUNT', ...(ExclusiveStartKey === undefined ? {} : { ExclusiveStartKey }) }));
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return count;
}

/**
 * The operations among `operations` that are not reads: anything but AssumeRole, Get*, List*,
 * Describe*, LookupEvents, and S3's GET and HEAD (JSON-protocol targets are read after their last dot).
 */
export function writesAmong(operations: readonly string[]): string[] {
  return operations.filter((operation) => {
    const name = operation.includes(' ') ? operation : (operation.split('.').at(-1) ?? operation);
    return !/^(AssumeRole$|Get|List|Describe|LookupEvents$|GET |HEAD )/.test(name);
  });
}

export interface PlannerSetup {
  readonly planner: InProcessCloudPlanner;
  close(): Promise<void>;
}

/** The local planner with these families, STS sessions as the harness's runtime has them, and the harness's history. */
export function plannerFor(
  families: readonly CloudActionFamily[],
  on: { readonly config: ServiceConfig; readonly repository: HistoryRepository },
  clock: Clock = systemClock,
): PlannerSetup {
  const sts = new STSClient({ region: 'us-east-1', credentials: emulatorCredentials });
  const sessions = new StsMemberSessions({ sts, roleName: on.config.memberRole.name, externalId: on.config.memberRole.externalId });
  const planner = createInProcessCloudPlanner({ families, config: on.config, sessions, repository: on.repository, clock });
  return {
    planner,
    close: async () => {
      await planner.close();
      await sessions.close();
      sts.destroy();
    },
  };
}

/** A plan's outcome with what surrounded it: the requests the front saw and the history's item count before and after. */
export interface WatchedPlan<Request> {
  readonly result: CloudPlanResult | null;
  readonly error: unknown;
  readonly calls: readonly Request[];
  readonly operations: string[];
  readonly itemsBefore: number;
  readonly itemsAfter: number;
}

/** Plans `request` with `planner`, watching the front's request log (`operationOf` names each) and the history table. */
export async function watchPlan<Request>(
  planner: CloudPlanner,
  table: HistoryTable,
  log: { readonly requests: readonly Request[] },
  operationOf: (request: Request) => string,
  request: CloudPlanRequest,
): Promise<WatchedPlan<Request>> {
  const itemsBefore = await historyItemCount(table);
  const from = log.requests.length;
  const outcome = await planner.plan(request).then(
    (result) => ({ result, error: null }),
    (error: unknown) => ({ result: null, error }),
  );
  const calls = log.requests.slice(from);
  return { ...outcome, calls, operations: calls.map(operationOf), itemsBefore, itemsAfter: await historyItemCount(table) };
}

/** A cloud action harness on moto with the local planner of its families and an IAM client on moto; close() releases all three. */
export interface IamPlanFixture {
  readonly harness: CloudActionHarness;
  readonly setup: PlannerSetup;
  readonly iam: IAMClient;
  /** watchPlan with the fixture's planner, history table and moto front. */
  planWatched(request: CloudPlanRequest): Promise<WatchedPlan<MotoRequest>>;
  close(): Promise<void>;
}

export async function startIamPlanFixture(
  moto: string,
  options: { readonly families: readonly CloudActionFamily[]; readonly protectedTargets: string },
  clock: Clock = systemClock,
): Promise<IamPlanFixture> {
  const harness = await startCloudActionHarness(moto, options);
  const setup = plannerFor(options.families, harness, clock);
  const iam = motoIamClient(moto);
  return {
    harness,
    setup,
    iam,
    planWatched: (request) => watchPlan(setup.planner, harness.historyTable, harness.front, (call) => call.action, request),
    close: async () => {
      iam.destroy();
      await setup.close();
      await harness.close();
    },
  };
}
