import type { CallCounts } from './counting.ts';
import type { ActionProfile, IdleProfile } from './measure.ts';
import type { ActionCost, IdleCost } from './model.ts';

/**
 * From measured calls to the model's per-action and per-idle-host costs. What the local runtime
 * cannot show is derived here, each rule said once:
 * - an evidence upload is a PUT to the local evidence URL here, to S3 by presigned URL in AWS;
 * - a responder's report is, in AWS, one SendTaskHeartbeat (Running) or SendTaskSuccess/Failure;
 * - a record's creation writes one entry in each of the five key-only indexes, and each status
 *   change after that moves it in byStatus (a delete and a put, both in the partition of the
 *   busiest status at worst);
 * - a responder's queue credentials (1 h, refreshed 5 min early: shared/responders/queue-access.ts,
 *   responders/common/work-source.ts) cost one API request and one AssumeRole per 55 minutes.
 */
const sum = (calls: CallCounts, keep: (key: string) => boolean, field: 'calls' | 'capacityUnits' = 'calls'): number =>
  [...calls].filter(([key]) => keep(key)).reduce((total, [, count]) => total + count[field], 0);

const isEvidenceUpload = (key: string): boolean => key === 'api:PUT /local-evidence/*';
const isReport = (key: string): boolean => key === 'api:POST /v1/actions/{id}/reports';
const dynamoRead = /^DynamoDB:(GetItem|Query|Scan|BatchGetItem|TransactGetItems)$/;
const dynamoWrite = /^DynamoDB:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/;
const iamMutation = /^aws:iam:(Attach|Detach|Put|Delete|Update|Create|Tag|Untag|Remove|Add|Set)/;
const indexesPerRecord = 5;
const credentialRefreshSeconds = 3600 - 300;

export function actionCostOf(profile: ActionProfile): ActionCost {
  const { calls, transitions } = profile;
  return {
    type: profile.type,
    executor: profile.executor,
    apiRequests: sum(calls, (key) => key.startsWith('api:') && !isEvidenceUpload(key)),
    s3Puts: sum(calls, isEvidenceUpload),
    taskInvocations: transitions.tasks,
    transitions: transitions.entered + transitions.retried,
    taskCallbacks: sum(calls, isReport),
    readUnits: sum(calls, (key) => dynamoRead.test(key), 'capacityUnits'),
    writeUnits: sum(calls, (key) => dynamoWrite.test(key), 'capacityUnits'),
    indexWriteUnits: indexesPerRecord + 2 * profile.statusChanges,
    hotIndexWriteUnits: 2,
    sqsRequests: sum(calls, (key) => key.startsWith('SQS:')),
    iamWrites: sum(calls, (key) => iamMutation.test(key)),
    iamReads: sum(calls, (key) => key.startsWith('aws:iam:') && !iamMutation.test(key)),
    lookupEvents: sum(calls, (key) => key === 'aws:cloudtrail:LookupEvents'),
    assumeRoles: sum(calls, (key) => key === 'aws:sts:AssumeRole'),
    seconds: profile.seconds,
  };
}

const isHeartbeat = (key: string): boolean => /^api:POST \/v1\/responders\/[^/]+\/\{name\}\/heartbeat$/.test(key);

/**
 * One responder's idle cost per second: what one heartbeat cost in the idle window (its API
 * request and its store calls, measured) times the heartbeat cadence, plus one long poll per
 * poll wait (responders/common/runner.ts), plus the credential refresh. The window is too short
 * to count the cadence itself, so the cadence is the responder's configured one.
 */
export function idleCostOf(idle: IdleProfile, cadence: { readonly heartbeatSeconds: number; readonly pollWaitSeconds: number }): IdleCost {
  const heartbeats = sum(idle.calls, isHeartbeat);
  if (heartbeats === 0) throw new Error(`no heartbeat in the ${idle.seconds} s idle window: lengthen CAPACITY_IDLE_SECONDS`);
  const perHeartbeat = (value: number): number => value / heartbeats / cadence.heartbeatSeconds;
  const writeUnits = perHeartbeat(sum(idle.calls, (key) => dynamoWrite.test(key), 'capacityUnits'));
  return {
    apiRequests: perHeartbeat(sum(idle.calls, (key) => key.startsWith('api:'))) + 1 / credentialRefreshSeconds,
    readUnits: perHeartbeat(sum(idle.calls, (key) => dynamoRead.test(key), 'capacityUnits')),
    writeUnits,
    // Heartbeats are the idle responder's only writes, all to the one RESPONDER partition.
    registrationWriteUnits: writeUnits,
    sqsRequests: 1 / cadence.pollWaitSeconds,
    assumeRoles: 1 / credentialRefreshSeconds,
  };
}

/**
 * fetch-cloud-logs, which no emulator here can run (moto has no CloudTrail): the cloud-action
 * machine's cost as measured for `like`, plus `pages` LookupEvents (50 events each) and its
 * evidence objects. A model, not a measurement: the output says so.
 */
export function modelledFetchCloudLogs(like: ActionCost, pages: number): ActionCost {
  return {
    ...like,
    type: 'fetch-cloud-logs',
    iamWrites: 0,
    iamReads: 0,
    lookupEvents: pages,
    s3Puts: 2,
    seconds: like.seconds + pages / 2,
  };
}
