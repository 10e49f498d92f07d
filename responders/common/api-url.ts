/**
 * The service URL a responder may talk to: https, or plain http only on loopback (the local
 * service `npm start` runs). Over plain http anyone on the path reads the responder's token and
 * can hand it work, so any other http URL is a configuration error naming the setting.
 */
import { isIP } from 'node:net';
import { ConfigError } from '#shared/errors.ts';

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Returns `value` when it is an https URL, or an http URL on loopback; otherwise a ConfigError naming `setting`. */
export function checkApiUrl(value: string, setting: string): string {
  if (!URL.canParse(value)) throw new ConfigError(setting, `must be the service's https URL, not ${JSON.stringify(value)}`);
  const url = new URL(value);
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return value;
  if (url.protocol === 'http:') {
    throw new ConfigError(setting, `must be https: plain http would expose the responder's token and its work to the network; it is allowed only on loopback (127.0.0.0/8, ::1, localhost), not ${JSON.stringify(value)}`);
  }
  throw new ConfigError(setting, `must be the service's https URL, not ${JSON.stringify(value)}`);
}
