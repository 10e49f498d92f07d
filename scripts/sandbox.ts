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
  moto:     ${moto.endpoint}, demo account ${demoAccountId} (${demoRegion}), member role ${memberRoleName}

Paste into another shell:

export API=${api}
export TOKEN=${token}

# Quarantine the demo user (attaches AWSDenyAll; the prior policies are saved on the record)
${post({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': demo.userArn }, reason: 'sandbox demo' })}

# The user's history, newest first (status moves Created -> Enqueued -> Running -> Completed)
curl -s "$API/v1/actions?resource=${encodeURIComponent(demo.userArn)}" -H "Authorization: Bearer $TOKEN"

# Undo it (removes only what the quarantine added): POST /v1/actions/<id>/undo, or by resource:
${post({ type: 'iam-unquarantine', inputs: { 'aws.resource.arn': demo.userArn } })}

# Quarantine the demo role
${post({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': demo.roleArn } })}

# Other demo resources, for the cloud actions that act on them:
#   bucket   ${demo.bucketArn} (public)
#   database ${demo.dbArn} (publicly accessible)
#   instance ${demo.instanceArn} (two volumes)

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
