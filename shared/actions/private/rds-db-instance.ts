/**
 * make-cloud-resource-private and its undo on an RDS DB instance: PubliclyAccessible=false; the
 * undo puts back the value it had, and only if the original changed it.
 */
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, type DBInstance } from '@aws-sdk/client-rds';
import * as z from 'zod';
import type { ActionRecord } from '#shared/history/record.ts';
import type { JsonValue } from '#shared/json.ts';
import type { PlannedChange } from '#shared/plans/types.ts';
import type { StepProgress } from '../cloud-action.ts';
import { ChangeNotVisibleError, DbClusterMemberError, DbInstanceNotModifiableError, TargetNotFoundError } from '../errors.ts';
import { readChanges } from '../kit/action-context.ts';
import {
  changeSchema,
  changesOf,
  done,
  privateAttempt,
  privateCall,
  type DbInstance,
  type DriftEntry,
  type PrivateContext,
  type ResourceSteps,
} from './private-api.ts';

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
  const { DBInstances } = await privateCall(context, db, 'rds:DescribeDBInstances', () =>
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
  const modified = await privateAttempt(
    context,
    db,
    'rds:ModifyDBInstance',
    () => rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: db.identifier, PubliclyAccessible: publiclyAccessible, ApplyImmediately: true })),
    ['InvalidDBInstanceStateFault', 'InvalidDBInstanceState'],
  );
  // The instance left `available` between the look and the call.
  if (!modified.ok) throw notModifiable(db, 'not available');
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
  return { ...context.result(), publiclyAccessible: now.publiclyAccessible, verified: true };
}

/**
 * The ModifyDBInstance a plan lists, or the refusal apply would meet: RDS changes the setting
 * only on an available instance.
 */
function plannedAccessibility(context: PrivateContext, db: DbInstance, now: DbInstanceState, publiclyAccessible: boolean): Promise<PlannedChange[]> {
  if (!modifiableStatuses.has(now.dbInstanceStatus)) return Promise.reject(notModifiable(db, now.dbInstanceStatus));
  return Promise.resolve([
    {
      call: 'rds:ModifyDBInstance',
      target: now.dbInstanceArn ?? context.target.arn,
      detail: `set PubliclyAccessible of ${db.label} to ${String(publiclyAccessible)} (now ${String(now.publiclyAccessible)}), ApplyImmediately`,
    },
  ]);
}

/** make-cloud-resource-private on a DB instance. */
export const makeDbPrivate: ResourceSteps<DbInstance> = {
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
    const prior = context.prior(dbInstanceStateSchema);
    if (!prior.publiclyAccessible) {
      await context.recordProgress({
        applied: { changes: [] },
        result: { resource: db.label, alreadyPrivate: true, message: `${db.label} was already not publicly accessible before this action; nothing was changed` },
      });
      return done;
    }
    if (context.changes(changeSchema).length === 0) {
      await setPubliclyAccessible(context, db, false);
      await context.recordProgress({
        applied: changesOf([{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }]),
        result: { resource: db.label, alreadyPrivate: false },
      });
    }
    return dbPending;
  },

  check: (context, db) => awaitAccessibility(context, db, false),

  verify: (context, db) => verifyAccessibility(context, db, false),

  plan(context, db) {
    const prior = context.prior(dbInstanceStateSchema);
    return prior.publiclyAccessible ? plannedAccessibility(context, db, prior, false) : Promise.resolve([]);
  },
};

/** The PubliclyAccessible value the undo puts back, or undefined when the original changed nothing. */
function dbRestoreTarget(original: ActionRecord): boolean | undefined {
  const change = readChanges(changeSchema, original).find((candidate) => candidate.action === 'ModifyDBInstance');
  return change?.action === 'ModifyDBInstance' ? change.before.publiclyAccessible : undefined;
}

/** undo-make-cloud-resource-private on a DB instance. */
export const restoreDb: ResourceSteps<DbInstance> = {
  async capture(context, db) {
    const original = context.undoSource();
    context.prior(dbInstanceStateSchema, original);
    const restore = dbRestoreTarget(original);
    const now = dbStateOf(db, await describeDb(context, db));
    const changedSince: DriftEntry[] =
      restore === undefined || now.publiclyAccessible === !restore
        ? []
        : [{ setting: 'PubliclyAccessible', left: !restore, now: now.publiclyAccessible }];
    await context.recordProgress({ prior: now, result: { resource: db.label, drift: { changedSince } } });
  },

  async apply(context, db) {
    const restore = dbRestoreTarget(context.undoSource());
    const result = context.result();
    if (restore === undefined) {
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restored: false, message: 'the original action changed nothing' } });
      return done;
    }
    const before = context.prior(dbInstanceStateSchema);
    if (before.publiclyAccessible === restore) {
      await context.recordProgress({ applied: { changes: [] }, result: { ...result, restoredPubliclyAccessible: restore, alreadyRestored: true } });
      return done;
    }
    if (context.changes(changeSchema).length === 0) {
      await setPubliclyAccessible(context, db, restore);
      await context.recordProgress({
        applied: changesOf([{ action: 'ModifyDBInstance', before: { publiclyAccessible: before.publiclyAccessible }, after: { publiclyAccessible: restore } }]),
        result: { ...result, restoredPubliclyAccessible: restore, alreadyRestored: false },
      });
    }
    return dbPending;
  },

  async check(context, db) {
    const restore = dbRestoreTarget(context.undoSource());
    return restore === undefined ? done : awaitAccessibility(context, db, restore);
  },

  async verify(context, db) {
    const restore = dbRestoreTarget(context.undoSource());
    return restore === undefined ? { ...context.result(), verified: true } : verifyAccessibility(context, db, restore);
  },

  plan(context, db) {
    const restore = dbRestoreTarget(context.undoSource());
    const now = context.prior(dbInstanceStateSchema);
    // Nothing when the original changed nothing, or the setting is already back as it was.
    if (restore === undefined || now.publiclyAccessible === restore) return Promise.resolve([]);
    return plannedAccessibility(context, db, now, restore);
  },
};
