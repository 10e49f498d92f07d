/**
 * RBAC as the shipped manifests define it (responders/kubernetes/manifests/, rolebindings/
 * included), decided the way kube-apiserver's RBAC authorizer decides for the responder's
 * ServiceAccount: a ClusterRoleBinding grants its role's rules everywhere, a RoleBinding only in
 * its own namespace. The test API server answers 403 from this, so a request the manifests do not
 * grant in that namespace is refused as a cluster with these manifests applied would refuse it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import type { PolicyRule } from '../../../../responders/kubernetes/permissions.ts';
import { isAllowed } from '../../../../responders/kubernetes/permissions.ts';

export const manifestsDirectory = join(import.meta.dirname, '../../../../responders/kubernetes/manifests');

export interface Manifest {
  /** Relative to the manifests directory: `20-clusterrole.yaml`, `rolebindings/shop.yaml`. */
  readonly file: string;
  readonly object: Record<string, unknown>;
}

/** Every object in the manifests: the top level, then rolebindings/, each sorted by file name. */
export function loadManifests(): Manifest[] {
  const files = (directory: string) =>
    readdirSync(join(manifestsDirectory, directory))
      .filter((file) => file.endsWith('.yaml'))
      .sort()
      .map((file) => (directory === '' ? file : `${directory}/${file}`));
  return [...files(''), ...files('rolebindings')].flatMap((file) =>
    (loadAllYaml(readFileSync(join(manifestsDirectory, file), 'utf8')) as Record<string, unknown>[]).map((object) => ({ file, object })),
  );
}

/** The RBAC terms of one request: a namespace for namespaced resources, null at the cluster scope. */
export interface RbacRequest {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  readonly namespace: string | null;
}

interface Subject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

interface Binding {
  readonly kind: 'ClusterRoleBinding' | 'RoleBinding';
  readonly namespace: string | null;
  readonly roleRef: { readonly kind: string; readonly name: string };
  readonly subjects: readonly Subject[];
}

export const responderServiceAccount = { namespace: 'response-actions', name: 'kubernetes-responder' };

/** Whether a binding subject names the responder's ServiceAccount (as itself, its user name or one of its groups). */
function namesResponder(subject: Subject): boolean {
  const { namespace, name } = responderServiceAccount;
  switch (subject.kind) {
    case 'ServiceAccount':
      return subject.name === name && subject.namespace === namespace;
    case 'User':
      return subject.name === `system:serviceaccount:${namespace}:${name}`;
    case 'Group':
      return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'].includes(subject.name);
    default:
      return false;
  }
}

function metadataOf(object: Record<string, unknown>): { name: string; namespace: string | null } {
  const metadata = (object['metadata'] ?? {}) as { name?: string; namespace?: string };
  return { name: metadata.name ?? '', namespace: metadata.namespace ?? null };
}

export class ManifestRbac {
  /** Roles by `<namespace or empty>/<name>`: ClusterRoles under the empty namespace. */
  readonly #roles = new Map<string, readonly PolicyRule[]>();
  readonly #bindings: Binding[] = [];

  constructor(manifests: readonly Manifest[]) {
    for (const { object } of manifests) {
      const { name, namespace } = metadataOf(object);
      switch (object['kind']) {
        case 'ClusterRole':
          this.#roles.set(`/${name}`, (object['rules'] ?? []) as PolicyRule[]);
          break;
        case 'Role':
          this.#roles.set(`${namespace ?? 'default'}/${name}`, (object['rules'] ?? []) as PolicyRule[]);
          break;
        case 'ClusterRoleBinding':
        case 'RoleBinding':
          this.#bindings.push({
            kind: object['kind'],
            namespace: object['kind'] === 'RoleBinding' ? (namespace ?? 'default') : null,
            roleRef: object['roleRef'] as Binding['roleRef'],
            subjects: (object['subjects'] ?? []) as Subject[],
          });
          break;
        default:
          break;
      }
    }
  }

  /** The shipped manifests. */
  static load(): ManifestRbac {
    return new ManifestRbac(loadManifests());
  }

  /** Whether any binding of the responder grants the request where it is made. */
  allows(request: RbacRequest): boolean {
    return this.#bindings.some((binding) => {
      if (binding.kind === 'RoleBinding' && binding.namespace !== request.namespace) return false;
      if (!binding.subjects.some(namesResponder)) return false;
      const roleKey = binding.roleRef.kind === 'ClusterRole' ? `/${binding.roleRef.name}` : `${binding.namespace ?? ''}/${binding.roleRef.name}`;
      const rules = this.#roles.get(roleKey) ?? [];
      return isAllowed(rules, request.group, request.resource, request.verb);
    });
  }
}
