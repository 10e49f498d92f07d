/**
 * What a responder's daemon entry point needs around `runResponder`: its token and the service's
 * signing keys read from files, its version, a stop signal on SIGTERM/SIGINT, and exit codes
 * (2 for a configuration error, 1 for any other failure).
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '#shared/errors.ts';
import { createLogger, type Logger } from '#shared/log.ts';
import { ResponderStartError } from './runner.ts';

/** The service's work signing keys from a JSON file: a JWK set (`{ "keys": [...] }`) or a list of JWKs. */
export async function readSigningKeys(file: string, setting: string): Promise<unknown[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readSettingFile(file, setting));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(setting, `${file} is not JSON`, { cause: error });
  }
  const keys = Array.isArray(parsed)
    ? (parsed as unknown[])
    : typeof parsed === 'object' && parsed !== null && 'keys' in parsed && Array.isArray(parsed.keys)
      ? (parsed.keys as unknown[])
      : null;
  if (keys === null) throw new ConfigError(setting, `${file} holds neither a JWK set ({ "keys": [...] }) nor a list of JWKs`);
  // Keys are pinned from configuration only: with none, no work could ever be checked.
  if (keys.length === 0) throw new ConfigError(setting, `${file} holds no keys; put the service's work-signing public key in it`);
  return keys;
}

/** The responder's bearer token; re-read on every call, so it can be rotated in place. */
export async function readToken(file: string, setting: string): Promise<string> {
  const token = (await readSettingFile(file, setting)).trim();
  if (token === '') throw new ConfigError(setting, `${file} is empty`);
  return token;
}

/** A file a setting names; one that cannot be read is a configuration error naming the setting. */
async function readSettingFile(file: string, setting: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(setting, `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

/** This checkout's package version, reported at registration. */
export async function packageVersion(): Promise<string> {
  const parsed: unknown = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}

/** Runs a responder until SIGTERM or SIGINT aborts its signal; returns the process exit code. */
export async function runDaemon(description: string, body: (logger: Logger, signal: AbortSignal) => Promise<void>): Promise<number> {
  const logger = createLogger();
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info('stopping', { signal });
      controller.abort();
    });
  }
  try {
    await body(logger, controller.signal);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ResponderStartError) {
      logger.error(error.message);
      return error instanceof ConfigError ? 2 : 1;
    }
    logger.error(`${description} failed`, { error });
    return 1;
  }
}
