/**
 * Realistic API server answers: Status errors worded as kube-apiserver words them, and the
 * objects the actions read (shaped like `kubectl get -o json` output, server-set fields included).
 */
import type { Reply } from './test-api-server.ts';

export const responderUser = 'system:serviceaccount:response-actions:kubernetes-responder';

function status(code: number, reason: string, message: string, details: Record<string, unknown> = {}): Reply {
  return { status: code, json: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code } };
}

/** `deployments.apps "web" not found` */
export function notFound(resource: string, name: string, group = ''): Reply {
  const qualified = group === '' ? resource : `${resource}.${group}`;
  return status(404, 'NotFound', `${qualified} "${name}" not found`, { name, ...(group === '' ? {} : { group }), kind: resource });
}

/** `Operation cannot be fulfilled on nodes "n"`: a write whose resourceVersion is no longer the object's. */
export function conflicting(resource: string, name: string, group = ''): Reply {
  const qualified = group === '' ? resource : `${resource}.${group}`;
  return status(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, ...(group === '' ? {} : { group }), kind: resource },
  );
}

/** What kube-apiserver answers for a path of an API group it does not serve. */
export function pageNotFound(): Reply {
  return { status: 404, raw: '404 page not found\n', contentType: 'text/plain; charset=utf-8' };
}

export function forbidden(verb: string, resource: string, group: string, namespace: string | null, name?: string): Reply {
  const [base = resource, subresource] = resource.split('/');
  const qualified = group === '' ? base : `${base}.${group}`;
  const where = namespace === null ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const subject = name === undefined ? qualified : `${qualified} "${name}"`;
  return status(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${responderUser}" cannot ${verb} resource "${resource}" in API group "${group}" ${where}`,
    { ...(name === undefined ? {} : { name }), ...(group === '' ? {} : { group }), kind: subresource === undefined ? base : resource },
  );
}

export function alreadyExists(resource: string, name: string, group: string): Reply {
  return status(409, 'AlreadyExists', `${resource}.${group} "${name}" already exists`, { name, group, kind: resource });
}

export function internalError(message = 'etcdserver: request timed out'): Reply {
  return status(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function badRequest(message: string): Reply {
  return status(400, 'BadRequest', message);
}

export function ok(json: unknown): Reply {
  return { status: 200, json };
}

export function created(json: unknown): Reply {
  return { status: 201, json };
}

/** The `Status` a successful DELETE of a custom object returns. */
export function deletedStatus(name: string, kind: string, group: string): Reply {
  return { status: 200, json: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group, kind, uid: 'gone' } } };
}

export const namespace = 'shop';
export const clusterName = 'prod-eu-1';

export function objectMeta(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    namespace,
    uid: `uid-${name}`,
    resourceVersion: '48213',
    generation: 3,
    creationTimestamp: '2026-02-20T08:15:00Z',
    ...extra,
  };
}

export const webTemplateLabels = { app: 'web', tier: 'frontend', 'app.kubernetes.io/version': '1.4.2' };

export function deployment(name = 'web', spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(name, { labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '3' } }),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web', tier: 'frontend' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: webTemplateLabels, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-02-01T09:00:00Z' } },
        spec: { containers: [{ name: 'web', image: 'registry.example.com/shop/web:1.4.2', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
      },
      ...spec,
    },
    status: { observedGeneration: 3, replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3 },
  };
}

export function replicaSet(name: string, owner: { kind: string; name: string } | null): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: objectMeta(name, {
      labels: { ...webTemplateLabels, 'pod-template-hash': '7d9f8c6b5' },
      ...(owner === null
        ? {}
        : { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: `uid-${owner.name}`, controller: true, blockOwnerDeletion: true }] }),
    }),
    spec: { replicas: 3, selector: { matchLabels: { app: 'web', tier: 'frontend', 'pod-template-hash': '7d9f8c6b5' } } },
    status: { replicas: 3 },
  };
}

export interface PodOptions {
  readonly owner?: { apiVersion: string; kind: string; name: string } | null;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly spec?: Record<string, unknown>;
  readonly status?: Record<string, unknown>;
}

export function pod(name: string, options: PodOptions = {}): Record<string, unknown> {
  const owner = options.owner === undefined ? { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c6b5' } : options.owner;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: objectMeta(name, {
      generation: 1,
      labels: options.labels ?? { ...webTemplateLabels, 'pod-template-hash': '7d9f8c6b5' },
      ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
      ...(owner === null
        ? {}
        : { ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: `uid-${owner.name}`, controller: true, blockOwnerDeletion: true }] }),
    }),
    spec: {
      containers: [{ name: 'web', image: 'registry.example.com/shop/web:1.4.2' }],
      nodeName: 'ip-10-0-12-34.eu-west-1.compute.internal',
      serviceAccountName: 'web',
      ...options.spec,
    },
    status: {
      phase: 'Running',
      hostIP: '10.0.12.34',
      podIP: '10.244.3.17',
      podIPs: [{ ip: '10.244.3.17' }],
      startTime: '2026-02-20T08:16:02Z',
      ...options.status,
    },
  };
}

export interface ScalableOptions {
  readonly replicas: number;
  /** status.replicas; the desired count when absent. */
  readonly statusReplicas?: number;
  readonly resourceVersion?: string;
  readonly annotations?: Record<string, string>;
}

/** A Deployment, StatefulSet or ReplicaSet with a replica count, as scale-workload reads it. */
export function scalable(type: 'deployment' | 'statefulset' | 'replicaset', name: string, options: ScalableOptions): Record<string, unknown> {
  const base = type === 'replicaset' ? replicaSet(name, null) : deployment(name);
  const baseMeta = base['metadata'] as Record<string, unknown>;
  const baseSpec = base['spec'] as Record<string, unknown>;
  const kind = { deployment: 'Deployment', statefulset: 'StatefulSet', replicaset: 'ReplicaSet' }[type];
  const spec =
    type === 'statefulset'
      ? { replicas: options.replicas, serviceName: name, selector: baseSpec['selector'], template: baseSpec['template'], updateStrategy: { type: 'RollingUpdate' } }
      : { ...baseSpec, replicas: options.replicas };
  const annotations = { ...(baseMeta['annotations'] as Record<string, string> | undefined), ...options.annotations };
  return {
    ...base,
    kind,
    metadata: { ...baseMeta, resourceVersion: options.resourceVersion ?? '48213', ...(Object.keys(annotations).length === 0 ? {} : { annotations }) },
    spec,
    status: { replicas: options.statusReplicas ?? options.replicas },
  };
}

export function persistentVolumeClaim(name: string, options: { phase?: string; provisioner?: string | null } = {}): Record<string, unknown> {
  const provisioner = options.provisioner === undefined ? 'ebs.csi.aws.com' : options.provisioner;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: objectMeta(name, {
      annotations: {
        'pv.kubernetes.io/bind-completed': 'yes',
        ...(provisioner === null ? {} : { 'volume.kubernetes.io/storage-provisioner': provisioner, 'volume.beta.kubernetes.io/storage-provisioner': provisioner }),
      },
      finalizers: ['kubernetes.io/pvc-protection'],
    }),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
      storageClassName: 'gp3',
      volumeMode: 'Filesystem',
      volumeName: `pvc-${name}-0b1c2d3e`,
    },
    status: { phase: options.phase ?? 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '20Gi' } },
  };
}

export function volumeSnapshotClassList(): Record<string, unknown> {
  const item = (name: string, driver: string, isDefault: boolean) => ({
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: { name, uid: `uid-${name}`, ...(isDefault ? { annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } } : {}) },
    driver,
    deletionPolicy: 'Delete',
  });
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClassList',
    metadata: { resourceVersion: '5121' },
    items: [item('ebs-snapshots', 'ebs.csi.aws.com', true), item('ebs-snapshots-retain', 'ebs.csi.aws.com', false), item('efs-snapshots', 'efs.csi.aws.com', true)],
  };
}

/** The snapshot API's resource list (`GET /apis/snapshot.storage.k8s.io/v1`). */
export function snapshotResources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'snapshot.storage.k8s.io/v1',
    resources: [
      { name: 'volumesnapshotclasses', singularName: 'volumesnapshotclass', namespaced: false, kind: 'VolumeSnapshotClass', verbs: ['get', 'list', 'create', 'delete'], shortNames: ['vsclass'] },
      { name: 'volumesnapshotcontents', singularName: 'volumesnapshotcontent', namespaced: false, kind: 'VolumeSnapshotContent', verbs: ['get', 'list', 'create', 'delete'] },
      { name: 'volumesnapshots', singularName: 'volumesnapshot', namespaced: true, kind: 'VolumeSnapshot', verbs: ['get', 'list', 'create', 'delete', 'patch'], shortNames: ['vs'] },
    ],
  };
}

/** `GET /apis` with the built-in groups and any extra `group/version`s. */
export function apiGroupList(...extra: readonly string[]): Record<string, unknown> {
  const group = (groupVersion: string) => {
    const [name = '', version = ''] = groupVersion.split('/');
    return { name, versions: [{ groupVersion, version }], preferredVersion: { groupVersion, version } };
  };
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: ['apps/v1', 'batch/v1', 'networking.k8s.io/v1', 'policy/v1', 'storage.k8s.io/v1', 'snapshot.storage.k8s.io/v1', ...extra].map(group),
  };
}

export function apiResourceList(groupVersion: string, resources: readonly { name: string; kind: string; namespaced: boolean }[]): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.map((resource) => ({ ...resource, singularName: resource.kind.toLowerCase(), verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] })),
  };
}

export const nodeName = 'ip-10-0-12-34.eu-west-1.compute.internal';

/**
 * A Node as an EKS cluster serves it. Cordoned, it has `spec.unschedulable` and the taint the node
 * lifecycle controller adds for it; uncordoned, neither (the field is omitted when false).
 */
export function node(name = nodeName, options: { unschedulable?: boolean; resourceVersion?: string } = {}): Record<string, unknown> {
  const cordoned = options.unschedulable === true;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: options.resourceVersion ?? '771204',
      creationTimestamp: '2026-02-18T06:02:11Z',
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm6i.large',
        'topology.kubernetes.io/zone': 'eu-west-1a',
        'eks.amazonaws.com/nodegroup': 'general',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      providerID: 'aws:///eu-west-1a/i-0a1b2c3d4e5f60789',
      ...(cordoned ? { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: '2026-02-28T17:40:00Z' }] } : {}),
    },
    status: {
      capacity: { cpu: '2', memory: '7910360Ki', pods: '29', 'ephemeral-storage': '83873772Ki' },
      allocatable: { cpu: '1930m', memory: '7220184Ki', pods: '29', 'ephemeral-storage': '76224326324' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: '2026-03-01T11:58:40Z', lastTransitionTime: '2026-02-18T06:02:11Z', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
        { type: 'Ready', status: 'True', lastHeartbeatTime: '2026-03-01T11:58:40Z', lastTransitionTime: '2026-02-18T06:02:41Z', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      addresses: [
        { type: 'InternalIP', address: '10.0.12.34' },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'ec2a1b2c3d4e5f60718293a4b5c6d7e8',
        systemUUID: 'ec2a1b2c-3d4e-5f60-7182-93a4b5c6d7e8',
        bootID: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
        kernelVersion: '6.1.128-136.201.amzn2023.x86_64',
        osImage: 'Amazon Linux 2023.6.20250203',
        containerRuntimeVersion: 'containerd://1.7.25',
        kubeletVersion: 'v1.32.1-eks-5d632ec',
        kubeProxyVersion: 'v1.32.1-eks-5d632ec',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}
