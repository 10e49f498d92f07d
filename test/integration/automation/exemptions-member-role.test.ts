import { randomUUID } from 'node:crypto';
import { CreateTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, IAMServiceException, ListUserTagsCommand, TagRoleCommand, TagUserCommand } from '@aws-sdk/client-iam';
import { AddTagsToResourceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { PutBucketTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { MemberRoleExemptionChecker, createExemptionClients } from '#shared/automation/exemptions/index.ts';
import { awsResource, hostResource, kubernetesResource } from '#shared/catalogue/resource-keys.ts';
import { defaultMemberRoleName } from '#shared/config/config.ts';
import type { FindingResource, NormalisedFinding } from '#shared/findings/index.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';
import { createNetwork, instanceArn, launchInstance, motoEc2Client } from '#test/support/moto-ec2.ts';
import { createMemberRoles, createRole, createUser, motoAccountId, motoIamClient, startMotoFront, type MotoFront } from '#test/support/moto-iam.ts';
import { createBucket, createDbInstance, motoRdsClient, motoS3Client } from '#test/support/moto-private.ts';

const externalId = 'response-actions-test-external-id';
const region = 'us-east-1';
let front: MotoFront;
let iam: IAMClient;
let ec2: EC2Client;
let s3: S3Client;
let rds: RDSClient;
let sts: STSClient;
let checker: MemberRoleExemptionChecker;

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  front = await startMotoFront(moto);
  // Every target-account call (STS included) follows AWS_ENDPOINT_URL, here through the front that checks AssumeRole.
  vi.stubEnv('AWS_ENDPOINT_URL', front.endpoint);
  iam = motoIamClient(moto);
  ec2 = motoEc2Client(moto);
  s3 = motoS3Client(moto, region);
  rds = motoRdsClient(moto, region);
  await createMemberRoles(iam, defaultMemberRoleName, externalId, ['exemptions']);
  sts = new STSClient({ region, credentials: emulatorCredentials });
  checker = new MemberRoleExemptionChecker({ sessions: new StsMemberSessions({ sts, roleName: defaultMemberRoleName, externalId }) });
});

afterAll(async () => {
  for (const client of [iam, ec2, s3, rds, sts]) client.destroy();
  await front.close();
  vi.unstubAllEnvs();
});

const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

function finding(resource: FindingResource): NormalisedFinding {
  return {
    source: 'guardduty',
    findingId: randomUUID(),
    findingType: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    types: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'],
    severity: 'HIGH',
    sourceSeverity: '8',
    accountId: motoAccountId,
    region,
    resourceRole: null,
    partition: 'aws',
    productName: null,
    workflow: 'active',
    workflowReason: null,
    sample: false,
    updateCount: 1,
    updatedAt: null,
    resource,
    resources: [resource],
    unmappedReason: null,
  };
}

const aws = (arn: string, inputs: Record<string, string> = {}): FindingResource => ({ ...awsResource(arn), inputs: { 'aws.resource.arn': arn, ...inputs } });
const check = (resource: FindingResource): ReturnType<MemberRoleExemptionChecker['check']> => checker.check(resource, finding(resource));
const tag = (value: string): { Key: string; Value: string } => ({ Key: 'response-actions:exempt', Value: value });

describe('MemberRoleExemptionChecker against moto', () => {
  it('exempts an IAM user and role tagged true (any case), through the exemptions member role', async () => {
    // Prepare
    const user = unique('exempt-user');
    const role = unique('exempt-role');
    const userArn = await createUser(iam, user);
    const roleArn = await createRole(iam, role);
    await iam.send(new TagUserCommand({ UserName: user, Tags: [{ Key: 'team', Value: 'payments' }, tag('true')] }));
    await iam.send(new TagRoleCommand({ RoleName: role, Tags: [tag('True')] }));
    const before = front.requests.length;

    // Act
    const userVerdict = await check(aws(userArn));
    const roleVerdict = await check(aws(roleArn));

    // Assess
    expect(userVerdict).toEqual({ exempt: true, reason: `${userArn} is tagged response-actions:exempt=true` });
    expect(roleVerdict).toEqual({ exempt: true, reason: `${roleArn} is tagged response-actions:exempt=True` });
    const calls = front.requests.slice(before);
    const assumed = calls.filter((request) => request.action === 'AssumeRole').map((request) => request.parameters['RoleArn']);
    expect(new Set(assumed)).toEqual(new Set([`arn:aws:iam::${motoAccountId}:role/${defaultMemberRoleName}-exemptions`]));
    expect(calls.map((request) => request.action).filter((action) => action !== 'AssumeRole')).toEqual(['ListUserTags', 'ListRoleTags']);
  });

  it('does not exempt an untagged user, one tagged with another value, or a key spelled in another case', async () => {
    // Prepare
    const [plain, other, wrongKey] = [unique('plain'), unique('other'), unique('wrong-key')];
    const arns = [await createUser(iam, plain), await createUser(iam, other), await createUser(iam, wrongKey)];
    await iam.send(new TagUserCommand({ UserName: other, Tags: [tag('yes')] }));
    await iam.send(new TagUserCommand({ UserName: wrongKey, Tags: [{ Key: 'Response-Actions:Exempt', Value: 'true' }] }));

    // Act
    const verdicts = await Promise.all(arns.map((arn) => check(aws(arn))));

    // Assess
    expect(verdicts).toEqual([
      { exempt: false, reason: `${arns[0] ?? ''} carries no response-actions:exempt tag` },
      { exempt: false, reason: `${arns[1] ?? ''} is tagged response-actions:exempt="yes", which is not true` },
      { exempt: false, reason: `${arns[2] ?? ''} carries no response-actions:exempt tag` },
    ]);
  });

  it('reads EC2 instance tags, exempting only the tagged instance', async () => {
    // Prepare
    const network = await createNetwork(ec2);
    const tagged = await launchInstance(ec2, { network });
    const untagged = await launchInstance(ec2, { network });
    await ec2.send(new CreateTagsCommand({ Resources: [tagged], Tags: [tag('TRUE'), { Key: 'Name', Value: 'db-primary' }] }));
    await ec2.send(new CreateTagsCommand({ Resources: [untagged], Tags: [{ Key: 'Name', Value: 'web' }] }));

    // Act
    const taggedVerdict = await check(aws(instanceArn(tagged)));
    const untaggedVerdict = await check(aws(instanceArn(untagged)));

    // Assess
    expect(taggedVerdict).toMatchObject({ exempt: true });
    expect(untaggedVerdict).toEqual({ exempt: false, reason: `${instanceArn(untagged)} carries no response-actions:exempt tag` });
  });

  it('reads S3 bucket tags; a bucket with no tag set at all is not exempt', async () => {
    // Prepare
    const [tagged, bare, other] = [unique('exempt-bucket'), unique('bare-bucket'), unique('other-bucket')];
    for (const bucket of [tagged, bare, other]) await createBucket(s3, bucket);
    await s3.send(new PutBucketTaggingCommand({ Bucket: tagged, Tagging: { TagSet: [tag('true')] } }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: other, Tagging: { TagSet: [tag('false')] } }));
    const bucket = (name: string): FindingResource => aws(`arn:aws:s3:::${name}`, { 'aws.account.id': motoAccountId, 'aws.region': region });

    // Act
    const verdicts = await Promise.all([tagged, bare, other].map((name) => check(bucket(name))));

    // Assess
    expect(verdicts.map((verdict) => verdict.exempt)).toEqual([true, false, false]);
    expect(verdicts[1]).toEqual({ exempt: false, reason: `arn:aws:s3:::${bare} carries no response-actions:exempt tag` });
    expect(verdicts.some((verdict) => verdict.unknown === true)).toBe(false);
  });

  it('reads RDS DB instance tags', async () => {
    // Prepare
    const [tagged, untagged] = [unique('exempt-db'), unique('plain-db')];
    const taggedArn = await createDbInstance(rds, tagged, false);
    const untaggedArn = await createDbInstance(rds, untagged, false);
    await rds.send(new AddTagsToResourceCommand({ ResourceName: taggedArn, Tags: [tag('true')] }));

    // Act
    const verdicts = [await check(aws(taggedArn)), await check(aws(untaggedArn))];

    // Assess
    expect(verdicts).toEqual([
      { exempt: true, reason: `${taggedArn} is tagged response-actions:exempt=true` },
      { exempt: false, reason: `${untaggedArn} carries no response-actions:exempt tag` },
    ]);
  });

  it('answers unknown, never "not exempt", when the exemptions role cannot be assumed, reading no tag', async () => {
    // Prepare: the member account lacks the role (AWS answers AccessDenied, as the front does).
    const user = unique('tagged-but-unreadable');
    const arn = await createUser(iam, user);
    await iam.send(new TagUserCommand({ UserName: user, Tags: [tag('true')] }));
    const denied = new MemberRoleExemptionChecker({ sessions: new StsMemberSessions({ sts, roleName: 'not-deployed', externalId }) });
    const before = front.requests.length;

    // Act
    const verdict = await denied.check(aws(arn), finding(aws(arn)));

    // Assess
    expect(verdict).toMatchObject({ exempt: false, unknown: true });
    expect(verdict.reason).toContain(`cannot read the response-actions:exempt tag of ${arn}`);
    expect(verdict.reason).toContain('not-deployed-exemptions');
    expect(front.requests.slice(before).map((request) => request.action)).toEqual(['AssumeRole']);
  });

  it('answers unknown when the resource is not found', async () => {
    // Prepare
    const arn = `arn:aws:iam::${motoAccountId}:user/${unique('nobody')}`;

    // Act
    const verdict = await check(aws(arn));

    // Assess
    expect(verdict).toMatchObject({ exempt: false, unknown: true });
    expect(verdict.reason).toContain(`not found: iam:ListUserTags on IAM user ${arn.split('/').at(-1) ?? ''}`);
  });

  it('answers unknown when AWS throttles the tag read', async () => {
    // Prepare: moto never throttles, so the IAM client is aws-sdk-client-mock's, answering as IAM does when it throttles.
    const throttled = new IAMClient({ region, credentials: emulatorCredentials });
    const rateExceeded = new IAMServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
    mockClient(throttled).on(ListUserTagsCommand).rejects(rateExceeded);
    const stubbed = new MemberRoleExemptionChecker({
      sessions: new StsMemberSessions({ sts, roleName: defaultMemberRoleName, externalId }),
      createClients: (session) => ({ ...createExemptionClients(session), iam: throttled }),
    });
    const arn = `arn:aws:iam::${motoAccountId}:user/busy`;

    // Act
    const verdict = await stubbed.check(aws(arn), finding(aws(arn)));

    // Assess
    expect(verdict).toMatchObject({ exempt: false, unknown: true });
    expect(verdict.reason).toContain('AWS throttled iam:ListUserTags on IAM user busy');
  });

  it('defers Kubernetes targets to the cluster responder and says hosts carry no tag, calling nothing', async () => {
    // Prepare
    const pod = { ...kubernetesResource('prod-eu-1', 'shop', 'pod', 'web-1'), inputs: {} };
    const host = { ...hostResource('node-7'), inputs: { 'host.id': 'node-7' } };
    const before = front.requests.length;

    // Act
    const podVerdict = await check(pod);
    const hostVerdict = await check(host);

    // Assess
    expect(podVerdict).toMatchObject({ exempt: false, deferred: true, reason: expect.stringContaining('response-actions.io/exempt') as unknown });
    expect(hostVerdict).toEqual({ exempt: false, reason: 'hosts carry no exemption tag' });
    expect(front.requests.length).toBe(before);
  });
});
