import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { loadKubernetesResponderConfig } from '../../../responders/kubernetes/config.ts';
import { clusterRoleRules, isAllowed } from '../../../responders/kubernetes/permissions.ts';
import { rbacOf } from '../../integration/kubernetes-responder/support/test-api-server.ts';

const directory = join(import.meta.dirname, '../../../responders/kubernetes/manifests');

interface Manifest {
  readonly file: string;
  readonly object: Record<string, unknown>;
}

function manifests(): Manifest[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => (loadAllYaml(readFileSync(join(directory, file), 'utf8')) as Record<string, unknown>[]).map((object) => ({ file, object })));
}

function only(kind: string): unknown {
  const found = manifests().filter((manifest) => manifest.object['kind'] === kind);
  expect(found).toHaveLength(1);
  return found[0]?.object;
}

describe('cluster responder manifests', () => {
  it('are exactly a Namespace, ServiceAccount, ClusterRole, ClusterRoleBinding and Deployment, each valid', () => {
    // Act
    const all = manifests();
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
      ['30-deployment.yaml', 'Deployment'],
    ]);
  });

  it('grant exactly the permissions the actions use: no secrets, no wildcards, no escalation', () => {
    // Act
    const role = only('ClusterRole') as IClusterRole;
    const binding = only('ClusterRoleBinding') as IClusterRoleBinding;

    // Assess
    expect(role.rules).toEqual(clusterRoleRules);
    const everything = (role.rules ?? []).flatMap((rule) => [...(rule.resources ?? []), ...rule.verbs, ...(rule.apiGroups ?? [])]);
    for (const forbidden of ['*', 'secrets', 'pods/exec', 'nodes', 'escalate', 'bind', 'impersonate', 'update']) expect(everything).not.toContain(forbidden);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata?.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kubernetes-responder', namespace: 'response-actions' }]);
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
    ['GET', '/api/v1/namespaces/shop/pods/web-1/log', { group: '', resource: 'pods/log', verb: 'get' }],
    ['GET', '/api/v1/namespaces/shop/events', { group: '', resource: 'events', verb: 'list' }],
    ['PATCH', '/apis/apps/v1/namespaces/shop/deployments/web/scale', { group: 'apps', resource: 'deployments/scale', verb: 'patch' }],
    ['POST', '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies', { group: 'policy.networking.k8s.io', resource: 'adminnetworkpolicies', verb: 'create' }],
    ['GET', '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses', { group: 'snapshot.storage.k8s.io', resource: 'volumesnapshotclasses', verb: 'list' }],
    ['GET', '/apis', null],
    ['GET', '/apis/cilium.io/v2', null],
  ])('%s %s needs %j', (method, path, expected) => {
    // Act
    const needed = rbacOf(method, path);

    // Assess
    expect(needed).toEqual(expected);
    if (needed !== null) expect(isAllowed(clusterRoleRules, needed.group, needed.resource, needed.verb)).toBe(true);
  });

  it('would refuse what the ClusterRole does not grant', () => {
    // Assess
    for (const [method, path] of [
      ['GET', '/api/v1/namespaces/shop/secrets/db'],
      ['POST', '/api/v1/namespaces/shop/pods/web-1/exec'],
      ['PUT', '/apis/apps/v1/namespaces/shop/deployments/web'],
      ['DELETE', '/apis/apps/v1/namespaces/shop/deployments/web'],
      ['GET', '/api/v1/nodes/ip-10-0-12-34'],
    ] as const) {
      const needed = rbacOf(method, path);
      expect(needed === null ? true : isAllowed(clusterRoleRules, needed.group, needed.resource, needed.verb)).toBe(false);
    }
  });
});
