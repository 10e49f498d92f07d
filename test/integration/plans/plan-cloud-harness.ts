/**
 * PlanService with the real in-process CloudPlanner against moto_server: every cloud family, the
 * member roles assumed through STS, the SDK behind the S3/RDS front (moto-private.ts) and the IAM
 * front (moto-iam.ts, which records every request), the history on dynalite, and the local runtime
 * of the shipped state machine to run the originals whose undo a test plans.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AddRoleToInstanceProfileCommand, CreateAccessKeyCommand, CreateInstanceProfileCommand, type IAMClient } from '@aws-sdk/client-iam';
import { AssociateIamInstanceProfileCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { vi } from 'vitest';
import { FileEvidenceStore } from '#local/evidence/file-evidence-store.ts';
import { EvidenceUrlSigner } from '#local/evidence/signed-urls.ts';
import { localCloudActionFamilies } from '#local/families.ts';
import { createInProcessCloudPlanner, type InProcessCloudPlanner } from '#local/runners/cloud-planner.ts';
import { StsMemberSessions } from '#shared/adapters/member-session.ts';
import { systemClock } from '#shared/clock.ts';
import type { Caller } from '#shared/auth/scopes.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import { startCloudActionHarness, type CloudActionHarness } from '#test/support/cloud-action-harness.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';
import { createNetwork, launchInstance, motoEc2Client, type Network } from '#test/support/moto-ec2.ts';
import { attachUserPolicy, createRole, createUser, motoAccountId, motoIamClient } from '#test/support/moto-iam.ts';
import { createBucket, motoS3Client, startPrivateFront, type PrivateFront } from '#test/support/moto-private.ts';

export const region = 'us-east-1';
export const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

export interface PlanCloudHarness {
  readonly harness: CloudActionHarness;
  readonly plans: PlanService;
  readonly iam: IAMClient;
  readonly ec2: EC2Client;
  readonly s3: S3Client;
  /** A protected role (PROTECTED_TARGETS names it). */
  readonly breakGlass: string;
  /** Every action in the history, both categories. */
  historyCount(): Promise<number>;
  /** The requests the IAM front saw from `from` on (everything the SDK sent reaches it). */
  requestsSince(from: number): string[];
  close(): Promise<void>;
}

export const unique = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

/** Target-account reads only: no call a plan makes may change anything. */
export const readOnlyRequest = /^(AssumeRole|Get|List|Describe|GET |HEAD )/;

async function startPlanCloudHarness(moto: string): Promise<PlanCloudHarness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'plans-'));
  const evidence = await FileEvidenceStore.open({ root: path.join(dataDir, 'evidence'), clock: systemClock, urls: new EvidenceUrlSigner(randomBytes(32), () => 'http://127.0.0.1:9') });
  const families = localCloudActionFamilies({ evidence });
  const breakGlass = unique('BreakGlass');
  const harness = await startCloudActionHarness(moto, { families, protectedTargets: `arn:aws:iam::*:role/${breakGlass}` });
  // SDK → the S3/RDS front (answers GetBucketPolicyStatus, which moto does not) → the IAM front → moto.
  const privateFront: PrivateFront = await startPrivateFront(harness.front.endpoint, moto);
  vi.stubEnv('AWS_ENDPOINT_URL', privateFront.endpoint);
  const sts = new STSClient({ region, credentials: emulatorCredentials });
  const { config, repository } = harness;
  const planner: InProcessCloudPlanner = createInProcessCloudPlanner({
    families,
    config,
    sessions: new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId }),
    repository,
    clock: systemClock,
  });
  const iam = motoIamClient(moto);
  const ec2 = motoEc2Client(moto);
  const s3 = motoS3Client(moto, region);
  return {
    harness,
    plans: new PlanService({ cloud: planner, config, repository, clock: systemClock }),
    iam,
    ec2,
    s3,
    breakGlass,
    historyCount: async () => (await repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items.length,
    requestsSince: (from) => harness.front.requests.slice(from).map((request) => request.action),
    close: async () => {
      await planner.close();
      sts.destroy();
      iam.destroy();
      ec2.destroy();
      s3.destroy();
      await privateFront.close();
      await harness.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The targets of every cloud type, made in moto. */
export interface CloudTargets {
  readonly userArn: string;
  readonly roleArn: string;
  readonly bucketArn: string;
  readonly instances: { readonly isolate: string; readonly snapshot: string; readonly profile: string };
}

async function createTargets(h: PlanCloudHarness): Promise<CloudTargets> {
  const userName = unique('alice');
  const userArn = await createUser(h.iam, userName);
  await attachUserPolicy(h.iam, userName, readOnly);
  await h.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const roleArn = await createRole(h.iam, unique('ci'));
  const bucket = unique('evidence').toLowerCase();
  await createBucket(h.s3, bucket);
  const network: Network = await createNetwork(h.ec2);
  const launch = () => launchInstance(h.ec2, { network, volumes: [{ deviceName: '/dev/sdf', sizeGiB: 1, deleteOnTermination: true }] });
  const [isolate, snapshot, profile] = [await launch(), await launch(), await launch()];
  const profileName = unique('web');
  await createRole(h.iam, profileName);
  const { InstanceProfile } = await h.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: profileName }));
  await h.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: profileName, RoleName: profileName }));
  await h.ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: profile, IamInstanceProfile: { Arn: InstanceProfile?.Arn ?? '' } }));
  const arnOf = (instanceId: string) => `arn:aws:ec2:${region}:${motoAccountId}:instance/${instanceId}`;
  return {
    userArn,
    roleArn,
    bucketArn: `arn:aws:s3:::${bucket}`,
    instances: { isolate: arnOf(isolate), snapshot: arnOf(snapshot), profile: arnOf(profile) },
  };
}

/** The inputs of each non-undo cloud type on these targets. */
export function cloudInputs(targets: CloudTargets): Readonly<Record<string, Readonly<Record<string, unknown>>>> {
  return {
    'iam-quarantine': { 'aws.resource.arn': targets.userArn },
    'make-cloud-resource-private': { 'aws.resource.arn': targets.bucketArn, 'aws.account.id': motoAccountId, 'aws.region': region },
    'fetch-cloud-logs': {
      'aws.account.id': motoAccountId,
      'aws.region': region,
      'ct.user.arn': targets.userArn,
      fromTimestamp: new Date(Date.now() - 3_600_000).toISOString(),
      toTimestamp: new Date().toISOString(),
    },
    'cloud-volume-snapshot': { 'aws.resource.arn': targets.instances.snapshot },
    'isolate-ec2-instance': { 'aws.resource.arn': targets.instances.isolate },
    'revoke-iam-role-sessions': { 'aws.resource.arn': targets.roleArn },
    'deactivate-access-keys': { 'aws.resource.arn': targets.userArn },
    'detach-instance-profile': { 'aws.resource.arn': targets.instances.profile },
  };
}

/** A caller with the exec scope of every cloud type's category. */
export const analyst: Caller = { sub: 'analyst-1', scopes: new Set(['containment-response-actions.exec', 'data-gathering-response-actions.exec']) };

/** The harness with the targets every cloud type's plan reads (cloudInputs). */
export async function startPlanCloudSuite(moto: string): Promise<{ h: PlanCloudHarness; targets: CloudTargets }> {
  const h = await startPlanCloudHarness(moto);
  return { h, targets: await createTargets(h) };
}
