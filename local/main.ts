/**
 * `npm start`: the whole service on 127.0.0.1:$PORT (default 8787) with embedded stores under
 * DATA_DIR (default `.local/`). Prints its URL when ready; stops cleanly on SIGINT/SIGTERM.
 */
import { relative } from 'node:path';
import { ConfigError } from '#shared/errors.ts';
import { dataDirFrom } from './dev-issuer.ts';
import { startLocalService } from './service.ts';

const env = process.env;
const port = parsePort(env['PORT']);
const dataDir = dataDirFrom(env);

try {
  const service = await startLocalService({ dataDir, port, env });
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
      : `  token:           TOKEN=$(npm run --silent token -- containment-response-actions.exec data-gathering-response-actions.exec)`,
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
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping (waiting for running actions)`);
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`configuration: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 8787;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`configuration: PORT: must be a port number from 0 to 65535, not "${value}"`);
    process.exit(2);
  }
  return port;
}
