/**
 * The host responder's configuration, from flags (which win) or environment variables: the one
 * place that reads either. A missing or malformed value fails at start-up naming the flag and
 * the variable.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '#shared/errors.ts';
import { checkApiUrl } from '../common/api-url.ts';
import type { HostActionsOptions } from './environment.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface HostResponderConfig {
  readonly apiUrl: string;
  /** A file holding the bearer token (re-read on every call, so it can be rotated in place). */
  readonly tokenFile: string;
  readonly hostId: string;
  readonly stateDir: string;
  /** A JSON file of the service's work signing keys (JWKs: `{ "keys": [...] }` or `[...]`): the only keys it trusts. */
  readonly signingKeysFile: string;
  /** What file actions refuse, besides the built-in set (see protected-paths.ts) and the files above. */
  readonly protectedPaths: readonly string[];
  readonly actions: HostActionsOptions;
}

export const defaultStateDir = '/var/lib/response-actions-host-responder';

/** Flag name → environment variable. */
const settings = {
  'api-url': 'RESPONDER_API_URL',
  'token-file': 'RESPONDER_TOKEN_FILE',
  'host-id': 'RESPONDER_HOST_ID',
  'state-dir': 'RESPONDER_STATE_DIR',
  'quarantine-dir': 'RESPONDER_QUARANTINE_DIR',
  'signing-keys-file': 'RESPONDER_SIGNING_KEYS_FILE',
  'max-acquire-bytes': 'RESPONDER_MAX_ACQUIRE_BYTES',
  'max-log-bytes': 'RESPONDER_MAX_LOG_BYTES',
  'docker-socket': 'RESPONDER_DOCKER_SOCKET',
  'containerd-socket': 'RESPONDER_CONTAINERD_SOCKET',
  'containerd-namespaces': 'RESPONDER_CONTAINERD_NAMESPACES',
  'protected-pids': 'RESPONDER_PROTECTED_PIDS',
  'stop-timeout-seconds': 'RESPONDER_STOP_TIMEOUT_SECONDS',
  'protected-paths': 'RESPONDER_PROTECTED_PATHS',
} as const;
type Setting = keyof typeof settings;

function label(setting: Setting): string {
  return `--${setting} / ${settings[setting]}`;
}

function positiveInteger(setting: Setting, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new ConfigError(label(setting), `must be a whole number above 0, not ${JSON.stringify(value)}`);
  return Number(value);
}

function absolutePath(setting: Setting, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!value.startsWith('/')) throw new ConfigError(label(setting), `must be an absolute path, not ${JSON.stringify(value)}`);
  return value;
}

/** What host actions are configured with besides their quarantine directory: sockets, limits, protections. */
export type HostActionSettings = Omit<HostActionsOptions, 'quarantineDir' | 'protectedPaths'> & { readonly protectedPaths: readonly string[] };

function readActionSettings(read: (setting: Setting) => string | undefined): HostActionSettings {
  const namespaces = read('containerd-namespaces')?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const protectedPids = read('protected-pids')
    ?.split(',')
    .map((pid) => pid.trim())
    .filter((pid) => pid !== '')
    .map((pid) => positiveInteger('protected-pids', pid) ?? 0);
  const protectedPaths = (read('protected-paths')?.split(/[,:]/) ?? [])
    .map((path) => path.trim())
    .filter((path) => path !== '')
    .map((path) => absolutePath('protected-paths', path) ?? path);
  const maxAcquireBytes = positiveInteger('max-acquire-bytes', read('max-acquire-bytes'));
  const maxLogBytes = positiveInteger('max-log-bytes', read('max-log-bytes'));
  const dockerSocketPath = absolutePath('docker-socket', read('docker-socket'));
  const containerdSocketPath = absolutePath('containerd-socket', read('containerd-socket'));
  const stopTimeoutSeconds = positiveInteger('stop-timeout-seconds', read('stop-timeout-seconds'));
  return {
    protectedPaths,
    ...(maxAcquireBytes === undefined ? {} : { maxAcquireBytes }),
    ...(maxLogBytes === undefined ? {} : { maxLogBytes }),
    ...(dockerSocketPath === undefined ? {} : { dockerSocketPath }),
    ...(containerdSocketPath === undefined ? {} : { containerdSocketPath }),
    ...(namespaces === undefined ? {} : { containerdNamespaces: namespaces }),
    ...(protectedPids === undefined ? {} : { protectedPids }),
    ...(stopTimeoutSeconds === undefined ? {} : { stopTimeoutSeconds }),
  };
}

/**
 * The action settings from environment variables alone (RESPONDER_DOCKER_SOCKET,
 * RESPONDER_CONTAINERD_SOCKET, ...), for a host responder run inside another process (`npm
 * start`), so it takes the same settings as a standalone one.
 */
export function loadHostActionSettings(env: Environment): HostActionSettings {
  return readActionSettings((setting) => {
    const value = env[settings[setting]];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  });
}

export function loadHostResponderConfig(argv: readonly string[], env: Environment): HostResponderConfig {
  const options = Object.fromEntries(Object.keys(settings).map((name) => [name, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError('command line', error instanceof Error ? error.message : String(error));
  }
  const read = (setting: Setting): string | undefined => {
    const flag = values[setting];
    const value = typeof flag === 'string' ? flag : env[settings[setting]];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const required = (setting: Setting): string => {
    const value = read(setting);
    if (value === undefined) throw new ConfigError(label(setting), 'is required but not set');
    return value;
  };

  const apiUrl = checkApiUrl(required('api-url'), label('api-url'));
  const hostId = read('host-id') ?? hostname();
  if (!/^[A-Za-z0-9._:-]{1,253}$/.test(hostId)) {
    throw new ConfigError(label('host-id'), `must be 1 to 253 letters, digits, '.', '_', ':' or '-' (the host.id actions name), not ${JSON.stringify(hostId)}`);
  }
  const stateDir = absolutePath('state-dir', read('state-dir')) ?? defaultStateDir;
  const { protectedPaths: configuredProtected, ...actionSettings } = readActionSettings(read);

  const tokenFile = absolutePath('token-file', required('token-file')) ?? '';
  const signingKeysFile = absolutePath('signing-keys-file', read('signing-keys-file'));
  if (signingKeysFile === undefined) {
    throw new ConfigError(label('signing-keys-file'), "is required but not set: the service's work-signing public keys are pinned from configuration only");
  }
  // The responder's own token, keys and state are never a file action's target.
  const protectedPaths = [tokenFile, signingKeysFile, stateDir, ...configuredProtected];
  return {
    apiUrl,
    tokenFile,
    hostId,
    stateDir,
    signingKeysFile,
    protectedPaths: configuredProtected,
    actions: {
      quarantineDir: absolutePath('quarantine-dir', read('quarantine-dir')) ?? join(stateDir, 'quarantine'),
      protectedPaths,
      ...actionSettings,
    },
  };
}
