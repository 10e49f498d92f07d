import { Aws } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ApiRoute } from '#functions/api/routes.ts';
import { TRAIL_BUCKET_ENV } from '#shared/trail/trail-from-env.ts';
import { acknowledgeWildcardResource } from './acknowledge-wildcard.ts';
import type { EvidenceBucket } from './evidence-bucket.ts';
import type { ServiceFunction } from './service-function.ts';

/** Where the trail's entries live in the evidence bucket (shared/trail/s3-trail.ts): `trail/<seq>.json`. */
export const trailKeyPrefix = 'trail/';

/**
 * The API routes that append to the trail: each writes an action, approval or decision record
 * (or, GetEvidence, hands out evidence download URLs). Every route whose needs say
 * `history:write` is either here or in {@link routesWritingNoTrailRecord}; a test holds that.
 */
export const trailRoutes: ReadonlySet<string> = new Set([
  'CreateAction',
  'UndoAction',
  'ReexecuteAction',
  'ApproveApproval',
  'RejectApproval',
  'ReportAction',
  'PostEvent',
  'CreatePlaybookRun',
  'UndoPlaybookRun',
  'GetEvidence',
]);

/** Routes that write the history table, but only records the trail does not cover (registrations, rate limits). */
export const routesWritingNoTrailRecord: ReadonlySet<string> = new Set([
  'RegisterResponder',
  'ResponderHeartbeat',
  'ResponderQueueCredentials',
  'DeregisterResponder',
  'ResetAutomationRule',
]);

/**
 * Lets a function append to the tamper-evident trail: sets `TRAIL_BUCKET` and grants, on the
 * `trail/*` prefix of the evidence bucket only, `s3:PutObject` (new entries: the trail writes
 * with If-None-Match, and Object Lock's default retention covers each entry), `s3:GetObject`
 * (the head entry, whose hash the next one holds; HeadObject to find it) and `s3:ListBucket`
 * conditioned on that prefix (what follows the head it knows), with the KMS permissions S3 needs
 * for them (`kms:ViaService`). No delete, no overwrite of a locked version, nothing under `actions/`.
 */
export function grantTrail(fn: ServiceFunction, evidence: EvidenceBucket): void {
  fn.addEnvironment(TRAIL_BUCKET_ENV, evidence.bucket.bucketName);
  const entries = evidence.bucket.arnForObjects(`${trailKeyPrefix}*`);
  const viaS3 = { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } };
  fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [entries] }));
  fn.addToRolePolicy(
    new PolicyStatement({ actions: ['s3:ListBucket'], resources: [evidence.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': `${trailKeyPrefix}*` } } }),
  );
  fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [evidence.key.keyArn], conditions: viaS3 }));
  acknowledgeWildcardResource(
    fn.executionRole,
    entries,
    'Trail entries are keyed trail/<seq>.json, the seq known only when appending; the grant is that prefix of the one evidence bucket, put (with If-None-Match) and get only.',
  );
}

/** The functions of the service stack that write what the trail records. */
export interface TrailWriters {
  readonly markStatus: ServiceFunction;
  readonly families: Readonly<Record<string, { readonly stepFunction: ServiceFunction }>>;
  readonly responder: { readonly dispatchFunction: ServiceFunction };
  readonly playbooks: { readonly stepFunction: ServiceFunction };
  readonly findings: { readonly function: ServiceFunction };
  readonly api: { readonly functions: Readonly<Record<string, ServiceFunction>> };
}

/** Grants the trail to every function that writes actions, approvals, decisions or hands out evidence URLs. */
export function grantTrailToWriters(evidence: EvidenceBucket, writers: TrailWriters, routes: readonly Pick<ApiRoute, 'id'>[]): void {
  const routeFunctions = routes.filter((route) => trailRoutes.has(route.id)).flatMap((route) => writers.api.functions[route.id] ?? []);
  const functions = [
    writers.markStatus,
    ...Object.values(writers.families).map((family) => family.stepFunction),
    writers.responder.dispatchFunction,
    writers.playbooks.stepFunction,
    writers.findings.function,
    ...routeFunctions,
  ];
  for (const fn of new Set(functions)) grantTrail(fn, evidence);
}
