/**
 * What the `private` family's actions share: S3 and RDS clients per region, the resource an ARN
 * names (a bucket or a DB instance), one call wrapper, the recorded changes, and the dispatch
 * of one action type to the steps of each resource kind (s3-bucket.ts, rds-db-instance.ts).
 *
 * Out of scope: the account-level S3 public access block (s3control). It belongs to the whole
 * account, not to the bucket the action names: turning it on would change every bucket in the
 * account, and restoring it could undo changes made for other buckets meanwhile.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { RDSClient } from '@aws-sdk/client-rds';
import * as z from 'zod';
import type { MemberSession } from '#shared/adapters/member-session.ts';
import type { JsonValue } from '#shared/json.ts';
import type { PlannedChange } from '#shared/plans/types.ts';
import type { CloudAction, CloudActionContext, CloudTarget, StepProgress } from '../cloud-action.ts';
import { InvalidTargetError } from '../errors.ts';
import { awsAttempt, awsCall, type AwsAttempt, type AwsCallSite } from '../kit/aws-call.ts';
import { RegionalClients } from '../kit/regional-clients.ts';
import { traced } from '#shared/observability/tracing.ts';

// A type alias, not an interface, so it fits SessionClients' index signature.
export type PrivateClients = { readonly s3: RegionalClients<S3Client>; readonly rds: RegionalClients<RDSClient> };

export type PrivateContext = CloudActionContext<PrivateClients>;

/** The member-account clients of this family: S3 and RDS in the target's region. */
export function createPrivateClients(session: MemberSession): PrivateClients {
  // No endpoint: the SDK follows AWS_ENDPOINT_URL by itself, as every target-account call must.
  return {
    s3: new RegionalClients((region) => traced(new S3Client({ region, credentials: session.credentials, maxAttempts: 4, followRegionRedirects: true }))),
    rds: new RegionalClients((region) => traced(new RDSClient({ region, credentials: session.credentials, maxAttempts: 4 }))),
  };
}

export const publicAccessBlockSchema = z.object({
  BlockPublicAcls: z.boolean(),
  IgnorePublicAcls: z.boolean(),
  BlockPublicPolicy: z.boolean(),
  RestrictPublicBuckets: z.boolean(),
});
export type PublicAccessBlock = z.infer<typeof publicAccessBlockSchema>;

const accessibilitySchema = z.object({ publiclyAccessible: z.boolean() });

/** What apply records as `applied`: exactly the settings this action changed, before and after. */
export const changeSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('PutPublicAccessBlock'), before: publicAccessBlockSchema.nullable(), after: publicAccessBlockSchema }),
  z.object({ action: z.literal('DeletePublicAccessBlock'), before: publicAccessBlockSchema.nullable(), after: z.null() }),
  z.object({ action: z.literal('ModifyDBInstance'), before: accessibilitySchema, after: accessibilitySchema }),
]);
export type Change = z.infer<typeof changeSchema>;

/** `applied` listing `changes`, written whole. */
export function changesOf(changes: Change[]): JsonValue {
  return { changes };
}

/** One setting that differs between what the original action left and the resource now. */
export type DriftEntry = {
  readonly setting: string;
  readonly left: boolean;
  /** null: the setting is gone (the public access block was deleted). */
  readonly now: boolean | null;
};

export interface Bucket {
  readonly kind: 'aws.s3.bucket';
  readonly name: string;
  readonly region: string;
  /** "S3 bucket logs", for messages. */
  readonly label: string;
}

export interface DbInstance {
  readonly kind: 'aws.rds.db-instance';
  readonly identifier: string;
  readonly region: string;
  readonly label: string;
}

type PrivateResource = Bucket | DbInstance;

function resourceOf(target: CloudTarget): PrivateResource {
  if (target.region === '') throw new InvalidTargetError(`${target.arn} names no region and aws.region is not given`);
  if (target.service === 's3' && target.resourceType === null && !target.resourceName.includes('/')) {
    return { kind: 'aws.s3.bucket', name: target.resourceName, region: target.region, label: `S3 bucket ${target.resourceName}` };
  }
  if (target.service === 'rds' && target.resourceType === 'db') {
    return { kind: 'aws.rds.db-instance', identifier: target.resourceName, region: target.region, label: `RDS DB instance ${target.resourceName}` };
  }
  throw new InvalidTargetError(`${target.arn} is neither an S3 bucket nor an RDS DB instance`);
}

const notFoundNames = new Set(['NoSuchBucket', 'DBInstanceNotFoundFault', 'DBInstanceNotFound']);

function siteOf(context: PrivateContext, resource: PrivateResource, operation: string): AwsCallSite {
  const accountId = context.target.accountId;
  return {
    accountId,
    operation: `${operation} on ${resource.label}`,
    notFound: (code) => (notFoundNames.has(code) ? `${resource.label} does not exist in account ${accountId} (${resource.region})` : null),
  };
}

/** Runs one call, turning its failure into a named error (missing bucket or instance → TargetNotFound). */
export function privateCall<Result>(context: PrivateContext, resource: PrivateResource, operation: string, send: () => Promise<Result>): Promise<Result> {
  return awsCall(siteOf(context, resource, operation), send);
}

/** Like privateCall, but the AWS error codes in `expected` come back as `{ ok: false, code }`. */
export function privateAttempt<Result>(
  context: PrivateContext,
  resource: PrivateResource,
  operation: string,
  send: () => Promise<Result>,
  expected: readonly string[],
): Promise<AwsAttempt<Result>> {
  return awsAttempt(siteOf(context, resource, operation), send, expected);
}

/** The steps of one action type for one resource kind. */
export interface ResourceSteps<Resource extends PrivateResource> {
  capture(context: PrivateContext, resource: Resource): Promise<void>;
  apply(context: PrivateContext, resource: Resource): Promise<StepProgress>;
  check(context: PrivateContext, resource: Resource): Promise<StepProgress>;
  verify(context: PrivateContext, resource: Resource): Promise<JsonValue>;
  plan(context: PrivateContext, resource: Resource): Promise<PlannedChange[]>;
}

export const done: StepProgress = { pending: false };

/** One action type: each step runs the steps of the kind of resource the target names. */
export function byKind(
  type: string,
  steps: { readonly bucket: ResourceSteps<Bucket>; readonly db: ResourceSteps<DbInstance> },
  undoes?: string,
): CloudAction<PrivateClients> {
  const run = <Result>(context: PrivateContext, step: <Resource extends PrivateResource>(kindSteps: ResourceSteps<Resource>, resource: Resource) => Promise<Result>) => {
    const resource = resourceOf(context.target);
    return resource.kind === 'aws.s3.bucket' ? step(steps.bucket, resource) : step(steps.db, resource);
  };
  return {
    type,
    ...(undoes === undefined ? {} : { undoes }),
    capture: (context) => run(context, (kindSteps, resource) => kindSteps.capture(context, resource)),
    apply: (context) => run(context, (kindSteps, resource) => kindSteps.apply(context, resource)),
    check: (context) => run(context, (kindSteps, resource) => kindSteps.check(context, resource)),
    verify: (context) => run(context, (kindSteps, resource) => kindSteps.verify(context, resource)),
    plan: (context) => run(context, (kindSteps, resource) => kindSteps.plan(context, resource)),
  };
}
