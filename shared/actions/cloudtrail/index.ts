/**
 * The CloudTrail family: fetch-cloud-logs (fetch-cloud-logs.ts), its LookupEvents pacing
 * (lookup-events.ts), its plan and progress (lookup-plan.ts) and its evidence (evidence-parts.ts).
 */
import type { EvidenceStore } from '#shared/ports.ts';
import type { CloudActionFamily } from '../cloud-action.ts';
import { fetchCloudLogs } from './fetch-cloud-logs.ts';
import { createCloudTrailClients, type CloudTrailClients, type Settings } from './lookup-events.ts';

export { EvidenceStoreError } from './evidence-parts.ts';
export { TokenBucket, lookupEventsBucket, lookupEventsPerSecond, type CloudTrailClients } from './lookup-events.ts';
export { cloudTrailEvidenceContentType, cloudTrailEvidenceName, cloudTrailEvidencePartName } from './lookup-plan.ts';

export interface CloudTrailFamilyOptions {
  /** Where the events go: the service's evidence store, never an S3 client of a target account. */
  readonly evidence: EvidenceStore;
  /**
   * How long one step may keep reading pages before it saves its place and hands over: 3 minutes,
   * so that a step (a page with its retries and the last write included) stays under 4 minutes,
   * well inside the Task's and the Lambda function's 5.
   */
  readonly stepBudgetMs?: number;
  /** Pages one step reads at most (unbounded by default; tests use a few to exercise the hand-over). */
  readonly maxPagesPerStep?: number;
  /** A part is written once its events reach this many bytes: 8 MiB, one PUT anywhere (the embedded S3 takes at most 11). */
  readonly maxPartBytes?: number;
  /** Retries of a throttled (or 5xx) request: attempts in all, and exponential backoff with jitter between them. */
  readonly retry?: { readonly attempts?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number };
}

/**
 * The CloudTrail family, bound to the evidence store it writes to (the step function's deps carry
 * no evidence store, so the family takes it). In member accounts its function needs
 * cloudtrail:LookupEvents, which has no resource-level permissions (Resource "*").
 */
export function cloudTrailFamily(options: CloudTrailFamilyOptions): CloudActionFamily<CloudTrailClients> {
  const settings: Settings = {
    evidence: options.evidence,
    stepBudgetMs: options.stepBudgetMs ?? 180_000,
    maxPagesPerStep: options.maxPagesPerStep ?? Number.POSITIVE_INFINITY,
    maxPartBytes: options.maxPartBytes ?? 8 * 1024 * 1024,
    retry: {
      attempts: options.retry?.attempts ?? 6,
      baseDelayMs: options.retry?.baseDelayMs ?? 1000,
      maxDelayMs: options.retry?.maxDelayMs ?? 20_000,
    },
  };
  return {
    name: 'cloudtrail',
    actions: [fetchCloudLogs(settings)],
    createClients: createCloudTrailClients,
  };
}
