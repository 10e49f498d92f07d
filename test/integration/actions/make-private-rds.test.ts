import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient, RDSServiceException, type DBInstance } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { runCloudActionStep } from '#shared/actions/action-step.ts';
import { errorCodeOf } from '#shared/actions/errors.ts';
import { markRunning } from '#shared/actions/mark-status.ts';
import { privateFamily } from '#shared/actions/private/index.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { systemClock } from '#shared/clock.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';
import { config, dbArn, entered, front, makePrivate, newRecord, operationsSince, rds, region, repository, runtime, runtimeWithRds, sts, undo, unique, useMakePrivateHarness } from '#test/support/make-private-harness.ts';
import { motoAccountId } from '#test/support/moto-iam.ts';
import { createAuroraMember, createDbInstance, publiclyAccessible, setPubliclyAccessible } from '#test/support/moto-private.ts';

useMakePrivateHarness();

describe('make-cloud-resource-private on RDS DB instances (moto RDS + STS over HTTP)', () => {
  it('makes a public instance private, waiting 15 s between looks, and undo makes it public again', async () => {
    // Prepare
    const identifier = unique('orders-db');
    const arn = await createDbInstance(rds, identifier, true);
    const from = front.requests.length;

    // Act
    const privated = await makePrivate({ 'aws.resource.arn': arn });
    const calls = front.requests.slice(from);
    const whilePrivate = await publiclyAccessible(rds, identifier);
    const undone = await undo(privated);

    // Assess
    expect(arn).toBe(dbArn(identifier));
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.prior).toEqual({
      kind: 'aws.rds.db-instance',
      dbInstanceIdentifier: identifier,
      dbInstanceArn: arn,
      publiclyAccessible: true,
      dbInstanceStatus: 'available',
      dbClusterIdentifier: null,
    });
    expect(privated.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }],
    });
    expect(privated.result).toEqual({ resource: `RDS DB instance ${identifier}`, alreadyPrivate: false, publiclyAccessible: false, verified: true });
    expect(calls.filter((call) => call.operation === 'ModifyDBInstance')).toEqual([{ operation: 'ModifyDBInstance', resource: identifier }]);
    expect(entered(runtime.history(privated.id))).toEqual([
      'MarkRunning',
      'Capture',
      'Apply',
      'ApplyPending',
      'StartWaitRounds',
      'WithinWaitBound',
      'WaitForChange',
      'Check',
      'CheckPending',
      'Verify',
      'MarkCompleted',
    ]);
    const waits = runtime.history(privated.id).flatMap((event) =>
      event.type === 'StateEntered' && event.state.name === 'WaitForChange' ? [event.state.input] : [],
    );
    expect(waits).toEqual([expect.objectContaining({ progress: { pending: true, waitSeconds: 15 } })]);
    expect(whilePrivate).toBe(false);

    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.prior).toMatchObject({ publiclyAccessible: false });
    expect(undone.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: false }, after: { publiclyAccessible: true } }],
    });
    expect(undone.result).toEqual({
      resource: `RDS DB instance ${identifier}`,
      drift: { changedSince: [] },
      restoredPubliclyAccessible: true,
      alreadyRestored: false,
      publiclyAccessible: true,
      verified: true,
    });
    expect(await publiclyAccessible(rds, identifier)).toBe(true);
  });

  it('a retried apply calls ModifyDBInstance once and records the change once', async () => {
    // Prepare
    const identifier = unique('retried-db');
    const arn = await createDbInstance(rds, identifier, true);
    const record = newRecord('make-cloud-resource-private', { 'aws.resource.arn': arn });
    await repository.create(record);
    await markRunning(repository, record.id);
    const sessions = new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId });
    const deps = { repository, config, sessions, family: privateFamily, clock: systemClock };
    const from = front.requests.length;

    // Act
    await runCloudActionStep(deps, { actionId: record.id, step: 'capture' });
    const first = await runCloudActionStep(deps, { actionId: record.id, step: 'apply' });
    const retried = await runCloudActionStep(deps, { actionId: record.id, step: 'apply' });
    const afterRetry = await repository.get(record.id);
    await sessions.close();

    // Assess
    expect(first).toEqual({ pending: true, waitSeconds: 15, result: null });
    expect(retried).toEqual(first);
    expect(operationsSince(from).filter((operation) => operation === 'ModifyDBInstance')).toHaveLength(1);
    expect(afterRetry?.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }],
    });
  });

  it('reports drift on undo when someone made the instance public again, and changes nothing more', async () => {
    // Prepare
    const identifier = unique('reopened-db');
    const arn = await createDbInstance(rds, identifier, true);
    const privated = await makePrivate({ 'aws.resource.arn': arn });
    await setPubliclyAccessible(rds, identifier, true);
    const from = front.requests.length;

    // Act
    const undone = await undo(privated);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(undone.applied).toEqual({ changes: [] });
    expect(undone.result).toMatchObject({
      drift: { changedSince: [{ setting: 'PubliclyAccessible', left: false, now: true }] },
      restoredPubliclyAccessible: true,
      alreadyRestored: true,
      verified: true,
    });
    expect(operationsSince(from)).not.toContain('ModifyDBInstance');
  });

  it('changes nothing on an instance that is already not publicly accessible, and offers no undo', async () => {
    // Prepare
    const identifier = unique('internal-db');
    const arn = await createDbInstance(rds, identifier, false);
    const from = front.requests.length;

    // Act
    const privated = await makePrivate({ 'aws.resource.arn': arn });

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.prior).toMatchObject({ publiclyAccessible: false });
    expect(privated.applied).toEqual({ changes: [] });
    expect(privated.result).toMatchObject({ alreadyPrivate: true, verified: true });
    expect(operationsSince(from)).not.toContain('ModifyDBInstance');
    expect(privated.undo.available).toBe(false);
    expect(await publiclyAccessible(rds, identifier)).toBe(false);
  });

  it('refuses an Aurora cluster member, saying to act on the cluster, and changes nothing', async () => {
    // Prepare
    const cluster = unique('aurora');
    const member = `${cluster}-one`;
    const arn = await createAuroraMember(rds, cluster, member);
    const from = front.requests.length;

    // Act
    const record = await makePrivate({ 'aws.resource.arn': arn });

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe(errorCodeOf('DbClusterMemberError'));
    expect(record.error?.message).toContain(`member of DB cluster ${cluster}`);
    expect(record.error?.message).toContain(`act on the cluster ${cluster}`);
    expect(record.prior).toMatchObject({ dbClusterIdentifier: cluster, publiclyAccessible: true });
    expect(record.applied).toBeNull();
    expect(record.undo.available).toBe(false);
    expect(operationsSince(from)).not.toContain('ModifyDBInstance');
    expect(await publiclyAccessible(rds, member)).toBe(true);
  });

  it('ends in Error TargetNotFound for an instance that does not exist', async () => {
    // Prepare
    const identifier = unique('ghost-db');

    // Act
    const record = await makePrivate({ 'aws.resource.arn': dbArn(identifier) });

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({
      code: 'TargetNotFound',
      message: `RDS DB instance ${identifier} does not exist in account ${motoAccountId} (${region})`,
    });
  });
});

describe('make-cloud-resource-private on RDS through the shipped state machine, RDS stubbed (aws-sdk-client-mock)', () => {
  /**
   * One instance whose state the stub serves: ModifyDBInstance starts `modifyingLooks` looks at
   * `modifying`; the first looks fail with `failures`, in order.
   */
  function stubbedInstance(
    identifier: string,
    initial: { status: string; publiclyAccessible: boolean; modifyingLooks?: number; failures?: Error[] },
  ) {
    const client = new RDSClient({ region, credentials: emulatorCredentials });
    const stub = mockClient(client);
    const state = { status: initial.status, publiclyAccessible: initial.publiclyAccessible, modifying: 0, wanted: initial.publiclyAccessible };
    const instance = (): DBInstance => ({
      DBInstanceIdentifier: identifier,
      DBInstanceArn: dbArn(identifier),
      DBInstanceStatus: state.status,
      PubliclyAccessible: state.publiclyAccessible,
    });
    const failures = [...(initial.failures ?? [])];
    stub.on(DescribeDBInstancesCommand).callsFake(() => {
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      if (state.modifying > 0) {
        state.modifying -= 1;
        return { DBInstances: [{ ...instance(), DBInstanceStatus: 'modifying' }] };
      }
      state.publiclyAccessible = state.wanted;
      return { DBInstances: [instance()] };
    });
    stub.on(ModifyDBInstanceCommand).callsFake((input: { PubliclyAccessible?: boolean }) => {
      state.wanted = input.PubliclyAccessible ?? state.wanted;
      state.modifying = initial.modifyingLooks ?? 0;
      return { DBInstance: { ...instance(), DBInstanceStatus: 'modifying' } };
    });
    return { client, stub };
  }

  it('waits while the instance is modifying (twice), 15 s each time, then completes', async () => {
    // Prepare
    const identifier = unique('busy-db');
    const { client, stub } = stubbedInstance(identifier, { status: 'available', publiclyAccessible: true, modifyingLooks: 2 });
    const stubbedRuntime = runtimeWithRds(client);

    // Act
    const privated = await makePrivate({ 'aws.resource.arn': dbArn(identifier) }, stubbedRuntime);
    const history = stubbedRuntime.history(privated.id);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    expect(privated.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }],
    });
    expect(entered(history).filter((state) => state === 'Check')).toHaveLength(3);
    const waits = history.flatMap((event) =>
      event.type === 'StateEntered' && event.state.name === 'WaitForChange' ? [event.state.input] : [],
    );
    expect(waits).toHaveLength(3);
    for (const input of waits) expect(input).toMatchObject({ progress: { pending: true, waitSeconds: 15 } });
    expect(stub.commandCalls(ModifyDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: identifier, PubliclyAccessible: false, ApplyImmediately: true },
    ]);
  });

  it('retries a throttled step (Throttling, then ThrottlingException) and completes', async () => {
    // Prepare
    const identifier = unique('throttled-db');
    const throttled = (name: string) =>
      new RDSServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
    const { client } = stubbedInstance(identifier, {
      status: 'available',
      publiclyAccessible: true,
      failures: [throttled('Throttling'), throttled('ThrottlingException')],
    });
    const stubbedRuntime = runtimeWithRds(client);

    // Act
    const privated = await makePrivate({ 'aws.resource.arn': dbArn(identifier) }, stubbedRuntime);
    const history = stubbedRuntime.history(privated.id);

    // Assess
    expect(privated.status, JSON.stringify(privated.error)).toBe('Completed');
    const retries = history.flatMap((event) => (event.type === 'StateRetried' ? [event.state.name] : []));
    expect(retries).toEqual(['Capture', 'Capture']);
    const failures = history.flatMap((event) => (event.type === 'StateFailed' ? [event.Error] : []));
    expect(failures).toEqual(['ThrottlingError', 'ThrottlingError']);
    expect(privated.applied).toEqual({
      changes: [{ action: 'ModifyDBInstance', before: { publiclyAccessible: true }, after: { publiclyAccessible: false } }],
    });
  });

  it('ends in Error without modifying a stopped instance, saying it must be available', async () => {
    // Prepare
    const identifier = unique('stopped-db');
    const { client, stub } = stubbedInstance(identifier, { status: 'stopped', publiclyAccessible: true });
    const stubbedRuntime = runtimeWithRds(client);

    // Act
    const record = await makePrivate({ 'aws.resource.arn': dbArn(identifier) }, stubbedRuntime);

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe(errorCodeOf('DbInstanceNotModifiableError'));
    expect(record.error?.message).toContain(`RDS DB instance ${identifier} is stopped`);
    expect(record.prior).toMatchObject({ dbInstanceStatus: 'stopped', publiclyAccessible: true });
    expect(record.applied).toBeNull();
    expect(stub.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });
});
