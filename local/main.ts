/**
 * `npm start`: the whole service on 127.0.0.1:$PORT (default 8787) with embedded stores under
 * DATA_DIR (default `.local/`), which it holds alone (`DATA_DIR/lock`). Prints its URL when ready;
 * a start-up failure is one line and exit 2. SIGTERM or Ctrl-C stops it within a few seconds
 * (local/process-lifecycle.ts); actions still running are settled by the next start.
 */
import { relative } from 'node:path';
import { dataDirFrom, tokenCommand } from './dev-issuer.ts';
import { failStartup, holdDataDir, portFrom, stopOnSignals } from './process-lifecycle.ts';
import { startLocalService, type LocalService } from './service.ts';

const env = process.env;
const port = portFrom(env['PORT']);
const dataDir = dataDirFrom(env);
const where = { program: 'npm start', port, dataDir };
const lock = await holdDataDir(dataDir, 'npm start', where);

let service: LocalService;
try {
  service = await startLocalService({ dataDir, port, env });
} catch (error) {
  failStartup(error, where);
}
{
  const { targetAccounts } = service.config;
  const target = env['AWS_ENDPOINT_URL'] === undefined ? 'AWS through the default credential chain' : `${env['AWS_ENDPOINT_URL']} (AWS_ENDPOINT_URL)`;
  const accounts = targetAccounts.all ? 'any account (*)' : targetAccounts.ids.size === 0 ? 'none (set TARGET_ACCOUNTS)' : [...targetAccounts.ids].join(', ');
  const { recovery } = service;
  const signIn = service.auth.console;
  const oidc = service.auth.kind === 'oidc';
  const lines = [
    `response-actions listening on ${service.url}`,
    `  console:         ${service.url}/ (${signIn.kind === 'local' ? 'Sign in locally' : signIn.kind === 'oidc' ? `OIDC client ${signIn.clientId}, redirect URI ${service.url}/auth/callback` : 'no sign-in: set CONSOLE_OIDC_CLIENT_ID'})`,
    `  tokens from:     ${oidc ? `${service.auth.issuer} (AUTH_ISSUER); the local issuer signs only this machine's host responder` : 'the local development issuer (npm run token)'}`,
    `  data:            ${relative(process.cwd(), dataDir) || '.'}`,
    `  cloud actions:   ${target}; target accounts: ${accounts}; member role ${service.config.memberRole.name}`,
    `  host actions:    ${service.responders.hostResponder === null ? 'no responder on this machine' : `this machine's responder, host.id ${service.responders.hostResponder}`}`,
    oidc
      ? `  token:           TOKEN=<an access token from ${service.auth.issuer} for this API>`
      : `  token:           TOKEN=$(${tokenCommand(dataDir)} -- containment-response-actions.exec data-gathering-response-actions.exec)`,
    `  try:             curl -s -H "Authorization: Bearer $TOKEN" ${service.url}/v1/action-types`,
  ];
  const runs = service.playbooks.recovery;
  const settled = [recovery.restarted, recovery.redispatched, recovery.interrupted, recovery.expired, recovery.failedToRestart, runs.resumed, runs.failedToResume];
  if (settled.some((ids) => ids.length > 0)) {
    lines.push(
      `  after restart:   ${recovery.restarted.length} restarted, ${recovery.redispatched.length} sent to their responder again, ` +
        `${recovery.interrupted.length} ended in Error (interrupted by restart), ${recovery.expired.length} past their pickup deadline, ` +
        `${recovery.failedToRestart.length} could not restart; ${runs.resumed.length} playbook runs resumed, ${runs.failedToResume.length} could not resume`,
    );
  }
  if (lock.tookOverFrom !== undefined) {
    lines.push(`  DATA_DIR lock:   taken over from process ${String(lock.tookOverFrom)}, which ended without releasing it (killed or crashed)`);
  }
  console.log(lines.join('\n'));
  stopOnSignals(() => service.close());
}
