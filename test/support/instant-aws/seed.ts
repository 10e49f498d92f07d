/**
 * Targets for the cloud actions the instant AWS answers, made through its own wire protocols with
 * the SDK (member roles, users and their access keys, buckets), except EC2 instances, which the
 * instant AWS has no RunInstances for and are put in its memory directly.
 */
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { memberRoleNameOf } from '#shared/config/config.ts';
import type { InstantAws } from './server.ts';

export const seedCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** One cloud action to request: its type and inputs. */
export interface CloudRequest {
  readonly type: string;
  readonly inputs: Record<string, string>;
  /** What the action acts on, by name: the user, the bucket, the instance id. */
  readonly target: string;
}

export type SeededKind = 'iam-quarantine' | 'deactivate-access-keys' | 'make-cloud-resource-private' | 'detach-instance-profile';
export const seededKinds: readonly SeededKind[] = ['iam-quarantine', 'deactivate-access-keys', 'make-cloud-resource-private', 'detach-instance-profile'];

/** Creates every family's member role in `account`, trusting the caller with `externalId`, as the member stack does. */
export async function seedMemberRoles(aws: InstantAws, account: string, roleName: string, externalId: string, families: readonly string[]): Promise<void> {
  const iam = new IAMClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials: seedCredentials });
  try {
    for (const family of families) {
      await iam.send(
        new CreateRoleCommand({
          RoleName: memberRoleNameOf(roleName, family),
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${aws.world.callerAccount}:root` }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': externalId } } }],
          }),
        }),
      );
    }
  } finally {
    iam.destroy();
  }
}

/**
 * `count` targets of `kind` in `account` (the caller's account here: the instant AWS creates what
 * the caller's credentials name), each with what the action changes: a user for quarantine, a user
 * with two active keys, a bucket with a public policy and no public access block, an instance with
 * an instance profile.
 */
/** One target of `kind`; see seedTargets. */
export async function seedTarget(aws: InstantAws, kind: SeededKind, prefix: string): Promise<CloudRequest> {
  const [request] = await seedTargets(aws, kind, 1, prefix);
  if (request === undefined) throw new Error(`no ${kind} target was seeded`);
  return request;
}

export async function seedTargets(aws: InstantAws, kind: SeededKind, count: number, prefix: string): Promise<CloudRequest[]> {
  const account = aws.world.callerAccount;
  const iam = new IAMClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials: seedCredentials });
  const s3 = new S3Client({ endpoint: aws.endpoint, region: 'us-east-1', credentials: seedCredentials, forcePathStyle: true });
  try {
    return await Promise.all(
      Array.from({ length: count }, async (_, index): Promise<CloudRequest> => {
        const name = `${prefix}-${kind.slice(0, 6)}-${String(index)}`;
        switch (kind) {
          case 'iam-quarantine':
            await iam.send(new CreateUserCommand({ UserName: name }));
            return { type: kind, inputs: { 'aws.resource.arn': `arn:aws:iam::${account}:user/${name}` }, target: name };
          case 'deactivate-access-keys':
            await iam.send(new CreateUserCommand({ UserName: name }));
            await iam.send(new CreateAccessKeyCommand({ UserName: name }));
            await iam.send(new CreateAccessKeyCommand({ UserName: name }));
            return { type: kind, inputs: { 'aws.resource.arn': `arn:aws:iam::${account}:user/${name}` }, target: name };
          case 'make-cloud-resource-private': {
            await s3.send(new CreateBucketCommand({ Bucket: name }));
            const bucket = aws.world.buckets.get(name);
            if (bucket !== undefined) bucket.policyIsPublic = true;
            return { type: kind, inputs: { 'aws.resource.arn': `arn:aws:s3:::${name}`, 'aws.account.id': account, 'aws.region': 'us-east-1' }, target: name };
          }
          case 'detach-instance-profile': {
            const instance = aws.world.account(account).addInstance('us-east-1', `arn:aws:iam::${account}:instance-profile/${name}`);
            return { type: kind, inputs: { 'aws.resource.arn': `arn:aws:ec2:us-east-1:${account}:instance/${instance.id}` }, target: instance.id };
          }
        }
      }),
    );
  } finally {
    iam.destroy();
    s3.destroy();
  }
}
