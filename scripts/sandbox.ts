/**
 * `npm run sandbox`: moto_server on a free loopback port, a seeded demo account, and the whole
 * service pointed at it, with ready-to-paste curl commands. No AWS account needed. A start-up
 * failure is one line and exit 2, and leaves no moto_server behind; Ctrl-C stops the service
 * first (its own process group keeps moto_server out of the terminal's Ctrl-C), then moto_server.
 */
import { join } from 'node:path';
import { dataDirFrom, tokenCommand } from '#local/dev-issuer.ts';
import { startMotoServer, MotoUnavailableError, type MotoServer } from '#local/moto-server.ts';
import { failStartup, holdDataDir, portFrom, StartupError, stopOnSignals } from '#local/process-lifecycle.ts';
import { demoAccountId, demoRegion, seedDemoAccount } from '#local/sandbox-seed.ts';
import { startLocalService, type LocalService } from '#local/service.ts';

const externalId = 'sandbox-external-id';
const memberRoleName = 'ResponseActionsMember';

const dataDir = process.env['DATA_DIR'] === undefined ? join(dataDirFrom({}), 'sandbox') : dataDirFrom(process.env);
const port = portFrom(process.env['PORT']);
const where = { program: 'sandbox', port, dataDir };
const lock = await holdDataDir(dataDir, 'npm run sandbox', where);

let moto: MotoServer | undefined;
let service: LocalService | undefined;
// Ctrl-C from here on, even while starting: the service first, then moto_server (which also goes
// when this process exits, so a Ctrl-C before the service is up leaves none behind).
stopOnSignals(async () => {
  if (service === undefined) return;
  await service.close();
  await moto?.stop();
});
try {
  moto = await startMotoServer({ ownProcessGroup: true });
} catch (error) {
  if (!(error instanceof MotoUnavailableError)) failStartup(error, where);
  failStartup(
    new StartupError(
      error.reason === 'missing'
        ? 'moto_server is not installed or not on PATH; install it (pip install "moto[server]") and run npm run sandbox again'
        : `moto_server did not start (${error.message.replace(/\s+/g, ' ').slice(-200)}); check that moto[server] is installed and works (moto_server --help), then run npm run sandbox again`,
    ),
    where,
  );
}
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

let demo: Awaited<ReturnType<typeof seedDemoAccount>>;
try {
  demo = await seedDemoAccount({ endpoint: moto.endpoint, memberRoleName, externalId });
  service = await startLocalService({ dataDir, port, env: process.env });
} catch (error) {
  failStartup(error, where);
}
const token = await service.issuer.issue({
  sub: 'sandbox-analyst',
  scopes: ['containment-response-actions.exec', 'data-gathering-response-actions.exec'],
  ttlSeconds: 12 * 60 * 60,
});

const api = service.url;
const post = (body: unknown): string =>
  `curl -s -X POST "$API/v1/actions" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '${JSON.stringify(body)}'`;
console.log(`response-actions sandbox
  service:  ${api} (data in ${dataDir})${lock.tookOverFrom === undefined ? '' : `; its lock taken over from process ${String(lock.tookOverFrom)}, which ended without releasing it`}
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

# Another token for this sandbox (signed with its DATA_DIR's key):
TOKEN=$(${tokenCommand(dataDir)} -- containment-response-actions.exec data-gathering-response-actions.exec)

Ctrl-C stops the sandbox: the service first (running actions get a few seconds), then moto_server.`);
