/**
 * The `private` family: make-cloud-resource-private turns on all four settings of an S3 bucket's
 * public access block, or makes an RDS DB instance not publicly accessible; its undo,
 * undo-make-cloud-resource-private, restores exactly the settings the resource had before, and
 * only where the original action changed them.
 *
 * Out of scope: the account-level S3 public access block (s3control). It belongs to the whole
 * account, not to the bucket the action names: turning it on would change every bucket in the
 * account, and restoring it could undo changes made for other buckets meanwhile.
 */
import {
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketPolicyStatusCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type Grant,
} from '@aws-sdk/client-s3';
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import * as z from 'zod';
import type { JsonValue } from '#shared/json.ts';
import type { MemberSession } from '#shared/adapters/member-session.ts';
import type { CloudAction, CloudActionContext, CloudActionFamily, CloudTarget, StepProgress } from './cloud-action.ts';
import {
  ChangeNotVisibleError,
  CloudActionError,
  InvalidTargetError,
  TargetNotFoundError,
  UndoSourceMissingError,
  fromAwsError,
} from './errors.ts';

/**
 * The DB instance belongs to a DB cluster (Aurora): the cluster's endpoints reach every member,
 * so making one member private is no containment; act on the cluster instead. The record's
 * error code is the name without `Error` once `DbClusterMember` is one of cloudActionErrorCodes.
 */
export class DbClusterMemberError extends CloudActionError {
  override readonly name = 'DbClusterMemberError';
  readonly code = 'DbClusterMember';
}

/**
 * The DB instance is in a state in which RDS refuses ModifyDBInstance (stopped, modifying,
 * backing-up, ...); nothing was changed. The record's error code is `DbInstanceNotModifiable`.
 */
export class DbInstanceNotModifiableError extends CloudActionError {
  override readonly name = 'DbInstanceNotModifiableError';
  readonly code = 'DbInstanceNotModifiable';
}

/** Clients of one kind, one per region, created on first use and destroyed with the member session. */
export class RegionalClients<Client extends { destroy(): void }> {
  readonly #create: (region: string) => Client;
  readonly #clients = new Map<string, Client>();

  constructor(create: (region: string) => Client) {
    this.#create = create;
  }

  in(region: string): Client {
    const existing = this.#clients.get(region);
    if (existing !== undefined) return existing;
    const created = this.#create(region);
    this.#clients.set(region, created);
    return created;
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }
}

// A type alias, not an interface, so it fits SessionClients' index signature.
export type PrivateClients = { readonly s3: RegionalClients<S3Client>; readonly rds: RegionalClients<RDSClient> };

type PrivateContext = CloudActionContext<PrivateClients>;

/** The member-account clients of this family: S3 and RDS in the target's region. */
export function createPrivateClients(session: MemberSession): PrivateClients {
  // No endpoint: the SDK follows AWS_ENDPOINT_URL by itself, as every target-account call must.
  return {
    s3: new RegionalClients((region) => new S3Client({ region, credentials: session.credentials, maxAttempts: 4, followRegionRedirects: true })),
    rds: new RegionalClients((region) => new RDSClient({ region, credentials: session.credentials, maxAttempts: 4 })),
  };
}

// ---------------------------------------------------------------------------------------------
// Recorded shapes

export const publicAccessBlockSettings = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;
type PublicAccessBlockSetting = (typeof publicAccessBlockSettings)[number];

const publicAccessBlockSchema = z.object({
  BlockPublicAcls: z.boolean(),
  IgnorePublicAcls: z.boolean(),
  BlockPublicPolicy: z.boolean(),
  RestrictPublicBuckets: z.boolean(),
});
type PublicAccessBlock = z.infer<typeof publicAccessBlockSchema>;

/** What make-private leaves on a bucket. */
const fullBlock: PublicAccessBlock = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

const aclGrantSchema = z.object({
  grantee: z.object({
    type: z.string(),
    id: z.string().optional(),
    displayName: z.string().optional(),
    emailAddress: z.string().optional(),
    uri: z.string().optional(),
  }),
  permission: z.string(),
});

/** What capture records as `prior` for a bucket. */
const bucketStateSchema = z.object({
  kind: z.literal('aws.s3.bucket'),
  bucket: z.string(),
  /** The bucket's public access block, or null when it has none (NoSuchPublicAccessBlockConfiguration). */
  publicAccessBlock: publicAccessBlockSchema.nullable(),
  /** GetBucketPolicyStatus; null when the bucket has no policy, isPublic null when S3 did not say. */
  policyStatus: z.object({ isPublic: z.boolean().nullable() }).nullable(),
  acl: z.object({ ownerId: z.string().nullable(), grants: z.array(aclGrantSchema) }),
});
type BucketState = z.infer<typeof bucketStateSchema>;

/** What capture records as `prior` for a DB instance. */
const dbInstanceStateSchema = z.object({
  kind: z.literal('aws.rds.db-instance'),
  dbInstanceIdentifier: z.string(),
  dbInstanceArn: z.string().nullable(),
  publiclyAccessible: z.boolean(),
  dbInstanceStatus: z.string(),
  dbClusterIdentifier: z.string().nullable(),
});
type DbInstanceState = z.infer<typeof dbInstanceStateSchema>;

const accessibilitySchema = z.object({ publiclyAccessible: z.boolean() });

/** What apply records as `applied`: exactly the settings this action changed, before and after. */
const changeSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('PutPublicAccessBlock'), before: publicAccessBlockSchema.nullable(), after: publicAccessBlockSchema }),
  z.object({ action: z.literal('DeletePublicAccessBlock'), before: publicAccessBlockSchema.nullable(), after: z.null() }),
  z.object({ action: z.literal('ModifyDBInstance'), before: accessibilitySchema, after: accessibilitySchema }),
]);
type Change = z.infer<typeof changeSchema>;
const appliedSchema = z.object({ changes: z.array(changeSchema) });

/** One setting that differs between what the original action left and the resource now. */
type DriftEntry = {
  readonly setting: string;
  readonly left: boolean;
  /** null: the setting is gone (the public access block was deleted). */
  readonly now: boolean | null;
};

// ---------------------------------------------------------------------------------------------
// Targets and calls

interface Bucket {
  readonly kind: 'aws.s3.bucket';
  readonly name: string;
  readonly region: string;
  /** "S3 bucket logs", for messages. */
  readonly label: string;
}

interface DbInstance {
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

/** Runs one call, turning its failure into a named error (missing bucket or instance → TargetNotFound). */
async function awsCall<Result>(context: PrivateContext, resource: PrivateResource, operation: string, call: () => Promise<Result>): Promise<Result> {
  try {
    return await call();
  } catch (error) {
    throw callError(context, resource, operation, error);
  }
}

function callError(context: PrivateContext, resource: PrivateResource, operation: string, error: unknown): unknown {
  if (error instanceof Error && notFoundNames.has(error.name)) {
    return new TargetNotFoundError(`${resource.label} does not exist in account ${context.target.accountId} (${resource.region})`, { cause: error });
  }
  return fromAwsError(error, { accountId: context.target.accountId, operation: `${operation} on ${resource.label}` });
}

function errorNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

function objectResult(result: JsonValue | null): { [key: string]: JsonValue } {
  return typeof result === 'object' && result !== null && !Array.isArray(result) ? result : {};
}

function parseApplied(record: { id: string; applied: JsonValue | null }): Change[] {
  if (record.applied === null) return [];
  const parsed = appliedSchema.safeParse(record.applied);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded changes this service cannot read`);
  return parsed.data.changes;
}

function appliedOf(changes: Change[]): JsonValue {
  return { changes };
}

function undoSource(context: PrivateContext): { id: string; prior: JsonValue | null; applied: JsonValue | null } {
  if (context.undoing === null) {
    throw new UndoSourceMissingError(`action ${context.record.id} (${context.record.type}) does not name the action it undoes`);
  }
  return context.undoing;
}

// ---------------------------------------------------------------------------------------------
// S3 buckets

const publicGroupUris = new Set(['http://acs.amazonaws.com/groups/global/AllUsers', 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers']);

function grantOf(grant: Grant): z.infer<typeof aclGrantSchema> {
  const grantee = grant.Grantee;
  return {
    grantee: {
      type: grantee?.Type ?? 'Unknown',
      ...(grantee?.ID === undefined ? {} : { id: grantee.ID }),
      ...(grantee?.DisplayName === undefined ? {} : { displayName: grantee.DisplayName }),
      ...(grantee?.EmailAddress === undefined ? {} : { emailAddress: grantee.EmailAddress }),
      ...(grantee?.URI === undefined ? {} : { uri: grantee.URI }),
    },
    permission: grant.Permission ?? 'Unknown',
  };
}

/** The bucket's public access block, or null when it has none. */
async function readBlock(context: PrivateContext, bucket: Bucket): Promise<PublicAccessBlock | null> {
  const s3 = context.clients.s3.in(bucket.region);
  try {
    const { PublicAccessBlockConfiguration: block } = await s3.send(
      new GetPublicAccessBlockCommand({ Bucket: bucket.name, ExpectedBucketOwner: context.target.accountId }),
    );
    // S3 answers every setting; one it leaves out is off, as S3 treats it.
    return {
      BlockPublicAcls: block?.BlockPublicAcls ?? false,
      IgnorePublicAcls: block?.IgnorePublicAcls ?? false,
      BlockPublicPolicy: block?.BlockPublicPolicy ?? false,
      RestrictPublicBuckets: block?.RestrictPublicBuckets ?? false,
    };
  } catch (error) {
    if (errorNamed(error, 'NoSuchPublicAccessBlockConfiguration')) return null;
    throw callError(context, bucket, 's3:GetBucketPublicAccessBlock', error);
  }
}

/** Reads the bucket's public access block, policy status and ACL; changes nothing. */
async function readBucket(context: PrivateContext, bucket: Bucket): Promise<BucketState> {
  const s3 = context.clients.s3.in(bucket.region);
  const owner = { Bucket: bucket.name, ExpectedBucketOwner: context.target.accountId };
  const publicAccessBlock = await readBlock(context, bucket);
  let policyStatus: BucketState['policyStatus'];
  try {
    const { PolicyStatus } = await s3.send(new GetBucketPolicyStatusCommand(owner));
    policyStatus = { isPublic: PolicyStatus?.IsPublic ?? null };
  } catch (error) {
    if (!errorNamed(error, 'NoSuchBucketPolicy')) throw callError(context, bucket, 's3:GetBucketPolicyStatus', error);
    policyStatus = null;
  }
  const acl = await awsCall(context, bucket, 's3:GetBucketAcl', () => s3.send(new GetBucketAclCommand(owner)));
  return {
    kind: 'aws.s3.bucket',
    bucket: bucket.name,
    publicAccessBlock,
    policyStatus,
    acl: { ownerId: acl.Owner?.ID ?? null, grants: (acl.Grants ?? []).map(grantOf) },
  };
}

async function putBlock(context: PrivateContext, bucket: Bucket, block: PublicAccessBlock): Promise<void> {
  const s3 = context.clients.s3.in(bucket.region);
  await awsCall(context, bucket, 's3:PutBucketPublicAccessBlock', () =>
    s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket.name,
        ExpectedBucketOwner: context.target.accountId,
        PublicAccessBlockConfiguration: { ...block },
      }),
    ),
  );
}

async function deleteBlock(context: PrivateContext, bucket: Bucket): Promise<void> {
  const s3 = context.clients.s3.in(bucket.region);
  try {
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket.name, ExpectedBucketOwner: context.target.accountId }));
  } catch (error) {
    // Already gone (a retry after our own delete): what the undo wants.
    if (errorNamed(error, 'NoSuchPublicAccessBlockConfiguration')) return;
    // DeletePublicAccessBlock is authorized by s3:PutBucketPublicAccessBlock.
    throw callError(context, bucket, 's3:PutBucketPublicAccessBlock (DeletePublicAccessBlock)', error);
  }
}

function isFullBlock(block: PublicAccessBlock | null): boolean {
  return block !== null && publicAccessBlockSettings.every((setting) => block[setting]);
}

function sameBlock(a: PublicAccessBlock | null, b: PublicAccessBlock | null): boolean {
  if (a === null || b === null) return a === b;
  return publicAccessBlockSettings.every((setting) => a[setting] === b[setting]);
}

function blockDrift(left: PublicAccessBlock, now: PublicAccessBlock | null): DriftEntry[] {
  return publicAccessBlockSettings.flatMap((setting: PublicAccessBlockSetting) =>
    now?.[setting] === left[setting] ? [] : [{ setting, left: left[setting], now: now === null ? null : now[setting] }],
  );
}

function parseBucketState(record: { id: string; prior: JsonValue | null }): BucketState {
  const parsed = bucketStateSchema.safeParse(record.prior);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded no S3 bucket state, so there is nothing to compare or restore`);
  return parsed.data;
}

/** The steps of one action type for one resource kind. */
interface ResourceSteps<Resource extends PrivateResource> {
  capture(context: PrivateContext, resource: Resource): Promise<void>;
  apply(context: PrivateContext, resource: Resource): Promise<StepProgress>;
  check(context: PrivateContext, resource: Resource): Promise<StepProgress>;
  verify(context: PrivateContext, resource: Resource): Promise<JsonValue>;
}

const done: StepProgress = { pending: false };

const makeBucketPrivate: ResourceSteps<Bucket> = {
  async capture(context, bucket) {
    await context.recordProgress({ prior: await readBucket(context, bucket) });
  },

  async apply(context, bucket) {
    // Decided on `prior` (the first capture), not on the block now: a retried apply after its own
    // put must still record that put, never "nothing changed".
    const prior = parseBucketState(context.record);
    const exposure = {
      resource: bucket.label,
      // null: S3 did not say whether the policy was public.
      policyWasPublic: prior.policyStatus === null ? false : prior.policyStatus.isPublic,
      aclWasPublic: prior.acl.grants.some((grant) => grant.grantee.uri !== undefined && publicGroupUris.has(grant.grantee.uri)),
    };
    if (isFullBlock(prior.publicAccessBlock)) {
      await context.recordProgress({
        applied: { changes: [] },
        result: {
          ...exposure,
          alreadyPrivate: true,
          message: `all four public access block settings were already on for ${bucket.label} before this action; nothing was changed`,
        },
      });
      return done;
    }
    await putBlock(context, bucket, fullBlock);
    await context.recordProgress({
      applied: appliedOf([{ action: 'PutPublicAccessBlock', before: prior.publicAccessBlock, after: fullBlock }]),
      result: { ...exposure, alreadyPrivate: false, publicAccessBlock: fullBlock },
    });
    return done;
  },

  check: () => Promise.resolve(done),

  async verify(context, bucket) {
    if (!isFullBlock(await readBlock(context, bucket))) {
      throw new ChangeNotVisibleError(`the public access block of ${bucket.label} does not read back as all four settings on yet`);
    }
    return { ...objectResult(context.record.result), verified: true };
  },
};

/** The block the undo puts back: the original's `before`, or null to delete the block. */
function bucketRestoreTarget(original: { id: string; applied: JsonValue | null }): PublicAccessBlock | null | undefined {
  const change = parseApplied(original).find((candidate) => candidate.action === 'PutPublicAccessBlock');
  return change?.before;
}

const restoreBucket: ResourceSteps<Bucket> = {
  async capture(context, bucket) {
    const original = undoSource(context);
    parseBucketState(original);
    const now = await readBucket(context, bucket);
    // What the original left: all four on, if it changed anything; drift is what differs now.
    const left = bucketRestoreTarget(original) === undefined ? null : fullBlock;
    const drift = { changedSince: left === null ? [] : blockDrift(left, now.publicAccessBlock) };
    // The undo's own prior is the bucket as it is now, before the undo changes anything.
    await context.recordProgress({ prior: now, result: { resource: bucket.label, drift } });
  },

  async apply(context, bucket) {
    const restore = bucketRestoreTarget(undoSource(context));
    const result = objectResult(context.record.result);
    if (restore === undefined) {
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored: false, message: 'the original action changed nothing' } });
      return done;
    }
    const now = parseBucketState(context.record).publicAccessBlock;
    const restoredTo = { restoredPublicAccessBlock: restore };
    if (sameBlock(now, restore)) {
      // Someone already put the prior settings back by hand: reported, not an error.
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, ...restoredTo, alreadyRestored: true } });
      return done;
    }
    // Put and delete are idempotent, so a retried apply may repeat the call; the record is written whole.
    if (restore === null) {
      await deleteBlock(context, bucket);
      await context.recordProgress({
        applied: appliedOf([{ action: 'DeletePublicAccessBlock', before: now, after: null }]),
        result: { ...result, ...restoredTo, alreadyRestored: false },
      });
    } else {
      await putBlock(context, bucket, restore);
      await context.recordProgress({
        applied: appliedOf([{ action: 'PutPublicAccessBlock', before: now, after: restore }]),
        result: { ...result, ...restoredTo, alreadyRestored: false },
      });
    }
    return done;
  },

  check: () => Promise.resolve(done),

  async verify(context, bucket) {
    const restore = bucketRestoreTarget(undoSource(context));
    if (restore !== undefined && !sameBlock(await readBlock(context, bucket), restore)) {
      throw new ChangeNotVisibleError(`the public access block of ${bucket.label} does not read back as restored yet`);
    }
    return { ...objectResult(context.record.result), verified: true };
  },
};

// ---------------------------------------------------------------------------------------------
// RDS DB instances

/** Seconds between looks at a DB instance while RDS applies the change. */
const dbWaitSeconds = 15;
const dbPending: StepProgress = { pending: true, waitSeconds: dbWaitSeconds };

/**
 * States in which RDS accepts ModifyDBInstance. Anything else (stopped, starting, modifying,
 * backing-up, rebooting, upgrading, ...) is refused by RDS with InvalidDBInstanceState, so the
 * action says so before calling.
 */
const modifiableStatuses = new Set(['available', 'storage-optimization']);

/** States from which waiting does not lead back to `available`. */
const hopelessStatuses = new Set([
  'deleting',
  'failed',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-parameters',
  'incompatible-restore',
  'restore-error',
  'storage-full',
]);

async function describeDb(context: PrivateContext, db: DbInstance): Promise<DBInstance> {
  const rds = context.clients.rds.in(db.region);
  const { DBInstances } = await awsCall(context, db, 'rds:DescribeDBInstances', () =>
    rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.identifier })),
  );
  const found = DBInstances?.find((instance) => instance.DBInstanceIdentifier?.toLowerCase() === db.identifier.toLowerCase());
  if (found === undefined) throw new TargetNotFoundError(`${db.label} does not exist in account ${context.target.accountId} (${db.region})`);
  return found;
}

function dbStateOf(db: DbInstance, instance: DBInstance): DbInstanceState {
  return {
    kind: 'aws.rds.db-instance',
    dbInstanceIdentifier: instance.DBInstanceIdentifier ?? db.identifier,
    dbInstanceArn: instance.DBInstanceArn ?? null,
    publiclyAccessible: instance.PubliclyAccessible ?? false,
    dbInstanceStatus: instance.DBInstanceStatus ?? 'unknown',
    dbClusterIdentifier: instance.DBClusterIdentifier ?? null,
  };
}

function parseDbState(record: { id: string; prior: JsonValue | null }): DbInstanceState {
  const parsed = dbInstanceStateSchema.safeParse(record.prior);
  if (!parsed.success) throw new UndoSourceMissingError(`action ${record.id} recorded no RDS DB instance state, so there is nothing to compare or restore`);
  return parsed.data;
}

function notModifiable(db: DbInstance, status: string, cause?: unknown): DbInstanceNotModifiableError {
  const advice =
    status === 'stopped'
      ? 'start it first (a stopped instance accepts no connections, but becomes reachable again as it was once started)'
      : 'try again once it is available';
  return new DbInstanceNotModifiableError(
    `${db.label} is ${status}, and RDS changes PubliclyAccessible only on an available instance; nothing was changed: ${advice}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Sets PubliclyAccessible (ApplyImmediately) unless the instance already shows it, which is the
 * case when a retried step follows its own successful call; the caller records the change either way.
 */
async function setPubliclyAccessible(context: PrivateContext, db: DbInstance, publiclyAccessible: boolean): Promise<void> {
  const now = dbStateOf(db, await describeDb(context, db));
  if (now.publiclyAccessible === publiclyAccessible) return;
  if (!modifiableStatuses.has(now.dbInstanceStatus)) throw notModifiable(db, now.dbInstanceStatus);
  const rds = context.clients.rds.in(db.region);
  try {
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: db.identifier, PubliclyAccessible: publiclyAccessible, ApplyImmediately: true }));
  } catch (error) {
    // The instance left `available` between the look and the call.
    if (errorNamed(error, 'InvalidDBInstanceStateFault', 'InvalidDBInstanceState')) throw notModifiable(db, 'not available', error);
    throw callError(context, db, 'rds:ModifyDBInstance', error);
  }
}

/** Done once the instance is available again with the wanted setting; pending until then. */
async function awaitAccessibility(context: PrivateContext, db: DbInstance, publiclyAccessible: boolean): Promise<StepProgress> {
  const now = dbStateOf(db, await describeDb(context, db));
  if (hopelessStatuses.has(now.dbInstanceStatus)) {
    throw new DbInstanceNotModifiableError(
      `${db.label} went to ${now.dbInstanceStatus} while RDS applied PubliclyAccessible=${String(publiclyAccessible)}, from which it does not come back by waiting; look at the instance before retrying or undoing`,
    );
  }
  return now.dbInstanceStatus === 'available' && now.publiclyAccessible === publiclyAccessible ? done : dbPending;
}

async function verifyAccessibility(context: PrivateContext, db: DbInstance, publiclyAccessible: boolean): Promise<JsonValue> {
  const now = dbStateOf(db, await describeDb(context, db));
  if (now.publiclyAccessible !== publiclyAccessible) {
    throw new ChangeNotVisibleError(`${db.label} does not read back as PubliclyAccessible=${String(publiclyAccessible)} yet`);
  }
  return { ...objectResult(context.record.result), publiclyAccessible: now.publiclyAccessible, verified: true };
}

const makeDbPrivate: ResourceSteps<DbInstance> = {
  async capture(context, db) {
    const prior = dbStateOf(db, await describeDb(context, db));
    // Recorded first, so the record shows what was found even when the action refuses below.
    await context.recordProgress({ prior });
    if (prior.dbClusterIdentifier !== null) {
      throw new DbClusterMemberError(
        `${db.label} is a member of DB cluster ${prior.dbClusterIdentifier}, whose endpoints reach every member: act on the cluster ${prior.dbClusterIdentifier} (all its instances) instead; nothing was changed`,
      );
    }
  },

  async apply(context, db) {
    // Decided on `prior` and this action's own `applied`, so a retry never records twice.
    const prior = parseDbState(context.record);
    if (!prior.publiclyAccessible) {
      await context.recordProgress({
        applied: { changes: [] },
        result: { resource: db.label, alreadyPrivate: true, message: `${db.label} was already not publicly accessible before this action; nothing was changed` },
      });
      return done;
    }
    if (parseApplied(context.record).length === 0) {
      await setPubliclyAccessible(context, db, false);
      await context.recordProgress({
        applied: appliedOf([{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }]),
        result: { resource: db.label, alreadyPrivate: false },
      });
    }
    return dbPending;
  },

  check: (context, db) => awaitAccessibility(context, db, false),

  verify: (context, db) => verifyAccessibility(context, db, false),
};

/** The PubliclyAccessible value the undo puts back, or undefined when the original changed nothing. */
function dbRestoreTarget(original: { id: string; applied: JsonValue | null }): boolean | undefined {
  const change = parseApplied(original).find((candidate) => candidate.action === 'ModifyDBInstance');
  return change?.action === 'ModifyDBInstance' ? change.before.publiclyAccessible : undefined;
}

const restoreDb: ResourceSteps<DbInstance> = {
  async capture(context, db) {
    const original = undoSource(context);
    parseDbState(original);
    const restore = dbRestoreTarget(original);
    const now = dbStateOf(db, await describeDb(context, db));
    const changedSince: DriftEntry[] =
      restore === undefined || now.publiclyAccessible === !restore
        ? []
        : [{ setting: 'PubliclyAccessible', left: !restore, now: now.publiclyAccessible }];
    await context.recordProgress({ prior: now, result: { resource: db.label, drift: { changedSince } } });
  },

  async apply(context, db) {
    const restore = dbRestoreTarget(undoSource(context));
    const result = objectResult(context.record.result);
    if (restore === undefined) {
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored: false, message: 'the original action changed nothing' } });
      return done;
    }
    const before = parseDbState(context.record);
    if (before.publiclyAccessible === restore) {
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restoredPubliclyAccessible: restore, alreadyRestored: true } });
      return done;
    }
    if (parseApplied(context.record).length === 0) {
      await setPubliclyAccessible(context, db, restore);
      await context.recordProgress({
        applied: appliedOf([{ action: 'ModifyDBInstance', before: { publiclyAccessible: before.publiclyAccessible }, after: { publiclyAccessible: restore } }]),
        result: { ...result, restoredPubliclyAccessible: restore, alreadyRestored: false },
      });
    }
    return dbPending;
  },

  async check(context, db) {
    const restore = dbRestoreTarget(undoSource(context));
    return restore === undefined ? done : awaitAccessibility(context, db, restore);
  },

  async verify(context, db) {
    const restore = dbRestoreTarget(undoSource(context));
    return restore === undefined ? { ...objectResult(context.record.result), verified: true } : verifyAccessibility(context, db, restore);
  },
};

// ---------------------------------------------------------------------------------------------
// The action types

function byKind(
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
  };
}

/** make-cloud-resource-private: all four public access block settings on a bucket, or PubliclyAccessible=false on a DB instance. */
export const makeCloudResourcePrivate = byKind('make-cloud-resource-private', { bucket: makeBucketPrivate, db: makeDbPrivate });

/** undo-make-cloud-resource-private: puts back exactly what make-cloud-resource-private changed, reporting drift first. */
export const undoMakeCloudResourcePrivate = byKind(
  'undo-make-cloud-resource-private',
  { bucket: restoreBucket, db: restoreDb },
  'make-cloud-resource-private',
);

/**
 * The `private` family; in member accounts its function needs s3:GetBucketPublicAccessBlock,
 * s3:PutBucketPublicAccessBlock, s3:GetBucketPolicyStatus, s3:GetBucketAcl, rds:DescribeDBInstances
 * and rds:ModifyDBInstance.
 */
export const privateFamily: CloudActionFamily<PrivateClients> = {
  name: 'private',
  actions: [makeCloudResourcePrivate, undoMakeCloudResourcePrivate],
  createClients: createPrivateClients,
};
