import { quotas as publishedQuotas, prices as listPrices, type Prices, type Quota, type QuotaName } from './quotas.ts';

/**
 * The capacity model: what one action of each type costs in calls (measured by
 * bench/capacity/measure.ts), what an idle host costs a day, and, for a fleet and a burst, how
 * much of each AWS quota that uses, which quota runs out first and at what burst. Pure
 * arithmetic: test/unit/capacity/model.test.ts holds it to known inputs.
 */
export interface ActionCost {
  readonly type: string;
  readonly executor: 'cloud' | 'host';
  /** Requests through API Gateway, each one invocation of the API function. */
  readonly apiRequests: number;
  /** Evidence objects uploaded (S3 PUTs through presigned URLs; no API request). */
  readonly s3Puts: number;
  /** Lambda invocations by the state machine's Task states. */
  readonly taskInvocations: number;
  /** Standard-workflow state transitions (states entered, retries included). */
  readonly transitions: number;
  /** SendTaskHeartbeat/Success/Failure calls (host actions' reports). */
  readonly taskCallbacks: number;
  readonly readUnits: number;
  /** Table write units; the global indexes' are in `indexWriteUnits`. */
  readonly writeUnits: number;
  readonly indexWriteUnits: number;
  /** Writes to the hottest index partition (`<category>#<status>#<yyyy-mm>` of byStatus). */
  readonly hotIndexWriteUnits: number;
  readonly sqsRequests: number;
  /** In the target account. */
  readonly iamWrites: number;
  readonly iamReads: number;
  readonly lookupEvents: number;
  /** By the service's account, for member-account sessions. */
  readonly assumeRoles: number;
  /** Created → ended. */
  readonly seconds: number;
}

/** What one idle host (or cluster) responder costs per second: heartbeats, long polls, credential refreshes. */
export interface IdleCost {
  readonly apiRequests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Writes to the one `RESPONDER` registration partition. */
  readonly registrationWriteUnits: number;
  readonly sqsRequests: number;
  readonly assumeRoles: number;
}

export interface Fleet {
  readonly hosts: number;
  readonly clusters: number;
  readonly accounts: number;
  readonly burstPerMinute: number;
  /** Share of the burst per action type (sums to 1). */
  readonly mix: Readonly<Record<string, number>>;
  /** True: every cloud action of the burst targets one account (one incident); false: spread over `accounts`. */
  readonly oneAccount: boolean;
  /** Each client polls its action this often while it runs (SOC tools do; 0: no polling). */
  readonly pollEverySeconds: number;
  /** Billed seconds per Lambda invocation (API requests and Task states alike). */
  readonly lambdaSecondsPerInvocation: number;
}

/** Where one quota is spent: a quota can be spent in two places (two hot partitions). */
export type UseName =
  | Exclude<QuotaName, 'dynamoPartitionWrite'>
  | 'dynamoRegistrationPartition'
  | 'dynamoStatusIndexPartition';

export interface QuotaUse {
  readonly name: UseName;
  readonly quotaName: QuotaName;
  readonly quota: Quota;
  /** Load with no action running (idle fleet). */
  readonly base: number;
  /** Added load per action per second of burst. */
  readonly perActionPerSecond: number;
  readonly load: number;
  readonly utilisation: number;
  /** Actions per minute at which `load` reaches the limit (Infinity: never by actions; 0: the idle fleet alone exceeds it). */
  readonly maxBurstPerMinute: number;
  /** Hosts and clusters at which the idle fleet alone reaches the limit (Infinity when idle costs it nothing). */
  readonly maxResponders: number;
}

export interface CapacityReport {
  readonly uses: QuotaUse[];
  /** The first limit a growing burst reaches among published quotas ... */
  readonly first: QuotaUse;
  /** ... and among all, the assumed IAM and STS rates included. */
  readonly firstWithAssumed: QuotaUse;
  readonly costPerAction: Readonly<Record<string, number>>;
  readonly costPerActionOfMix: number;
  readonly costPerIdleHostPerDay: number;
}

type Weighted = (field: (cost: ActionCost) => number) => number;

/** The mix-weighted mean of a per-action field; a type in the mix without a cost is refused. */
export function weightedBy(costs: readonly ActionCost[], mix: Readonly<Record<string, number>>): Weighted {
  const total = Object.values(mix).reduce((sum, share) => sum + share, 0);
  if (Math.abs(total - 1) > 1e-9) throw new Error(`the action mix sums to ${total}, not 1`);
  const entries = Object.entries(mix).map(([type, share]) => {
    const cost = costs.find((candidate) => candidate.type === type);
    if (cost === undefined) throw new Error(`no measured cost for ${type} in the mix`);
    return { cost, share };
  });
  return (field) => entries.reduce((sum, { cost, share }) => sum + share * field(cost), 0);
}

/** Dollars for one action of this cost (client polling not included). */
export function actionDollars(cost: ActionCost, fleet: Pick<Fleet, 'lambdaSecondsPerInvocation'>, price: Prices = listPrices): number {
  const invocations = cost.apiRequests + cost.taskInvocations;
  return (
    (invocations * price.lambdaPerMillionRequests) / 1e6 +
    invocations * fleet.lambdaSecondsPerInvocation * price.lambdaMemoryGb * price.lambdaPerGbSecond +
    (cost.transitions * price.sfnPerThousandTransitions) / 1000 +
    (cost.apiRequests * price.apiGatewayHttpPerMillion) / 1e6 +
    ((cost.writeUnits + cost.indexWriteUnits) * price.dynamoPerMillionWriteUnits) / 1e6 +
    (cost.readUnits * price.dynamoPerMillionReadUnits) / 1e6 +
    (cost.sqsRequests * price.sqsPerMillionRequests) / 1e6 +
    (cost.s3Puts * price.s3PerThousandPuts) / 1000
  );
}

/** Dollars per idle host per day. */
export function idleDollarsPerDay(idle: IdleCost, fleet: Pick<Fleet, 'lambdaSecondsPerInvocation'>, price: Prices = listPrices): number {
  const day = 86_400;
  return (
    day *
    ((idle.apiRequests * (price.lambdaPerMillionRequests + price.apiGatewayHttpPerMillion)) / 1e6 +
      idle.apiRequests * fleet.lambdaSecondsPerInvocation * price.lambdaMemoryGb * price.lambdaPerGbSecond +
      (idle.writeUnits * price.dynamoPerMillionWriteUnits) / 1e6 +
      (idle.readUnits * price.dynamoPerMillionReadUnits) / 1e6 +
      (idle.sqsRequests * price.sqsPerMillionRequests) / 1e6)
  );
}

/** Utilisation of every quota for the fleet and burst, the first one reached, and the costs. */
export function capacityReport(
  costs: readonly ActionCost[],
  idle: IdleCost,
  fleet: Fleet,
  quotas: Readonly<Record<QuotaName, Quota>> = publishedQuotas,
  price: Prices = listPrices,
): CapacityReport {
  const mean = weightedBy(costs, fleet.mix);
  const responders = fleet.hosts + fleet.clusters;
  const perSecond = fleet.burstPerMinute / 60;
  const polls = fleet.pollEverySeconds > 0 ? mean((cost) => cost.seconds) / fleet.pollEverySeconds : 0;
  // Per target account: the whole burst's cloud actions on one account, or an even share of them.
  const perAccount = fleet.oneAccount ? 1 : 1 / fleet.accounts;
  const lambda = fleet.lambdaSecondsPerInvocation;
  const loads: Record<UseName, { quota?: QuotaName; base: number; perAction: number }> = {
    apiGatewayRps: { base: responders * idle.apiRequests, perAction: mean((cost) => cost.apiRequests) + polls },
    lambdaConcurrency: {
      base: responders * idle.apiRequests * lambda,
      perAction: (mean((cost) => cost.apiRequests + cost.taskInvocations) + polls) * lambda,
    },
    sfnStartExecution: { base: 0, perAction: 1 },
    sfnStateTransitions: { base: 0, perAction: mean((cost) => cost.transitions) },
    sfnTaskCallbacks: { base: 0, perAction: mean((cost) => cost.taskCallbacks) },
    // Little's law: open executions = start rate × how long each stays open.
    sfnOpenExecutions: { base: 0, perAction: mean((cost) => cost.seconds) },
    dynamoTableWrite: { base: responders * idle.writeUnits, perAction: mean((cost) => cost.writeUnits + cost.indexWriteUnits) },
    // A poll is one GET of the record: one strongly consistent read of an item under 4 KB.
    dynamoTableRead: { base: responders * idle.readUnits, perAction: mean((cost) => cost.readUnits) + polls },
    // Every heartbeat writes the one RESPONDER partition (shared/responders/store.ts) ...
    dynamoRegistrationPartition: { quota: 'dynamoPartitionWrite', base: responders * idle.registrationWriteUnits, perAction: 0 },
    // ... and every action moves through the byStatus partitions of its month.
    dynamoStatusIndexPartition: { quota: 'dynamoPartitionWrite', base: 0, perAction: mean((cost) => cost.hotIndexWriteUnits) },
    cloudTrailLookupEvents: { base: 0, perAction: mean((cost) => cost.lookupEvents) * perAccount },
    iamWrites: { base: 0, perAction: mean((cost) => cost.iamWrites) * perAccount },
    iamReads: { base: 0, perAction: mean((cost) => cost.iamReads) * perAccount },
    stsAssumeRole: { base: responders * idle.assumeRoles, perAction: mean((cost) => cost.assumeRoles) },
  };
  const uses = (Object.keys(loads) as UseName[]).map((name): QuotaUse => {
    const { quota: quotaName = name as QuotaName, base, perAction } = loads[name];
    const quota = quotas[quotaName];
    const load = base + perAction * perSecond;
    const headroom = quota.limit - base;
    const maxBurstPerMinute = headroom <= 0 ? 0 : perAction === 0 ? Number.POSITIVE_INFINITY : (headroom / perAction) * 60;
    const maxResponders = base === 0 ? Number.POSITIVE_INFINITY : (quota.limit / base) * responders;
    return { name, quotaName, quota, base, perActionPerSecond: perAction, load, utilisation: load / quota.limit, maxBurstPerMinute, maxResponders };
  });
  const lowest = (candidates: QuotaUse[]): QuotaUse =>
    candidates.reduce((found, use) => (use.maxBurstPerMinute < found.maxBurstPerMinute ? use : found));
  const first = lowest(uses.filter((use) => use.quota.adjustable !== 'unpublished'));
  const firstWithAssumed = lowest(uses);
  const costPerAction = Object.fromEntries(costs.map((cost) => [cost.type, actionDollars(cost, fleet, price)]));
  return {
    uses,
    first,
    firstWithAssumed,
    costPerAction,
    costPerActionOfMix: mean((cost) => actionDollars(cost, fleet, price)),
    costPerIdleHostPerDay: idleDollarsPerDay(idle, fleet, price),
  };
}

/** Share of the burst that is cloud actions (for the doc's per-account figures). */
export function cloudShareOf(costs: readonly ActionCost[], mix: Readonly<Record<string, number>>): number {
  return weightedBy(costs, mix)((cost) => (cost.executor === 'cloud' ? 1 : 0));
}
