import { loadavg } from 'node:os';
import { actionCostOf, idleCostOf, modelledFetchCloudLogs } from './capacity/costs.ts';
import { measureActionProfiles, type ActionProfile } from './capacity/measure.ts';
import { capacityReport, type ActionCost, type CapacityReport, type Fleet, type IdleCost, type QuotaUse } from './capacity/model.ts';
import { prices, quotas } from './capacity/quotas.ts';
import { defaultHeartbeatSeconds, defaultPollWaitSeconds } from '../responders/common/runner.ts';
import { percentile } from './stats.ts';

/** The fleet of issue 15 item 7, and the burst's mix of action types (half host, half cloud). */
export const fleetOfIssue: Omit<Fleet, 'oneAccount' | 'lambdaSecondsPerInvocation'> = {
  hosts: 10_000,
  clusters: 50,
  accounts: 200,
  burstPerMinute: 1_000,
  mix: {
    'capture-process-state': 0.5,
    'iam-quarantine': 0.15,
    'deactivate-access-keys': 0.1,
    'revoke-iam-role-sessions': 0.1,
    'fetch-cloud-logs': 0.1,
    'iam-unquarantine': 0.05,
  },
  pollEverySeconds: 1,
};
/** LookupEvents pages per fetch-cloud-logs (500 events): an assumption. */
export const lookupPagesPerFetch = 10;
/** The least billed time of one Lambda invocation the model takes: an assumption (the local steps run against moto in milliseconds). */
export const assumedMinimumTaskSeconds = 0.1;

/**
 * `npm run bench -- capacity`: measures what each action type costs in AWS calls through the
 * whole local service against moto_server (bench/capacity/measure.ts), what an idle host costs,
 * and feeds both to the capacity model (bench/capacity/model.ts) for the issue's fleet and burst,
 * spread over its accounts and aimed at one. docs/capacity.md quotes what this prints.
 */
export async function benchCapacity(): Promise<string[]> {
  const rounds = Number(process.env['CAPACITY_ROUNDS'] ?? 3);
  const idleSeconds = Number(process.env['CAPACITY_IDLE_SECONDS'] ?? 65);
  const { profiles, idle } = await measureActionProfiles(rounds, idleSeconds);
  const measured = profiles.map(actionCostOf);
  const quarantine = measured.find((cost) => cost.type === 'iam-quarantine');
  if (quarantine === undefined) throw new Error('iam-quarantine was not measured');
  const costs = [...measured, modelledFetchCloudLogs(quarantine, lookupPagesPerFetch)];
  const idleCost = idleCostOf(idle, { heartbeatSeconds: defaultHeartbeatSeconds, pollWaitSeconds: defaultPollWaitSeconds });
  const taskSeconds = profiles.flatMap((profile) => profile.transitions.taskSeconds);
  // Billed Lambda time: the median Task step here (moto's latency included), but at least an ASSUMED
  // 0.1 s (Lambda bills by the millisecond; a step against AWS takes longer than against local moto).
  const medianTaskSeconds = percentile(taskSeconds, 50);
  const lambdaSecondsPerInvocation = Math.max(assumedMinimumTaskSeconds, medianTaskSeconds);
  const spread = capacityReport(costs, idleCost, { ...fleetOfIssue, oneAccount: false, lambdaSecondsPerInvocation });
  const oneAccount = capacityReport(costs, idleCost, { ...fleetOfIssue, oneAccount: true, lambdaSecondsPerInvocation });
  return [
    `capacity: measured through npm start's runtime against moto_server, ${rounds} rounds per type (the round with fewest calls kept), idle window ${idleSeconds} s; load average ${loadavg()[0]?.toFixed(2) ?? '?'}`,
    ...profiles.map(describeProfile),
    ...costs.map(describeCost),
    `capacity: measured idle window (${idle.seconds} s, in-process host responder): ${[...idle.calls].map(([key, count]) => `${key}×${count.calls}${count.capacityUnits > 0 ? `(${count.capacityUnits} CU)` : ''}`).join(' ')}; cadence heartbeat ${defaultHeartbeatSeconds} s, long poll ${defaultPollWaitSeconds} s`,
    describeIdle(idleCost),
    `capacity: Lambda billed ${lambdaSecondsPerInvocation.toFixed(3)} s per invocation (median of ${taskSeconds.length} Task steps here ${medianTaskSeconds.toFixed(3)} s, ASSUMED at least ${assumedMinimumTaskSeconds} s), ${prices.lambdaMemoryGb * 1024} MB arm64`,
    ...describeReport('spread over 200 accounts', spread),
    ...describeReport('every cloud action in one account', oneAccount),
    `capacity: a burst arriving all at once: ${fleetOfIssue.burstPerMinute} StartExecution against a bucket of 1,300 (${fleetOfIssue.burstPerMinute <= 1300 ? 'absorbed' : 'throttled past 1,300'}), API Gateway burst bucket 5,000`,
    `capacity: cost per action ${dollars(spread.costPerActionOfMix)} (mix), per idle host per day ${dollars(spread.costPerIdleHostPerDay)}, fleet idle per day ${dollars(spread.costPerIdleHostPerDay * (fleetOfIssue.hosts + fleetOfIssue.clusters))} (us-east-1 list prices; CloudWatch, X-Ray and data transfer not included)`,
  ];
}

const dollars = (value: number): string => (value < 0.01 ? `$${value.toFixed(6)}` : `$${value.toFixed(2)}`);

function describeProfile(profile: ActionProfile): string {
  const calls = [...profile.calls]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, count]) => `${key}×${count.calls}${count.capacityUnits > 0 ? `(${count.capacityUnits} CU)` : ''}`)
    .join(' ');
  return `capacity: measured ${profile.type} (${profile.executor}, ${profile.status}, ${profile.seconds.toFixed(2)} s, ${profile.transitions.entered} states entered, ${profile.transitions.retried} retries): ${calls}`;
}

function describeCost(cost: ActionCost): string {
  const modelled = cost.type === 'fetch-cloud-logs' ? ' [MODELLED: moto has no CloudTrail; iam-quarantine cost + LookupEvents pages]' : '';
  return (
    `capacity: per ${cost.type}${modelled}: API ${cost.apiRequests}, Lambda ${cost.apiRequests + cost.taskInvocations}, transitions ${cost.transitions}, task callbacks ${cost.taskCallbacks}, ` +
    `DynamoDB ${cost.readUnits} RRU / ${cost.writeUnits}+${cost.indexWriteUnits} (index) WRU, SQS ${cost.sqsRequests}, S3 PUT ${cost.s3Puts}, IAM ${cost.iamWrites} writes ${cost.iamReads} reads, AssumeRole ${cost.assumeRoles}, LookupEvents ${cost.lookupEvents}`
  );
}

function describeIdle(idle: IdleCost): string {
  const day = (perSecond: number): string => (perSecond * 86_400).toFixed(0);
  return `capacity: per idle host per day: API ${day(idle.apiRequests)}, DynamoDB ${day(idle.readUnits)} RRU / ${day(idle.writeUnits)} WRU (all on the RESPONDER partition), SQS ${day(idle.sqsRequests)}, AssumeRole ${day(idle.assumeRoles)}`;
}

function describeReport(title: string, report: CapacityReport): string[] {
  const lines = report.uses.map((use) => {
    const max = Number.isFinite(use.maxBurstPerMinute) ? `a burst of ${Math.round(use.maxBurstPerMinute).toLocaleString('en')}/min` : 'no burst';
    const fleet = Number.isFinite(use.maxResponders) ? `, by an idle fleet of ${Math.round(use.maxResponders).toLocaleString('en')} hosts` : '';
    return (
      `capacity [${title}] ${use.name}: ${use.load.toFixed(1)} of ${use.quota.limit.toLocaleString('en')} ${use.quota.unit} = ${(use.utilisation * 100).toFixed(1)}% ` +
      `(idle ${use.base.toFixed(1)}); reached at ${max}${fleet}`
    );
  });
  const first = (label: string, use: QuotaUse): string =>
    `capacity [${title}] ${label}: ${use.name} (${quotas[use.quotaName].scope}) at a burst of ${Math.round(use.maxBurstPerMinute).toLocaleString('en')} actions/min; at ${fleetOfIssue.burstPerMinute.toLocaleString('en')}/min it is ${(use.utilisation * 100).toFixed(1)}% used`;
  lines.push(first('FIRST LIMIT (published quotas)', report.first));
  if (report.firstWithAssumed !== report.first) lines.push(first('first limit counting the ASSUMED IAM/STS rates', report.firstWithAssumed));
  return lines;
}
