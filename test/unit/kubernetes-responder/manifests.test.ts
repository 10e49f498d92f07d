import { Deployment } from 'kubernetes-models/apps/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole, ClusterRoleBinding, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { loadKubernetesResponderConfig } from '../../../responders/kubernetes/config.ts';
import { clusterWideRoleName, clusterWideRules, namespacedWriteRoleName, namespacedWriteRules } from '../../../responders/kubernetes/permissions.ts';
import { ManifestRbac, loadManifests } from '../../integration/kubernetes-responder/support/manifest-rbac.ts';
import { rbacOf } from '../../integration/kubernetes-responder/support/test-api-server.ts';

const serviceAccount = { kind: 'ServiceAccount', name: 'kubernetes-responder', namespace: 'response-actions' };

/** Verbs that change something, `*` included (RBAC's wildcard grants them all). */
const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate', '*']);

/**
 * The resources known to be cluster-scoped (no namespace in their path). Anything else, a
 * wildcard included, counts as namespaced: a new resource has to be added here on purpose.
 */
const clusterScoped = new Set(['adminnetworkpolicies', 'volumesnapshotclasses', 'nodes']);

function ofKind(kind: string): unknown[] {
  return loadManifests()
    .filter((manifest) => manifest.object['kind'] === kind)
    .map((manifest) => manifest.object);
}

function only(kind: string): unknown {
  const found = ofKind(kind);
  expect(found).toHaveLength(1);
  return found[0];
}

function clusterRole(name: string): IClusterRole {
  const found = (ofKind('ClusterRole') as IClusterRole[]).find((role) => role.metadata?.name === name);
  if (found === undefined) throw new Error(`no ClusterRole ${name} in the manifests`);
  return found;
}

describe('cluster responder manifests', () => {
  it('are a Namespace, ServiceAccount, two ClusterRoles, one ClusterRoleBinding, a Deployment and the example RoleBinding, each valid', () => {
    // Act
    const all = loadManifests();
    for (const { object } of all) {
      switch (object['kind']) {
        case 'Namespace':
          new Namespace(object).validate();
          break;
        case 'ServiceAccount':
          new ServiceAccount(object).validate();
          break;
        case 'ClusterRole':
          new ClusterRole(object).validate();
          break;
        case 'ClusterRoleBinding':
          new ClusterRoleBinding(object as unknown as IClusterRoleBinding).validate();
          break;
        case 'RoleBinding':
          new RoleBinding(object as unknown as IRoleBinding).validate();
          break;
        case 'Deployment':
          new Deployment(object).validate();
          break;
        default:
          throw new Error(`unexpected kind ${String(object['kind'])}`);
      }
    }

    // Assess
    expect(all.map(({ file, object }) => [file, object['kind']])).toEqual([
      ['00-namespace.yaml', 'Namespace'],
      ['10-serviceaccount.yaml', 'ServiceAccount'],
      ['20-clusterrole.yaml', 'ClusterRole'],
      ['21-clusterrolebinding.yaml', 'ClusterRoleBinding'],
      ['22-clusterrole-namespaced-writes.yaml', 'ClusterRole'],
      ['30-deployment.yaml', 'Deployment'],
      ['rolebindings/shop.yaml', 'RoleBinding'],
    ]);
  });

  it('grant exactly the permissions the actions use: no secrets, no wildcards, no escalation', () => {
    // Act
    const clusterWide = clusterRole(clusterWideRoleName);
    const writes = clusterRole(namespacedWriteRoleName);
    const binding = only('ClusterRoleBinding') as IClusterRoleBinding;

    // Assess
    expect(clusterWide.rules).toEqual(clusterWideRules);
    expect(writes.rules).toEqual(namespacedWriteRules);
    const everything = [...(clusterWide.rules ?? []), ...(writes.rules ?? [])].flatMap((rule) => [...(rule.resources ?? []), ...rule.verbs, ...(rule.apiGroups ?? [])]);
    for (const forbidden of ['*', 'secrets', 'pods/exec', 'pods/eviction', 'nodes/status', 'nodes/proxy', 'escalate', 'bind', 'impersonate', 'update']) expect(everything).not.toContain(forbidden);
    // Nodes: get and patch (spec.unschedulable) only, and only in the cluster-wide role (a RoleBinding cannot grant a cluster-scoped resource).
    expect([...(clusterWide.rules ?? []), ...(writes.rules ?? [])].filter((rule) => rule.resources?.includes('nodes'))).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }]);
    expect(writes.rules?.some((rule) => rule.resources?.includes('nodes'))).toBe(false);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterWideRoleName });
    expect(binding.subjects).toEqual([serviceAccount]);
  });

  it('grant no write verb cluster-wide on a namespaced resource: writes in a namespace come only from a RoleBinding there', () => {
    // Act
    const clusterBound = (ofKind('ClusterRoleBinding') as IClusterRoleBinding[]).map((binding) => clusterRole(binding.roleRef.name));
    const roleBindings = ofKind('RoleBinding') as IRoleBinding[];

    // Assess
    const clusterWideWrites = clusterBound
      .flatMap((role) => role.rules ?? [])
      .flatMap((rule) => (rule.resources ?? ['*']).flatMap((resource) => rule.verbs.filter((verb) => writeVerbs.has(verb)).map((verb) => `${verb} ${resource}`)));
    expect(clusterWideWrites.filter((grant) => !clusterScoped.has(grant.split(' ')[1] ?? ''))).toEqual([]);
    expect(clusterWideWrites).toEqual(['create adminnetworkpolicies', 'delete adminnetworkpolicies', 'patch nodes']);
    expect(roleBindings.length).toBeGreaterThan(0);
    for (const binding of roleBindings) {
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: namespacedWriteRoleName });
      expect(binding.subjects).toEqual([serviceAccount]);
      expect(['kube-system', 'response-actions']).not.toContain(binding.metadata?.namespace);
    }
  });

  it('leave every write of the actions refused in kube-system, the responder’s own namespace and an unbound one, and granted where a RoleBinding is', () => {
    // Prepare
    const rbac = ManifestRbac.load();
    const writes = namespacedWriteRules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => ({ group, resource, verb })))));

    // Act
    const allowedIn = (namespace: string) => writes.filter((write) => rbac.allows({ ...write, namespace }));

    // Assess
    expect(writes.length).toBeGreaterThan(10);
    for (const namespace of ['kube-system', 'response-actions', 'payments']) expect(allowedIn(namespace)).toEqual([]);
    expect(allowedIn('shop')).toEqual(writes);
    expect(rbac.allows({ group: 'apps', resource: 'deployments', verb: 'get', namespace: 'kube-system' })).toBe(true);
  });

  it('run the responder non-root, read-only, without capabilities, under RuntimeDefault seccomp, with resources', () => {
    // Act
    const deployment = only('Deployment') as IDeployment;
    const pod = deployment.spec?.template.spec;
    const [container] = pod?.containers ?? [];

    // Assess
    expect(deployment.metadata?.namespace).toBe('response-actions');
    expect(pod?.serviceAccountName).toBe('kubernetes-responder');
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container?.resources?.requests).toEqual({ cpu: '50m', memory: '128Mi' });
    expect(container?.resources?.limits).toEqual({ cpu: '1', memory: '512Mi' });
    expect(pod?.volumes?.find((volume) => volume.name === 'token')?.secret?.secretName).toBe('response-actions-responder-token');
  });

  it('configure the responder so that its configuration loads: downward API for its own pod, the token where the Secret is mounted', () => {
    // Prepare
    const deployment = only('Deployment') as IDeployment;
    const [container] = deployment.spec?.template.spec?.containers ?? [];
    const fieldValues: Record<string, string> = { 'metadata.name': 'kubernetes-responder-6c9d5b7f4-x2k8q', 'metadata.namespace': 'response-actions' };
    const env = Object.fromEntries(
      (container?.env ?? []).map((variable) => [variable.name, variable.value ?? fieldValues[variable.valueFrom?.fieldRef?.fieldPath ?? ''] ?? '']),
    );

    // Act
    const config = loadKubernetesResponderConfig(env);

    // Assess
    expect(container?.env?.filter((variable) => variable.valueFrom?.fieldRef !== undefined).map((variable) => [variable.name, variable.valueFrom?.fieldRef?.fieldPath])).toEqual([
      ['RESPONDER_POD_NAME', 'metadata.name'],
      ['RESPONDER_POD_NAMESPACE', 'metadata.namespace'],
    ]);
    const mounts = new Map((container?.volumeMounts ?? []).map((mount) => [mount.name, mount.mountPath]));
    expect(config.tokenFile).toBe(`${mounts.get('token') ?? ''}/token`);
    expect(config.signingKeysFile).toBe(`${mounts.get('signing-keys') ?? ''}/signing-keys.json`);
    expect(config.stateDir).toBe(mounts.get('state'));
    expect(config.self).toEqual({ podName: 'kubernetes-responder-6c9d5b7f4-x2k8q', namespace: 'response-actions' });
  });
});

describe('the test API server’s RBAC check', () => {
  it.each([
    ['GET', '/api/v1/namespaces/shop/pods/web-1/log', { group: '', resource: 'pods/log', verb: 'get', namespace: 'shop', name: 'web-1' }],
    ['GET', '/api/v1/namespaces/shop/events', { group: '', resource: 'events', verb: 'list', namespace: 'shop' }],
    ['PATCH', '/apis/apps/v1/namespaces/shop/replicasets/web-7d9f8c6b5', { group: 'apps', resource: 'replicasets', verb: 'patch', namespace: 'shop', name: 'web-7d9f8c6b5' }],
    ['POST', '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies', { group: 'policy.networking.k8s.io', resource: 'adminnetworkpolicies', verb: 'create', namespace: null }],
    ['GET', '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses', { group: 'snapshot.storage.k8s.io', resource: 'volumesnapshotclasses', verb: 'list', namespace: null }],
    ['GET', '/apis', null],
    ['GET', '/apis/cilium.io/v2', null],
  ])('%s %s needs %j', (method, path, expected) => {
    // Act
    const needed = rbacOf(method, path);

    // Assess
    expect(needed).toEqual(expected);
    if (needed !== null) expect(ManifestRbac.load().allows(needed)).toBe(true);
  });

  it('would refuse what no role of the manifests grants', () => {
    // Assess
    for (const [method, path] of [
      ['GET', '/api/v1/namespaces/shop/secrets/db'],
      ['POST', '/api/v1/namespaces/shop/pods/web-1/exec'],
      ['PUT', '/apis/apps/v1/namespaces/shop/deployments/web'],
      ['DELETE', '/apis/apps/v1/namespaces/shop/deployments/web'],
      ['DELETE', '/api/v1/nodes/ip-10-0-12-34'],
      ['PATCH', '/api/v1/nodes/ip-10-0-12-34/status'],
      ['GET', '/api/v1/nodes'],
      ['POST', '/api/v1/namespaces/shop/pods/web-1/eviction'],
      ['PATCH', '/apis/apps/v1/namespaces/kube-system/deployments/coredns'],
      ['DELETE', '/api/v1/namespaces/response-actions/pods/kubernetes-responder-6c9d5b7f4-x2k8q'],
      ['POST', '/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies'],
    ] as const) {
      const needed = rbacOf(method, path);
      expect(needed === null ? true : ManifestRbac.load().allows(needed)).toBe(false);
    }
  });
});
