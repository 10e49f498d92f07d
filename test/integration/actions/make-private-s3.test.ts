import { describe, expect, it } from 'vitest';
import { runCloudActionStep } from '#shared/actions/action-step.ts';
import { markRunning } from '#shared/actions/mark-status.ts';
import { privateFamily } from '#shared/actions/private/index.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { systemClock } from '#shared/clock.ts';
import { allOn, allUsers, bucketInputs, config, front, makePrivate, newRecord, operationsSince, region, repository, s3, statuses, sts, undo, unique, useMakePrivateHarness } from '#test/support/make-private-harness.ts';
import { motoAccountId } from '#test/support/moto-iam.ts';
import { createBucket, exposeBucket, putBlock, readBlock } from '#test/support/moto-private.ts';

useMakePrivateHarness();

describe('make-cloud-resource-private on S3 buckets (moto S3 + STS over HTTP)', () => {
  it('blocks all public access on a bucket that had no block, recording the exposure, and undo deletes the block again', async () => {
    // Prepare
    const bucket = unique('exposed-logs');
    await createBucket(s3, bucket);
    await exposeBucket(s3, bucket);
    const from = front.requests.length;

    // Act
    const privated = await makePrivate(bucketInputs(bucket));
    const calls = operationsSince(from);
    const blockWhilePrivate = await readBlock(s3, bucket);
    const undone = await undo(privated);
    const undoCalls = operationsSince(from + calls.length);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(statuses(privated)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(privated.prior).toEqual({
      kind: 'aws.s3.bucket',
      bucket,
      publicAccessBlock: null,
      policyStatus: { isPublic: true },
      acl: {
        ownerId: expect.any(String) as string,
        grants: expect.arrayContaining([{ grantee: { type: 'Group', uri: allUsers }, permission: 'READ' }]) as unknown,
      },
    });
    expect(privated.applied).toEqual({ changes: [{ action: 'PutPublicAccessBlock', before: null, after: allOn }] });
    expect(privated.result).toEqual({
      resource: `S3 bucket ${bucket}`,
      policyWasPublic: true,
      aclWasPublic: true,
      alreadyPrivate: false,
      publicAccessBlock: allOn,
      verified: true,
    });
    expect(calls).toEqual([
      'AssumeRole',
      'GetPublicAccessBlock',
      'GetBucketPolicyStatus',
      'GetBucketAcl',
      'PutPublicAccessBlock',
      'GetPublicAccessBlock',
    ]);
    expect(blockWhilePrivate).toEqual(allOn);

    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.prior).toMatchObject({ kind: 'aws.s3.bucket', bucket, publicAccessBlock: allOn });
    expect(undone.applied).toEqual({ changes: [{ action: 'DeletePublicAccessBlock', before: allOn, after: null }] });
    expect(undone.result).toEqual({
      resource: `S3 bucket ${bucket}`,
      drift: { changedSince: [] },
      restoredPublicAccessBlock: null,
      alreadyRestored: false,
      verified: true,
    });
    expect(undoCalls).toContain('DeletePublicAccessBlock');
    expect(undoCalls).not.toContain('PutPublicAccessBlock');
    expect(await readBlock(s3, bucket)).toBeNull();
    expect((await repository.get(privated.id))?.undo).toEqual({
      available: false,
      type: 'undo-make-cloud-resource-private',
      actionId: undone.id,
    });
  });

  it('records a partial block exactly and undo puts back exactly that block', async () => {
    // Prepare
    const bucket = unique('partial');
    await createBucket(s3, bucket);
    await putBlock(s3, bucket, { BlockPublicAcls: true });
    const partial = { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };

    // Act
    const privated = await makePrivate(bucketInputs(bucket));
    const blockWhilePrivate = await readBlock(s3, bucket);
    const undone = await undo(privated);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.prior).toMatchObject({ publicAccessBlock: partial, policyStatus: null });
    expect(privated.applied).toEqual({ changes: [{ action: 'PutPublicAccessBlock', before: partial, after: allOn }] });
    expect(privated.result).toMatchObject({ policyWasPublic: false, aclWasPublic: false, alreadyPrivate: false });
    expect(blockWhilePrivate).toEqual(allOn);
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.applied).toEqual({ changes: [{ action: 'PutPublicAccessBlock', before: allOn, after: partial }] });
    expect(undone.result).toMatchObject({ drift: { changedSince: [] }, restoredPublicAccessBlock: partial, alreadyRestored: false });
    expect(await readBlock(s3, bucket)).toEqual(partial);
  });

  it('changes nothing on a bucket already fully private, offers no undo, and its block stays', async () => {
    // Prepare
    const bucket = unique('already-private');
    await createBucket(s3, bucket);
    await putBlock(s3, bucket, allOn);
    const from = front.requests.length;

    // Act
    const privated = await makePrivate(bucketInputs(bucket));
    const calls = operationsSince(from);
    const undoing = undo(privated);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.prior).toMatchObject({ publicAccessBlock: allOn });
    expect(privated.applied).toEqual({ changes: [] });
    expect(privated.result).toMatchObject({ alreadyPrivate: true, verified: true });
    expect(calls).not.toContain('PutPublicAccessBlock');
    expect(privated.undo.available).toBe(false);
    await expect(undoing).rejects.toThrow(/changed nothing/);
    expect(await readBlock(s3, bucket)).toEqual(allOn);
  });

  it('records drift when a setting was changed between make-private and undo, and still restores the exact prior block', async () => {
    // Prepare
    const bucket = unique('drifting');
    await createBucket(s3, bucket);
    await putBlock(s3, bucket, { BlockPublicPolicy: true });
    const prior = { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false };
    const privated = await makePrivate(bucketInputs(bucket));
    // Between make-private and undo, someone turns IgnorePublicAcls off again.
    await putBlock(s3, bucket, { ...allOn, IgnorePublicAcls: false });

    // Act
    const undone = await undo(privated);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.result).toMatchObject({
      drift: { changedSince: [{ setting: 'IgnorePublicAcls', left: true, now: false }] },
      restoredPublicAccessBlock: prior,
    });
    expect(undone.applied).toEqual({
      changes: [{ action: 'PutPublicAccessBlock', before: { ...allOn, IgnorePublicAcls: false }, after: prior }],
    });
    expect(await readBlock(s3, bucket)).toEqual(prior);
  });

  it('a retried apply records its own change once, from prior, even though the bucket now reads as private', async () => {
    // Prepare
    const bucket = unique('retried');
    await createBucket(s3, bucket);
    const record = newRecord('make-cloud-resource-private', bucketInputs(bucket));
    await repository.create(record);
    await markRunning(repository, record.id);
    const sessions = new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId });
    const deps = { repository, config, sessions, family: privateFamily, clock: systemClock };

    // Act
    await runCloudActionStep(deps, { actionId: record.id, step: 'capture' });
    await runCloudActionStep(deps, { actionId: record.id, step: 'apply' });
    await runCloudActionStep(deps, { actionId: record.id, step: 'apply' });
    const afterRetry = await repository.get(record.id);
    await sessions.close();

    // Assess
    expect(afterRetry?.applied).toEqual({ changes: [{ action: 'PutPublicAccessBlock', before: null, after: allOn }] });
    expect(afterRetry?.result).toMatchObject({ alreadyPrivate: false });
  });

  it('ends in Error TargetNotFound for a bucket that does not exist', async () => {
    // Prepare
    const bucket = unique('ghost-bucket');

    // Act
    const record = await makePrivate(bucketInputs(bucket));

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({
      code: 'TargetNotFound',
      message: `S3 bucket ${bucket} does not exist in account ${motoAccountId} (${region})`,
    });
    expect(record.prior).toBeNull();
    expect(record.applied).toBeNull();
  });
});
