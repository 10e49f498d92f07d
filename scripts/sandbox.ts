/**
 * `npm run sandbox`: moto_server on a free loopback port, a seeded demo account, and the whole
 * service pointed at it, with ready-to-paste curl commands. No AWS account needed.
 */
import { join } from 'node:path';
import { dataDirFrom } from '#local/dev-issuer.ts';
import { startMotoServer } from '#local/moto-server.ts';
import { demoAccountId, demoRegion, seedDemoAccount } from '#local/sandbox-seed.ts';
import { startLocalService } from '#local/service.ts';

const externalId = 'sandbox-external-id';
const memberRoleName = 'ResponseActionsMember';

const moto = await startMotoServer();
// Cloud actions reach the demo account through the SDK's standard settings, as with real AWS.
Object.assign(process.env, {
  AWS_ENDPOINT_URL: moto.endpoint,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: demoRegion,
  TARGET_ACCOUNTS: demoAccountId,
  MEMBER_ROLE_NAME: memberRoleName,
  MEMBER_ROLE_EXTERNAL_ID: externalId,
});
delete process.env['AWS_PROFILE'];
delete process.env['AWS_SESSION_TOKEN'];

const demo = await seedDemoAccount({ endpoint: moto.endpoint, memberRoleName, externalId });
const dataDir = process.env['DATA_DIR'] === undefined ? join(dataDirFrom({}), 'sandbox') : dataDirFrom(process.env);
const port = process.env['PORT'] === undefined ? 8787 : Number(process.env['PORT']);
const service = await startLocalService({ dataDir, port, env: process.env });
const token = await service.issuer.issue({
  sub: 'sandbox-analyst',
  scopes: ['containment-response-actions.exec', 'data-gathering-response-actions.exec'],
  ttlSeconds: 12 * 60 * 60,
});

const api = service.url;
const post = (body: unknown): string =>
  `curl -s -X POST "$API/v1/actions" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '${JSON.stringify(body)}'`;
console.log(`response-actions sandbox
  service:  ${api} (data in ${dataDir})
  console:  ${api}/ (Sign in locally), or straight to a quarantine of the demo user:
            ${api}/run?type=iam-quarantine&aws.resource.arn=${encodeURIComponent(demo.userArn)}
  moto:     ${moto.endpoint}, demo account ${demoAccountId} (${demoRegion}), member roles ${memberRoleName}-<family>

Paste into another shell:

export API=${api}
export TOKEN=${token}

# Quarantine the demo user (attaches AWSDenyAll; the prior policies are saved on the record)
${post({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': demo.userArn }, reason: 'sandbox demo' })}

# The user's history, newest first (status moves Created -> Enqueued -> Running -> Completed)
curl -s "$API/v1/actions?resource=${encodeURIComponent(demo.userArn)}" -H "Authorization: Bearer $TOKEN"

# Undo it (removes only what the quarantine added): POST /v1/actions/<id>/undo, or by resource:
${post({ type: 'iam-unquarantine', inputs: { 'aws.resource.arn': demo.userArn } })}

# Quarantine the demo role; revoke its older sessions
${post({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': demo.roleArn } })}
${post({ type: 'revoke-iam-role-sessions', inputs: { 'aws.resource.arn': demo.roleArn } })}

# Deactivate the demo user's active access keys (reactivate-access-keys undoes exactly those)
${post({ type: 'deactivate-access-keys', inputs: { 'aws.resource.arn': demo.userArn } })}

# Make the public bucket private (the prior public access block is saved; undo restores it exactly)
${post({ type: 'make-cloud-resource-private', inputs: { 'aws.resource.arn': demo.bucketArn, 'aws.account.id': demoAccountId, 'aws.region': demoRegion } })}

# Make the public RDS instance private (waits until it is available again)
${post({ type: 'make-cloud-resource-private', inputs: { 'aws.resource.arn': demo.dbArn } })}

# Snapshot every volume of the instance (two), then isolate it
${post({ type: 'cloud-volume-snapshot', inputs: { 'aws.resource.arn': demo.instanceArn } })}
${post({ type: 'isolate-ec2-instance', inputs: { 'aws.resource.arn': demo.instanceArn } })}

# Any action's undo: POST $API/v1/actions/<id>/undo ; its evidence: GET $API/v1/actions/<id>/evidence

Ctrl-C stops the sandbox.`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void service
    .close()
    .then(() => moto.stop())
    .then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
