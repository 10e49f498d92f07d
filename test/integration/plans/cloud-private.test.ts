/**
 * Plans of make-cloud-resource-private and its undo on S3 buckets and RDS DB instances against
 * moto_server (S3, RDS and STS over HTTP through the fronts), through the local in-process
 * planner: the exact calls apply would make, none when already private or already restored,
 * nothing written to the history, nothing changed, and the guards refusing before any call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbClusterMemberError, TargetAccountNotAllowedError } from '#shared/actions/errors.ts';
import { privateFamily } from '#shared/actions/private/index.ts';
import type { CloudPlanRequest } from '#shared/plans/types.ts';
import { plannerFor, watchPlan, writesAmong, type PlannerSetup, type WatchedPlan } from '#test/support/cloud-plans.ts';
import {
  allOn,
  bucketInputs,
  config,
  front,
  historyTable,
  makePrivate,
  rds,
  repository,
  s3,
  unique,
  useMakePrivateHarness,
} from '#test/support/make-private-harness.ts';
import type { PrivateFrontRequest } from '#test/support/moto-private.ts';
import { createAuroraMember, createBucket, createDbInstance, publiclyAccessible, putBlock, readBlock, setPubliclyAccessible } from '#test/support/moto-private.ts';

useMakePrivateHarness();

let setup: PlannerSetup;

beforeAll(() => {
  setup = plannerFor([privateFamily], { config, repository });
});

afterAll(async () => {
  await setup.close();
});

const planWatched = (request: CloudPlanRequest): Promise<WatchedPlan<PrivateFrontRequest>> =>
  watchPlan(setup.planner, historyTable, front, (call) => call.operation, request);

const makePrivatePlan = (inputs: CloudPlanRequest['inputs']): CloudPlanRequest => ({ type: 'make-cloud-resource-private', inputs, undoOf: null });
const allOnText = 'BlockPublicAcls=true, IgnorePublicAcls=true, BlockPublicPolicy=true, RestrictPublicBuckets=true';

describe('plans of make-cloud-resource-private and its undo on S3 buckets', () => {
  it('lists the PutPublicAccessBlock with all four settings for a bucket without a block, reading as capture does, and changes nothing', async () => {
    // Prepare
    const bucket = unique('logs');
    await createBucket(s3, bucket);

    // Act
    const planned = await planWatched(makePrivatePlan(bucketInputs(bucket)));

    // Assess
    expect(planned.error).toBeNull();
    expect(planned.result).toEqual({
      prior: { kind: 'aws.s3.bucket', bucket, publicAccessBlock: null, policyStatus: null, acl: { ownerId: expect.any(String) as string, grants: expect.any(Array) as unknown } },
      changes: [
        { call: 's3:PutPublicAccessBlock', target: `arn:aws:s3:::${bucket}`, detail: `set the public access block of S3 bucket ${bucket} to ${allOnText} (now: none)` },
      ],
    });
    expect(planned.operations).toEqual(['AssumeRole', 'GetPublicAccessBlock', 'GetBucketPolicyStatus', 'GetBucketAcl']);
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(await readBlock(s3, bucket)).toBeNull();
  });

  it('lists nothing for a bucket with all four settings on', async () => {
    // Prepare
    const bucket = unique('private');
    await createBucket(s3, bucket);
    await putBlock(s3, bucket, allOn);

    // Act
    const planned = await planWatched(makePrivatePlan(bucketInputs(bucket)));

    // Assess
    expect(planned.result?.changes).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
  });

  it('lists the undo deleting the block the bucket did not have, and nothing once someone deleted it by hand', async () => {
    // Prepare: a real make-private, recorded in the history
    const bucket = unique('site');
    await createBucket(s3, bucket);
    const original = await makePrivate(bucketInputs(bucket));
    expect(original.status, JSON.stringify(original.error)).toBe('Completed');
    const undo: CloudPlanRequest = { type: 'undo-make-cloud-resource-private', inputs: bucketInputs(bucket), undoOf: original.id };

    // Act
    const planned = await planWatched(undo);
    const blockAfterPlan = await readBlock(s3, bucket);
    await putBlock(s3, bucket, { BlockPublicAcls: true });
    const partly = await planWatched(undo);

    // Assess
    expect(planned.result?.changes).toEqual([
      { call: 's3:DeletePublicAccessBlock', target: `arn:aws:s3:::${bucket}`, detail: `delete the public access block of S3 bucket ${bucket} (now: ${allOnText})` },
    ]);
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(blockAfterPlan).toEqual(allOn);
    expect(partly.result?.changes).toEqual([
      {
        call: 's3:DeletePublicAccessBlock',
        target: `arn:aws:s3:::${bucket}`,
        detail: `delete the public access block of S3 bucket ${bucket} (now: BlockPublicAcls=true, IgnorePublicAcls=false, BlockPublicPolicy=false, RestrictPublicBuckets=false)`,
      },
    ]);
  });

  it('lists nothing for the undo of a make-private that found the bucket private already', async () => {
    // Prepare
    const bucket = unique('closed');
    await createBucket(s3, bucket);
    await putBlock(s3, bucket, allOn);
    const original = await makePrivate(bucketInputs(bucket));

    // Act
    const planned = await planWatched({ type: 'undo-make-cloud-resource-private', inputs: bucketInputs(bucket), undoOf: original.id });

    // Assess
    expect(planned.result?.changes).toEqual([]);
  });

  it('refuses a bucket of an account outside TARGET_ACCOUNTS before any call', async () => {
    // Act
    const planned = await planWatched(makePrivatePlan({ ...bucketInputs(unique('theirs')), 'aws.account.id': '210987654321' }));

    // Assess
    expect(planned.error).toBeInstanceOf(TargetAccountNotAllowedError);
    expect(planned.operations).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
  });
});

describe('plans of make-cloud-resource-private and its undo on RDS DB instances', () => {
  it('lists the ModifyDBInstance for a public instance, nothing for a private one, and changes nothing', async () => {
    // Prepare
    const identifier = unique('orders-db');
    const arn = await createDbInstance(rds, identifier, true);
    const privateArn = await createDbInstance(rds, unique('billing-db'), false);

    // Act
    const planned = await planWatched(makePrivatePlan({ 'aws.resource.arn': arn }));
    const none = await planWatched(makePrivatePlan({ 'aws.resource.arn': privateArn }));

    // Assess
    expect(planned.result?.changes).toEqual([
      { call: 'rds:ModifyDBInstance', target: arn, detail: `set PubliclyAccessible of RDS DB instance ${identifier} to false (now true), ApplyImmediately` },
    ]);
    expect(planned.result?.prior).toMatchObject({ kind: 'aws.rds.db-instance', dbInstanceIdentifier: identifier, publiclyAccessible: true });
    expect(none.result?.changes).toEqual([]);
    expect(writesAmong([...planned.operations, ...none.operations])).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(await publiclyAccessible(rds, identifier)).toBe(true);
  });

  it('lists the undo making the instance public again, and nothing once someone did by hand', async () => {
    // Prepare
    const identifier = unique('reports-db');
    const arn = await createDbInstance(rds, identifier, true);
    const original = await makePrivate({ 'aws.resource.arn': arn });
    expect(original.status, JSON.stringify(original.error)).toBe('Completed');
    const undo: CloudPlanRequest = { type: 'undo-make-cloud-resource-private', inputs: { 'aws.resource.arn': arn }, undoOf: original.id };

    // Act
    const planned = await planWatched(undo);
    const afterPlan = await publiclyAccessible(rds, identifier);
    await setPubliclyAccessible(rds, identifier, true);
    const afterDrift = await planWatched(undo);

    // Assess
    expect(planned.result?.changes).toEqual([
      { call: 'rds:ModifyDBInstance', target: arn, detail: `set PubliclyAccessible of RDS DB instance ${identifier} to true (now false), ApplyImmediately` },
    ]);
    expect(afterPlan).toBe(false);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
    expect(afterDrift.result?.changes).toEqual([]);
  });

  it('refuses a member of an Aurora cluster as the action would, with nothing written', async () => {
    // Prepare
    const cluster = unique('aurora');
    const arn = await createAuroraMember(rds, cluster, `${cluster}-one`);

    // Act
    const planned = await planWatched(makePrivatePlan({ 'aws.resource.arn': arn }));

    // Assess
    expect(planned.error).toBeInstanceOf(DbClusterMemberError);
    expect(writesAmong(planned.operations)).toEqual([]);
    expect(planned.itemsAfter).toBe(planned.itemsBefore);
  });
});
