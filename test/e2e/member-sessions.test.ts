/**
 * The member-session cache (shared/adapters/member-session.ts) against real STS wire answers (the
 * instant AWS, which counts the AssumeRole calls it receives): an action's steps share one session
 * while it is fresh, each family and account gets its own role, a session near expiry is replaced,
 * the least recently used session goes first when the cache is full, and a refusal is not cached.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StsMemberSessions, type MemberSessionRequest } from '#shared/adapters/member-session.ts';
import { FixedClock } from '#shared/clock.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';
import { seedCredentials, seedMemberRoles } from '#test/support/instant-aws/seed.ts';
import { startInstantAws, type InstantAws } from '#test/support/instant-aws/server.ts';

const roleName = 'SessionsMember';
const externalId = 'sessions-external-id';
const otherAccount = '210987654321';

let aws: InstantAws;
let sts: STSClient;

beforeAll(async () => {
  aws = await startInstantAws();
  await seedMemberRoles(aws, aws.world.callerAccount, roleName, externalId, ['iam', 'ec2']);
  aws.world.account(otherAccount).addPrincipal('role', memberRoleNameOf(roleName, 'iam'), { externalId });
  sts = new STSClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials: seedCredentials });
});

afterAll(async () => {
  sts.destroy();
  await aws.close();
});

const assumed = (): number => aws.world.calls.get('sts:AssumeRole') ?? 0;

function request(actionId: string, family = 'iam', accountId = aws.world.callerAccount): MemberSessionRequest {
  return { accountId, partition: 'aws', family, actionId };
}

describe('member sessions', () => {
  it('one session per action while fresh, its own role per family and per account', async () => {
    const sessions = new StsMemberSessions({ sts, roleName, externalId });
    const before = assumed();

    const first = await sessions.sessionFor(request('a-1'));
    const again = await sessions.sessionFor(request('a-1'));
    const ec2 = await sessions.sessionFor(request('a-1', 'ec2'));
    const elsewhere = await sessions.sessionFor(request('a-1', 'iam', otherAccount));

    expect(again).toBe(first);
    expect(assumed() - before).toBe(3);
    expect(first.roleArn).toBe(`arn:aws:iam::${aws.world.callerAccount}:role/${roleName}-iam`);
    expect(ec2.roleArn).toBe(`arn:aws:iam::${aws.world.callerAccount}:role/${roleName}-ec2`);
    expect(elsewhere.roleArn).toBe(`arn:aws:iam::${otherAccount}:role/${roleName}-iam`);
    expect(aws.world.sessions.get(elsewhere.credentials.accessKeyId)?.account).toBe(otherAccount);
    await sessions.close();
  });

  it('replaces a session within the refresh margin of its expiry', async () => {
    const clock = new FixedClock(new Date());
    const sessions = new StsMemberSessions({ sts, roleName, externalId, clock, durationSeconds: 900, refreshMarginSeconds: 120 });
    const before = assumed();
    const first = await sessions.sessionFor(request('b-1'));

    clock.advance(700_000);
    expect(await sessions.sessionFor(request('b-1'))).toBe(first);
    clock.advance(90_000);
    const renewed = await sessions.sessionFor(request('b-1'));

    expect(renewed).not.toBe(first);
    expect(renewed.credentials.accessKeyId).not.toBe(first.credentials.accessKeyId);
    expect(assumed() - before).toBe(2);
    await sessions.close();
  });

  it('drops the least recently used session when full, so an action in use keeps its own', async () => {
    const sessions = new StsMemberSessions({ sts, roleName, externalId, maxSessions: 3 });
    const before = assumed();
    const a = await sessions.sessionFor(request('c-a'));
    await sessions.sessionFor(request('c-b'));
    await sessions.sessionFor(request('c-c'));
    // a's next step: it is now the most recently used.
    await sessions.sessionFor(request('c-a'));
    await sessions.sessionFor(request('c-d'));
    expect(assumed() - before).toBe(4);

    expect(await sessions.sessionFor(request('c-a'))).toBe(a);
    expect(assumed() - before).toBe(4);
    // b was the least recently used, so it went.
    await sessions.sessionFor(request('c-b'));
    expect(assumed() - before).toBe(5);
    await sessions.close();
  });

  it('never caches a refusal: the next step asks STS again', async () => {
    const sessions = new StsMemberSessions({ sts, roleName, externalId: 'not-the-external-id' });
    const before = assumed();
    await expect(sessions.sessionFor(request('d-1'))).rejects.toMatchObject({ name: 'MemberRoleUnavailableError' });
    await expect(sessions.sessionFor(request('d-1'))).rejects.toMatchObject({ name: 'MemberRoleUnavailableError' });
    expect(assumed() - before).toBe(2);
    await sessions.close();
  });
});
