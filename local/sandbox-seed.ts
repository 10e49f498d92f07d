/**
 * The sandbox's demo account, seeded into a moto_server: every family's member role
 * (`<memberRoleName>-<family>`), a user with keys and policies, a role, a public bucket, a
 * public RDS instance and an instance with two volumes.
 */
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateVolumeCommand, AttachVolumeCommand, DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { memberRoleNameOf } from '#shared/config/config.ts';

/** moto's default account: the one its default credentials act in. */
export const demoAccountId = '123456789012';
export const demoRegion = 'us-east-1';

export interface DemoAccount {
  readonly accountId: string;
  readonly region: string;
  readonly userArn: string;
  readonly roleArn: string;
  readonly bucketArn: string;
  readonly dbArn: string;
  readonly instanceArn: string;
}

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** Creates the demo resources (names made unique with `suffix`) in the moto_server at `endpoint`. */
export async function seedDemoAccount(options: {
  endpoint: string;
  /** MEMBER_ROLE_NAME: the base of every family's role name. */
  memberRoleName: string;
  externalId: string;
  suffix?: string;
}): Promise<DemoAccount> {
  const suffix = options.suffix ?? '';
  const config = { endpoint: options.endpoint, region: demoRegion, credentials };
  const iam = new IAMClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const rds = new RDSClient(config);
  const ec2 = new EC2Client(config);
  try {
    // One member role per family, as the member-account stack deploys them.
    for (const family of cloudActionFamilyDeployments) {
      await iam
        .send(
          new CreateRoleCommand({
            RoleName: memberRoleNameOf(options.memberRoleName, family.name),
            AssumeRolePolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: `arn:aws:iam::${demoAccountId}:root` },
                  Action: 'sts:AssumeRole',
                  Condition: { StringEquals: { 'sts:ExternalId': options.externalId } },
                },
              ],
            }),
          }),
        )
        .catch((error: unknown) => {
          if ((error as { name?: string }).name !== 'EntityAlreadyExistsException') throw error;
        });
    }

    const userName = `demo-user${suffix}`;
    const user = await iam.send(new CreateUserCommand({ UserName: userName }));
    await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: userName,
        PolicyName: 'demo-s3-writer',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::*' }],
        }),
      }),
    );
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: `demo-app-role${suffix}`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );

    const bucket = `demo-public-bucket${suffix}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }],
        }),
      }),
    );

    const db = await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: `demo-db${suffix}`,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        AllocatedStorage: 20,
        MasterUsername: 'demo',
        MasterUserPassword: 'demo-password-1',
        PubliclyAccessible: true,
      }),
    );

    const images = await ec2.send(new DescribeImagesCommand({}));
    const imageId = images.Images?.[0]?.ImageId;
    if (imageId === undefined) throw new Error('moto_server offers no machine image to start the demo instance from');
    const run = await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' }));
    const instance = run.Instances?.[0];
    const instanceId = instance?.InstanceId;
    const zone = instance?.Placement?.AvailabilityZone;
    if (instanceId === undefined || zone === undefined) throw new Error('moto_server did not start the demo instance');
    // moto gives the instance a root volume; a second, data volume makes two.
    const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 8 }));
    if (volume.VolumeId === undefined) throw new Error('moto_server did not create the demo volume');
    await ec2.send(new AttachVolumeCommand({ VolumeId: volume.VolumeId, InstanceId: instanceId, Device: '/dev/sdf' }));

    return {
      accountId: demoAccountId,
      region: demoRegion,
      userArn: user.User?.Arn ?? `arn:aws:iam::${demoAccountId}:user/${userName}`,
      roleArn: role.Role?.Arn ?? `arn:aws:iam::${demoAccountId}:role/demo-app-role${suffix}`,
      bucketArn: `arn:aws:s3:::${bucket}`,
      dbArn: db.DBInstance?.DBInstanceArn ?? `arn:aws:rds:${demoRegion}:${demoAccountId}:db:demo-db${suffix}`,
      instanceArn: `arn:aws:ec2:${demoRegion}:${demoAccountId}:instance/${instanceId}`,
    };
  } finally {
    for (const client of [iam, s3, rds, ec2]) client.destroy();
  }
}
