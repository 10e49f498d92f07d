/**
 * The instant AWS the load benchmark measures the service's ceiling with (test/support/instant-aws)
 * must answer what real AWS answers, or the benchmark would measure nonsense: the real cloud
 * actions run through the local service against it, end Completed, and leave in its memory the
 * state AWS would have. Its answers are read by the AWS SDK's own parsers (the wire protocols),
 * and the refusals AWS makes (wrong external id, expired session, another account's bucket) are
 * asserted too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { GetPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '#local/service.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { seedCredentials, seedMemberRoles, seedTarget, seededKinds, type CloudRequest } from '#test/support/instant-aws/seed.ts';
import { startInstantAws, type InstantAws } from '#test/support/instant-aws/server.ts';

const externalId = 'instant-external-id';
const roleName = 'ResponseActionsMember';
const awsVariables = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

let aws: InstantAws;
let service: LocalService;
let dataDir: string;
const saved: Partial<Record<(typeof awsVariables)[number], string>> = {};

beforeAll(async () => {
  aws = await startInstantAws();
  await seedMemberRoles(aws, aws.world.callerAccount, roleName, externalId, ['iam', 'iam-access-keys', 'private', 'ec2']);
  for (const key of awsVariables) saved[key] = process.env[key];
  // The SDK clients of the member sessions follow AWS_ENDPOINT_URL, as the service's do in `npm start`.
  Object.assign(process.env, { AWS_ENDPOINT_URL: aws.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  dataDir = await mkdtemp(join(tmpdir(), 'instant-aws-'));
  service = await startLocalService({ dataDir, port: 0, env: { TARGET_ACCOUNTS: aws.world.callerAccount, MEMBER_ROLE_EXTERNAL_ID: externalId }, hostResponder: false, console: false });
});

afterAll(async () => {
  await service.close();
  await aws.close();
  for (const key of awsVariables) {
    if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = saved[key];
  }
  await rm(dataDir, { recursive: true, force: true });
});

async function runAction(request: Pick<CloudRequest, 'type' | 'inputs'>): Promise<ActionRecord> {
  const token = await service.issuer.issue({ sub: 'instant-test', scopes: ['containment-response-actions.exec'] });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${service.url}/v1/actions`, { method: 'POST', headers, body: JSON.stringify({ type: request.type, inputs: request.inputs }) });
  expect(created.status).toBe(202);
  const { id } = (await created.json()) as ActionRecord;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const record = (await (await fetch(`${service.url}/v1/actions/${id}`, { headers })).json()) as ActionRecord;
    if (record.status === 'Completed' || record.status === 'Error') return record;
    if (Date.now() > deadline) throw new Error(`action ${id} stayed ${record.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the instant AWS under the real cloud actions', () => {
  it('seeds one target of each kind the load benchmark mixes', () => {
    expect(seededKinds).toEqual(['iam-quarantine', 'deactivate-access-keys', 'make-cloud-resource-private', 'detach-instance-profile']);
  });

  it('iam-quarantine completes and leaves AWSDenyAll attached to the user', async () => {
    const request = await seedTarget(aws, 'iam-quarantine', 'quarantine');
    const record = await runAction(request);
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    const user = aws.world.account(aws.world.callerAccount).users.get(request.target);
    expect([...(user?.attached.keys() ?? [])]).toEqual(['arn:aws:iam::aws:policy/AWSDenyAll']);
    expect(aws.world.calls.get('sts:AssumeRole')).toBeGreaterThanOrEqual(1);
  });

  it('deactivate-access-keys completes and leaves both keys Inactive', async () => {
    const request = await seedTarget(aws, 'deactivate-access-keys', 'keys');
    const record = await runAction(request);
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    const userName = request.target;
    const keys = [...aws.world.account(aws.world.callerAccount).accessKeys.values()].filter((key) => key.userName === userName);
    expect(keys.map((key) => key.status)).toEqual(['Inactive', 'Inactive']);
  });

  it('make-cloud-resource-private completes, blocks all public access and records the public policy it found', async () => {
    const request = await seedTarget(aws, 'make-cloud-resource-private', 'bucket');
    const record = await runAction(request);
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    const name = request.target;
    expect(aws.world.buckets.get(name)?.publicAccessBlock).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(record.result).toMatchObject({ policyWasPublic: true, aclWasPublic: false, alreadyPrivate: false });
  });

  it('detach-instance-profile completes and leaves the instance without a live association', async () => {
    const request = await seedTarget(aws, 'detach-instance-profile', 'instance');
    const instanceId = request.target;
    const record = await runAction(request);
    expect(record.status, JSON.stringify(record.error)).toBe('Completed');
    const associations = [...aws.world.account(aws.world.callerAccount).associations.values()].filter((entry) => entry.instanceId === instanceId);
    expect(associations.map((entry) => entry.state)).toEqual(['disassociated']);
    expect(record.result).toMatchObject({ instanceId, alreadyDetached: false });
  });

  it('a missing target ends the action in Error as TargetNotFound', async () => {
    const record = await runAction({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': `arn:aws:iam::${aws.world.callerAccount}:user/nobody-here` } });
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe('TargetNotFound');
  });
});

describe('the instant AWS refuses what AWS refuses', () => {
  const sts = (): STSClient => new STSClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials: seedCredentials });
  const roleArn = (): string => `arn:aws:iam::${aws.world.callerAccount}:role/${memberRoleNameOf(roleName, 'private')}`;

  it('AssumeRole without the external id the trust policy demands is AccessDenied', async () => {
    const client = sts();
    await expect(client.send(new AssumeRoleCommand({ RoleArn: roleArn(), RoleSessionName: 'wrong-id', ExternalId: 'not-it' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    client.destroy();
  });

  it('an expired session is refused with ExpiredToken, and another account cannot read the bucket', async () => {
    const request = await seedTarget(aws, 'make-cloud-resource-private', 'refusal');
    const bucket = request.target;
    const client = sts();
    const { Credentials } = await client.send(new AssumeRoleCommand({ RoleArn: roleArn(), RoleSessionName: 'expiring', ExternalId: externalId, DurationSeconds: 900 }));
    client.destroy();
    const credentials = { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' };
    const s3 = new S3Client({ endpoint: aws.endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    await expect(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).rejects.toMatchObject({ name: 'NoSuchPublicAccessBlockConfiguration' });
    await expect(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket, ExpectedBucketOwner: '210987654321' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    const issued = aws.world.sessions.get(credentials.accessKeyId);
    if (issued === undefined) throw new Error('the instant AWS did not keep the session it issued');
    aws.world.sessions.set(credentials.accessKeyId, { ...issued, expiration: new Date(Date.now() - 1000) });
    await expect(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).rejects.toMatchObject({ name: 'ExpiredToken' });
    s3.destroy();
  });
});
