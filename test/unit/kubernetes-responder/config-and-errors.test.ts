import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadKubernetesResponderConfig } from '../../../responders/kubernetes/config.ts';
import { toActionError } from '../../../responders/kubernetes/errors.ts';
import type { ApiCall } from '../../../responders/kubernetes/errors.ts';
import { ConfigError } from '#shared/errors.ts';

const required = {
  RESPONDER_API_URL: 'https://response-actions.example.com',
  RESPONDER_CLUSTER_NAME: 'prod-eu-1',
  RESPONDER_POD_NAME: 'kubernetes-responder-6c9d5b7f4-x2k8q',
  RESPONDER_POD_NAMESPACE: 'response-actions',
  RESPONDER_SIGNING_KEYS_FILE: '/etc/response-actions/signing-keys.json',
};

describe('cluster responder configuration', () => {
  it('defaults to protecting kube-system, every deny-policy kind, and the mounted token', () => {
    // Act
    const config = loadKubernetesResponderConfig(required);

    // Assess
    expect(config).toEqual({
      apiUrl: 'https://response-actions.example.com',
      tokenFile: '/var/run/secrets/response-actions/token',
      clusterName: 'prod-eu-1',
      self: { podName: 'kubernetes-responder-6c9d5b7f4-x2k8q', namespace: 'response-actions' },
      stateDir: '/var/lib/response-actions',
      signingKeysFile: '/etc/response-actions/signing-keys.json',
      protectedNamespaces: ['kube-system'],
      settings: {},
    });
  });

  it('reads the optional settings', () => {
    // Act
    const config = loadKubernetesResponderConfig({
      ...required,
      RESPONDER_ALLOW_KUBE_SYSTEM: 'true',
      RESPONDER_PROTECTED_NAMESPACES: 'payments, vault',
      RESPONDER_DENY_POLICY_KINDS: 'CalicoNetworkPolicy,AdminNetworkPolicy',
      RESPONDER_ANP_PRIORITY: '3',
      RESPONDER_SNAPSHOT_TIMEOUT_SECONDS: '900',
      RESPONDER_MAX_LOG_BYTES: '1048576',
      RESPONDER_SIGNING_KEYS_FILE: '/etc/response-actions/signing-keys.json',
    });

    // Assess
    expect(config.protectedNamespaces).toEqual(['payments', 'vault']);
    expect(config.signingKeysFile).toBe('/etc/response-actions/signing-keys.json');
    expect(config.settings).toEqual({
      denyPolicyKinds: ['CalicoNetworkPolicy', 'AdminNetworkPolicy'],
      adminNetworkPolicyPriority: 3,
      snapshotReadyTimeoutMs: 900_000,
      logLimitBytes: 1_048_576,
    });
    expect(loadKubernetesResponderConfig({ ...required, RESPONDER_DENY_POLICY_KINDS: 'none' }).settings).toEqual({ denyPolicyKinds: [] });
  });

  it.each([
    [{ ...required, RESPONDER_API_URL: undefined }, 'RESPONDER_API_URL'],
    [{ ...required, RESPONDER_API_URL: 'ftp://example.com' }, 'RESPONDER_API_URL'],
    [{ ...required, RESPONDER_API_URL: 'http://response-actions.example.com' }, 'RESPONDER_API_URL'],
    [{ ...required, RESPONDER_SIGNING_KEYS_FILE: undefined }, 'RESPONDER_SIGNING_KEYS_FILE'],
    [{ ...required, RESPONDER_CLUSTER_NAME: 'Prod_EU' }, 'RESPONDER_CLUSTER_NAME'],
    [{ ...required, RESPONDER_POD_NAMESPACE: '' }, 'RESPONDER_POD_NAMESPACE'],
    [{ ...required, RESPONDER_POD_NAME: undefined }, 'RESPONDER_POD_NAME'],
    [{ ...required, RESPONDER_DENY_POLICY_KINDS: 'GlobalNetworkPolicy' }, 'RESPONDER_DENY_POLICY_KINDS'],
    [{ ...required, RESPONDER_ANP_PRIORITY: '1001' }, 'RESPONDER_ANP_PRIORITY'],
    [{ ...required, RESPONDER_ALLOW_KUBE_SYSTEM: 'yes' }, 'RESPONDER_ALLOW_KUBE_SYSTEM'],
    [{ ...required, RESPONDER_TOKEN_FILE: 'token' }, 'RESPONDER_TOKEN_FILE'],
  ])('fails fast naming the variable (%#)', (env, variable) => {
    // Act
    const attempt = () => loadKubernetesResponderConfig(env);

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`^${variable}: `));
  });
});

describe('API errors', () => {
  const call: ApiCall = { verb: 'patch', resource: 'replicasets', group: 'apps', namespace: 'shop', name: 'web-7d9f8c6b5' };
  const status = (code: number, reason: string, message: string) =>
    new ApiException(code, 'Unknown API Status Code!', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code }), {});

  it('names the verb, resource and group the ServiceAccount lacks', () => {
    // Act
    const error = toActionError(
      call,
      status(403, 'Forbidden', 'replicasets.apps "web-7d9f8c6b5" is forbidden: User "system:serviceaccount:response-actions:kubernetes-responder" cannot patch resource "replicasets" in API group "apps" in the namespace "shop"'),
    );

    // Assess
    expect(error.code).toBe('AccessDenied');
    expect(error.message).toMatch(
      /^the responder's ServiceAccount may not patch replicasets \(API group apps\) "web-7d9f8c6b5" in namespace shop: grant "patch" on "replicasets" in group "apps" in namespace shop by binding the ClusterRole response-actions-kubernetes-responder-namespaced-writes there with a RoleBinding/,
    );
  });

  it('points a refused read, or a cluster-scoped write, at the cluster-wide ClusterRole', () => {
    // Act
    const read = toActionError({ ...call, verb: 'get' }, status(403, 'Forbidden', 'forbidden'));
    const clusterScoped = toActionError({ verb: 'create', resource: 'adminnetworkpolicies', group: 'policy.networking.k8s.io', name: 'ra-isolate-web' }, status(403, 'Forbidden', 'forbidden'));

    // Assess
    expect(read.message).toContain('grant "get" on "replicasets" in group "apps" to its ClusterRole response-actions-kubernetes-responder (');
    expect(clusterScoped.message).toContain('grant "create" on "adminnetworkpolicies" in group "policy.networking.k8s.io" to its ClusterRole response-actions-kubernetes-responder (');
  });

  it('tells a missing object from a missing API', () => {
    // Act
    const missingObject = toActionError(call, status(404, 'NotFound', 'deployments.apps "web" not found'));
    const missingApi = toActionError({ verb: 'create', resource: 'volumesnapshots', group: 'snapshot.storage.k8s.io', namespace: 'shop' }, new ApiException(404, 'Unknown API Status Code!', '404 page not found\n', {}));

    // Assess
    expect(missingObject.code).toBe('TargetNotFound');
    expect(missingApi.code).toBe('ResourceTypeNotServed');
  });

  it.each([
    [401, 'Unauthorized', 'Unauthenticated'],
    [409, 'Conflict', 'Conflict'],
    [422, 'Invalid', 'InvalidObject'],
    [429, 'TooManyRequests', 'ClusterError'],
    [503, 'ServiceUnavailable', 'ClusterError'],
  ])('maps %i to %s → %s', (code, reason, expected) => {
    // Act
    const error = toActionError(call, status(code, reason, 'x'));

    // Assess
    expect(error.code).toBe(expected);
  });

  it('maps an unreachable API server and an abort', () => {
    // Act
    const unreachable = toActionError(call, new TypeError('fetch failed'));
    const aborted = toActionError(call, new DOMException('This operation was aborted', 'AbortError'));

    // Assess
    expect(unreachable.code).toBe('ClusterUnreachable');
    expect(unreachable.message).toContain('fetch failed');
    expect(aborted.code).toBe('Interrupted');
  });
});
