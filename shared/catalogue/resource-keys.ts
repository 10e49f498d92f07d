/**
 * Resource keys and kinds, exactly as API.md's "Resource keys" defines them. History per
 * resource is queried by key, so these strings are part of the contract: change nothing
 * here without a new API version.
 */
import { parseArn, resourceKindOfArn } from './arn.ts';
import type { ResourceRef } from './types.ts';

/** Kubernetes kinds that appear in keys (`k8s/<cluster>/<namespace>/<kind>/<name>`), lower-case. */
export type KubernetesKind =
  | 'pod'
  | 'deployment'
  | 'statefulset'
  | 'daemonset'
  | 'replicaset'
  | 'persistentvolumeclaim'
  | 'volumesnapshot'
  | 'networkpolicy';

/** `host/<host.id>` */
export function hostResource(hostId: string): ResourceRef {
  return { key: `host/${hostId}`, kind: 'host' };
}

/** `host/<host.id>/container/<container.id or name>` */
export function containerResource(hostId: string, container: string): ResourceRef {
  return { key: `host/${hostId}/container/${container}`, kind: 'container' };
}

/**
 * `host/<host.id>/file/<path.absolute>`, or inside a container
 * `host/<host.id>/container/<id>/file/<path>`. Concatenated as is, so the path's leading
 * slash follows `file/`: `host/n1/file//etc/passwd`.
 */
export function fileResource(hostId: string, path: string, containerId?: string): ResourceRef {
  const owner = containerId === undefined ? `host/${hostId}` : `host/${hostId}/container/${containerId}`;
  return { key: `${owner}/file/${path}`, kind: 'file' };
}

/** `k8s/<cluster>/<namespace>/<kind>/<name>`, kind `k8s.<kind>`. */
export function kubernetesResource(cluster: string, namespace: string, kind: KubernetesKind, name: string): ResourceRef {
  return { key: `k8s/${cluster}/${namespace}/${kind}/${name}`, kind: `k8s.${kind}` };
}

/** A node is cluster-scoped: `k8s/<cluster>/node/<name>`, kind `k8s.node`. */
export function kubernetesNodeResource(cluster: string, name: string): ResourceRef {
  return { key: `k8s/${cluster}/node/${name}`, kind: 'k8s.node' };
}

/**
 * An AWS resource's key is its ARN as given; its kind comes from the ARN
 * (`aws.iam.user`, `aws.s3.bucket`, ...), `aws.identity` for other identities
 * (an STS assumed-role session, a root user).
 */
export function awsResource(arn: string): ResourceRef {
  const parsed = parseArn(arn);
  const found = parsed === null ? null : resourceKindOfArn(parsed);
  return { key: arn, kind: found?.kind ?? 'aws.identity' };
}

/** An identity CloudTrail names only by user name: `aws-identity/<aws.account.id>/<ct.user>`. */
export function awsIdentityResource(accountId: string, userName: string): ResourceRef {
  return { key: `aws-identity/${accountId}/${userName}`, kind: 'aws.identity' };
}
