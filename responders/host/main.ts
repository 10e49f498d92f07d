/**
 * The host responder as a daemon: `node responders/host/main.ts --api-url ... --token-file ...`
 * (or the RESPONDER_* variables; see config.ts and README.md). It registers as `host/<host id>`,
 * pulls its own work and runs the host actions on this machine until SIGTERM or SIGINT.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '#shared/errors.ts';
import { createLogger } from '#shared/log.ts';
import { runResponder, ResponderStartError } from '../common/runner.ts';
import { hostActions } from './actions.ts';
import { loadHostResponderConfig } from './config.ts';

/** The service's work signing keys from a JSON file: a JWK set (`{ "keys": [...] }`) or a list of JWKs. */
async function readSigningKeys(file: string): Promise<unknown[]> {
  const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (Array.isArray(parsed)) return parsed as unknown[];
  if (typeof parsed === 'object' && parsed !== null && 'keys' in parsed && Array.isArray(parsed.keys)) return parsed.keys as unknown[];
  throw new ConfigError('--signing-keys-file / RESPONDER_SIGNING_KEYS_FILE', `${file} holds neither a JWK set ({ "keys": [...] }) nor a list of JWKs`);
}

async function readToken(file: string): Promise<string> {
  const token = (await readFile(file, 'utf8')).trim();
  if (token === '') throw new ConfigError('--token-file / RESPONDER_TOKEN_FILE', `${file} is empty`);
  return token;
}

async function version(): Promise<string> {
  const parsed: unknown = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}

async function main(): Promise<number> {
  const logger = createLogger();
  try {
    const config = loadHostResponderConfig(process.argv.slice(2), process.env);
    // Read once now so a missing token or key file fails at start-up, not at the first call.
    await readToken(config.tokenFile);
    const signingKeys = config.signingKeysFile === null ? [] : await readSigningKeys(config.signingKeysFile);
    const controller = new AbortController();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        logger.info('stopping', { signal });
        controller.abort();
      });
    }
    logger.info('host responder starting', { host: config.hostId, apiUrl: config.apiUrl, stateDir: config.stateDir, quarantineDir: config.actions.quarantineDir });
    await runResponder({
      apiUrl: config.apiUrl,
      token: () => readToken(config.tokenFile),
      kind: 'host',
      name: config.hostId,
      version: await version(),
      actions: hostActions(config.actions),
      signingKeys,
      trustOnFirstUse: config.trustOnFirstUse,
      stateDir: config.stateDir,
      logger,
      signal: controller.signal,
    });
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ResponderStartError) {
      logger.error(error.message);
      return error instanceof ConfigError ? 2 : 1;
    }
    logger.error('host responder failed', { error });
    return 1;
  }
}

process.exitCode = await main();
