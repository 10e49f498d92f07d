/**
 * The host responder as a daemon: `node responders/host/main.ts --api-url ... --token-file ...`
 * (or the RESPONDER_* variables; see config.ts and README.md). It registers as `host/<host id>`,
 * pulls its own work and runs the host actions on this machine until SIGTERM or SIGINT.
 */
import { packageVersion, readSigningKeys, readToken, runDaemon } from '../common/daemon.ts';
import { runResponder } from '../common/runner.ts';
import { hostActions } from './actions.ts';
import { loadHostResponderConfig } from './config.ts';

process.exitCode = await runDaemon('host responder', async (logger, signal) => {
  const config = loadHostResponderConfig(process.argv.slice(2), process.env);
  const tokenSetting = '--token-file / RESPONDER_TOKEN_FILE';
  // Read once now so a missing token or key file fails at start-up, not at the first call.
  await readToken(config.tokenFile, tokenSetting);
  const signingKeys = await readSigningKeys(config.signingKeysFile, '--signing-keys-file / RESPONDER_SIGNING_KEYS_FILE');
  logger.info('host responder starting', { host: config.hostId, apiUrl: config.apiUrl, stateDir: config.stateDir, quarantineDir: config.actions.quarantineDir, protectedPaths: config.protectedPaths });
  await runResponder({
    apiUrl: config.apiUrl,
    token: () => readToken(config.tokenFile, tokenSetting),
    kind: 'host',
    name: config.hostId,
    version: await packageVersion(),
    actions: hostActions(config.actions),
    signingKeys,
    stateDir: config.stateDir,
    logger,
    signal,
  });
});
