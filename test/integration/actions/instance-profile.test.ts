/**
 * detach-instance-profile and restore-instance-profile on moto (EC2, IAM and STS over HTTP),
 * through the shipped state machine. The records are made from the catalogue rows directly, as
 * the API makes them.
 */
import { randomUUID } from 'node:crypto';
import {
  AssociateIamInstanceProfileCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DisassociateIamInstanceProfileCommand,
} from '@aws-sdk/client-ec2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { detachInstanceProfile, restoreInstanceProfile } from '#shared/catalogue/cloud-actions.ts';
import type { ActionTypeDefinition } from '#shared/catalogue/index.ts';
import { systemClock } from '#shared/clock.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { createNetwork, instanceArn, launchInstance, startEc2Harness, type Ec2Harness } from '#test/support/moto-ec2.ts';
import { motoAccountId, motoIamClient } from '#test/support/moto-iam.ts';

let harness: Ec2Harness;
let iam: IAMClient;

beforeAll(async () => {
  harness = await startEc2Harness(inject('motoEndpoint'));
  iam = motoIamClient(inject('motoEndpoint'));
});

afterAll(async () => {
  iam.destroy();
  await harness.close();
});

/** A record exactly as the API makes one from this catalogue row. */
function newRecord(definition: ActionTypeDefinition, arn: string, undoOf: ActionRecord | null = null): ActionRecord {
  const inputs = definition.inputs.parse({ 'aws.resource.arn': arn });
  return createdRecord(
    {
      id: randomUUID(),
      type: definition.type,
      category: definition.category,
      executor: definition.executorFor(inputs),
      inputs,
      resources: definition.resourcesOf(inputs),
      createdBy: 'analyst-1',
      undoType: definition.undoType,
      undoOf: undoOf?.id ?? null,
    },
    systemClock.now(),
  );
}

async function restore(original: ActionRecord): Promise<ActionRecord> {
  const record = newRecord(restoreInstanceProfile, String(original.inputs['aws.resource.arn']), original);
  await harness.repository.claimUndo(original.id, record.id);
  return harness.run(record);
}

/** An instance profile with one role of its own. */
async function instanceProfile(name: string): Promise<string> {
  const suffix = randomUUID().slice(0, 8);
  await iam.send(new CreateRoleCommand({ RoleName: `${name}-${suffix}`, AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
  const { InstanceProfile } = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: `${name}-${suffix}` }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: `${name}-${suffix}`, RoleName: `${name}-${suffix}` }));
  return InstanceProfile?.Arn ?? '';
}

async function associate(instanceId: string, profileArn: string): Promise<string> {
  const { IamInstanceProfileAssociation } = await harness.ec2.send(
    new AssociateIamInstanceProfileCommand({ InstanceId: instanceId, IamInstanceProfile: { Arn: profileArn } }),
  );
  return IamInstanceProfileAssociation?.AssociationId ?? '';
}

/** The profiles associated with the instance now. */
async function profilesOf(instanceId: string): Promise<string[]> {
  const { IamInstanceProfileAssociations } = await harness.ec2.send(
    new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }),
  );
  return (IamInstanceProfileAssociations ?? [])
    .filter((association) => association.State === 'associated' || association.State === 'associating')
    .map((association) => association.IamInstanceProfile?.Arn ?? '');
}

describe('detach-instance-profile and restore-instance-profile on moto (EC2 + IAM + STS over HTTP)', () => {
  it('detaches the profile, recording which, and the undo associates exactly that profile again', async () => {
    // Prepare
    const instanceId = await launchInstance(harness.ec2, { network: await createNetwork(harness.ec2) });
    const profileArn = await instanceProfile('web');
    const associationId = await associate(instanceId, profileArn);

    // Act
    const detached = await harness.run(newRecord(detachInstanceProfile, instanceArn(instanceId)));

    // Assess
    expect(detached.status).toBe('Completed');
    expect(detached.prior).toEqual({ instanceId, association: { associationId, instanceProfileArn: profileArn, state: 'associated' } });
    expect(detached.applied).toEqual({ changes: [{ action: 'DisassociateIamInstanceProfile', associationId, instanceProfileArn: profileArn }] });
    expect(detached.result).toMatchObject({ instanceId, alreadyDetached: false, instanceProfileArn: profileArn, verified: true });
    expect(await profilesOf(instanceId)).toEqual([]);

    // Act
    const restored = await restore(detached);

    // Assess
    expect(restored.status).toBe('Completed');
    expect(restored.result).toMatchObject({ drift: { associatedSince: null }, restored: 'profileAssociated', instanceProfileArn: profileArn, verified: true });
    expect(await profilesOf(instanceId)).toEqual([profileArn]);
  });

  it('changes nothing on an instance without a profile (no undo offered)', async () => {
    // Prepare
    const instanceId = await launchInstance(harness.ec2, { network: await createNetwork(harness.ec2) });

    // Act
    const detached = await harness.run(newRecord(detachInstanceProfile, instanceArn(instanceId)));
    const undo = await restore(detached).then(
      () => null,
      (error: unknown) => error,
    );

    // Assess
    expect(detached.status).toBe('Completed');
    expect(detached.applied).toEqual({ changes: [] });
    expect(detached.result).toMatchObject({ alreadyDetached: true, verified: true });
    expect(detached.undo.available).toBe(false);
    expect(undo).toBeInstanceOf(Error);
    expect((undo as Error).message).toMatch(/changed nothing/);
    expect(await profilesOf(instanceId)).toEqual([]);
  });

  it('reports another profile associated since as drift and leaves it, never replacing it', async () => {
    // Prepare
    const instanceId = await launchInstance(harness.ec2, { network: await createNetwork(harness.ec2) });
    const original = await instanceProfile('app');
    await associate(instanceId, original);
    const detached = await harness.run(newRecord(detachInstanceProfile, instanceArn(instanceId)));
    const other = await instanceProfile('other');
    const otherAssociation = await associate(instanceId, other);

    // Act
    const restored = await restore(detached);

    // Assess
    expect(restored.status).toBe('Completed');
    expect(restored.applied).toEqual({ changes: [] });
    expect(restored.result).toMatchObject({
      drift: { associatedSince: { instanceProfileArn: other, associationId: otherAssociation }, sameProfile: false },
      restored: 'leftAsFound',
    });
    expect(await profilesOf(instanceId)).toEqual([other]);
  });

  it('ends in Error TargetNotFound for an instance that does not exist, having recorded nothing', async () => {
    // Act
    const record = await harness.run(newRecord(detachInstanceProfile, instanceArn('i-0fedcba9876543210')));

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({
      code: 'TargetNotFound',
      message: `EC2 instance i-0fedcba9876543210 in us-east-1 does not exist in account ${motoAccountId} (InvalidInstanceID.NotFound)`,
    });
    expect(record.prior).toBeNull();
  });

  it('takes a profile someone detached by hand after capture as this action\'s own change', async () => {
    // Prepare: the association goes between capture and apply, as when an earlier apply removed it and failed before recording.
    const instanceId = await launchInstance(harness.ec2, { network: await createNetwork(harness.ec2) });
    const profileArn = await instanceProfile('db');
    const associationId = await associate(instanceId, profileArn);
    const record = newRecord(detachInstanceProfile, instanceArn(instanceId));
    await harness.repository.create(record);
    await harness.repository.recordProgress(record.id, {
      prior: { instanceId, association: { associationId, instanceProfileArn: profileArn, state: 'associated' } },
    });
    await harness.ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: associationId }));

    // Act
    await harness.runtime.starter.start(record);
    await harness.runtime.idle();
    const final = await harness.repository.get(record.id);

    // Assess
    expect(final?.status).toBe('Completed');
    expect(final?.applied).toEqual({ changes: [{ action: 'DisassociateIamInstanceProfile', associationId, instanceProfileArn: profileArn }] });
  });
});
