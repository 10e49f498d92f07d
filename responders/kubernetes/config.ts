/**
 * The cluster responder's configuration, from environment variables (the Deployment sets them;
 * the pod's own name and namespace come from the downward API): the one place that reads them.
 * A missing or malformed value fails at start-up naming the variable.
 */
import { ConfigError } from '#shared/errors.ts';
import { checkApiUrl } from '../common/api-url.ts';
import type { ClusterSettings } from './deps.ts';
import { denyPolicyKinds, isDenyPolicyKind } from './deny-policies.ts';
import type { DenyPolicyKind } from './deny-policies.ts';
import { defaultProtectedNamespaces } from './guards.ts';
import type { ResponderSelf } from './guards.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface KubernetesResponderConfig {
  readonly apiUrl: string;
  /** A file holding the bearer token (a mounted Secret; re-read on every call, so it can be rotated). */
  readonly tokenFile: string;
  /** `kubernetes.cluster.name`, exactly as the token's `kubernetes/<cluster>` binding names it. */
  readonly clusterName: string;
  readonly self: ResponderSelf;
  readonly stateDir: string;
  /** A JSON file of the service's work signing keys (`{ "keys": [...] }` or `[...]`): the only keys it trusts. */
  readonly signingKeysFile: string;
  /** Namespaces refused besides the responder's own. */
  readonly protectedNamespaces: readonly string[];
  readonly settings: Partial<ClusterSettings>;
}

export const defaultTokenFile = '/var/run/secrets/response-actions/token';
export const defaultStateDir = '/var/lib/response-actions';

const dnsLabel = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

function read(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Environment, name: string, hint: string): string {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(name, `is required but not set (${hint})`);
  return value;
}

function matching(name: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new ConfigError(name, `must be ${what}, not ${JSON.stringify(value)}`);
  return value;
}

function flag(env: Environment, name: string): boolean {
  const value = read(env, name);
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError(name, `must be true or false, not ${JSON.stringify(value)}`);
}

function integer(env: Environment, name: string, min: number, max: number): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d{1,16}$/.test(value) || parsed < min || parsed > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return parsed;
}

function absolutePath(name: string, value: string): string {
  if (!value.startsWith('/')) throw new ConfigError(name, `must be an absolute path, not ${JSON.stringify(value)}`);
  return value;
}

function denyKinds(env: Environment): DenyPolicyKind[] | undefined {
  const value = read(env, 'RESPONDER_DENY_POLICY_KINDS');
  if (value === undefined) return undefined;
  if (value === 'none') return [];
  const kinds = value.split(',').map((kind) => kind.trim()).filter((kind) => kind !== '');
  const unknown = kinds.filter((kind) => !isDenyPolicyKind(kind));
  if (unknown.length > 0 || kinds.length === 0) {
    throw new ConfigError('RESPONDER_DENY_POLICY_KINDS', `must be "none" or a comma-separated list of ${denyPolicyKinds.join(', ')}; ${unknown.join(', ')} is not one`);
  }
  return kinds.filter(isDenyPolicyKind);
}

export function loadKubernetesResponderConfig(env: Environment): KubernetesResponderConfig {
  const apiUrl = checkApiUrl(required(env, 'RESPONDER_API_URL', "the service's base URL"), 'RESPONDER_API_URL');
  const clusterName = matching('RESPONDER_CLUSTER_NAME', required(env, 'RESPONDER_CLUSTER_NAME', 'the cluster name the token is bound to'), dnsLabel, 'a DNS-1123 label (the cluster name the token is bound to)');
  const podName = matching('RESPONDER_POD_NAME', required(env, 'RESPONDER_POD_NAME', 'downward API metadata.name'), dnsSubdomain, 'a pod name');
  const namespace = matching('RESPONDER_POD_NAMESPACE', required(env, 'RESPONDER_POD_NAMESPACE', 'downward API metadata.namespace'), dnsLabel, 'a namespace name');

  const extra = (read(env, 'RESPONDER_PROTECTED_NAMESPACES') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
    .map((name) => matching('RESPONDER_PROTECTED_NAMESPACES', name, dnsLabel, 'a comma-separated list of namespace names'));
  const base = flag(env, 'RESPONDER_ALLOW_KUBE_SYSTEM') ? defaultProtectedNamespaces.filter((name) => name !== 'kube-system') : defaultProtectedNamespaces;

  const kinds = denyKinds(env);
  const priority = integer(env, 'RESPONDER_ANP_PRIORITY', 0, 1000);
  const snapshotSeconds = integer(env, 'RESPONDER_SNAPSHOT_TIMEOUT_SECONDS', 1, 86_400);
  const logBytes = integer(env, 'RESPONDER_MAX_LOG_BYTES', 1, 1024 * 1024 * 1024);
  const signingKeysFile = required(env, 'RESPONDER_SIGNING_KEYS_FILE', "the service's work-signing public keys, pinned from configuration only");
  return {
    apiUrl,
    tokenFile: absolutePath('RESPONDER_TOKEN_FILE', read(env, 'RESPONDER_TOKEN_FILE') ?? defaultTokenFile),
    clusterName,
    self: { podName, namespace },
    stateDir: absolutePath('RESPONDER_STATE_DIR', read(env, 'RESPONDER_STATE_DIR') ?? defaultStateDir),
    signingKeysFile: absolutePath('RESPONDER_SIGNING_KEYS_FILE', signingKeysFile),
    protectedNamespaces: [...new Set([...base, ...extra])],
    settings: {
      ...(kinds === undefined ? {} : { denyPolicyKinds: kinds }),
      ...(priority === undefined ? {} : { adminNetworkPolicyPriority: priority }),
      ...(snapshotSeconds === undefined ? {} : { snapshotReadyTimeoutMs: snapshotSeconds * 1000 }),
      ...(logBytes === undefined ? {} : { logLimitBytes: logBytes }),
    },
  };
}
