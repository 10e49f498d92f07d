/**
 * The cluster the Kubernetes playbook tests act on, served by the repo's Kubernetes test API server
 * (test/integration/kubernetes-responder/support): a request-asserting server on loopback, not
 * kube-apiserver (no cluster runs here). The real cluster responder runs in the test process,
 * registered with the local service; as each piece of work reaches it, this file queues the exact
 * requests that action must make, named from the work's action id, answered from the objects held
 * here (the workload a merge patch changes, the NetworkPolicy and VolumeSnapshots created).
 */
import { respondScope } from '#shared/auth/scopes.ts';
import type { ResponderAction, WorkOrder } from '#shared/responders/protocol.ts';
import type { LocalService } from '#local/service.ts';
import { logger } from '#shared/log.ts';
import { startInProcessResponder, type InProcessResponder } from '../../../responders/common/in-process.ts';
import { queueWorkSource } from '../../../responders/common/work-source.ts';
import { kubernetesActions } from '../../../responders/kubernetes/actions.ts';
import { list } from '../../integration/kubernetes-responder/support/isolate-network-fixtures.ts';
import {
  apiGroupList,
  clusterName,
  conflicting,
  created,
  deletedStatus,
  deployment,
  namespace,
  notFound,
  objectMeta,
  ok,
  persistentVolumeClaim,
  pod,
  replicaSet,
  snapshotResources,
  volumeSnapshotClassList,
} from '../../integration/kubernetes-responder/support/kubernetes-objects.ts';
import type { ExpectedRequest, ReceivedRequest, Reply, TestApiServer } from '../../integration/kubernetes-responder/support/test-api-server.ts';
import { mergePatch, validatePatchedWorkload } from '../../integration/kubernetes-responder/support/validate.ts';

export const scaledFrom = 'response-actions.io/scaled-from';
export const zeroKey = 'node-restriction.kubernetes.io/response-actions-scaled-to-zero';
export const claims = ['shop-data', 'shop-uploads'];
export const webLog = '2026-03-01T11:59:58Z GET /admin 200\nPOST https://45.9.148.3:4444/upload 31457280 bytes\n';
const merge = 'application/merge-patch+json';
const json = 'application/json';

export type WorkloadKind = 'deployment' | 'daemonset';

/** An object as the API server stores it: GET answers it, a merge patch under a current resourceVersion changes it. */
class Stored {
  object: Record<string, unknown>;
  #version = 48213;
  readonly #kind: 'Deployment' | 'DaemonSet';
  readonly #resource: string;

  constructor(object: Record<string, unknown>, kind: 'Deployment' | 'DaemonSet', resource: string) {
    this.object = object;
    this.#kind = kind;
    this.#resource = resource;
  }

  get meta(): Record<string, unknown> {
    return this.object['metadata'] as Record<string, unknown>;
  }

  get resourceVersion(): string {
    return String(this.meta['resourceVersion']);
  }

  readonly read = (): Reply => ok(structuredClone(this.object));

  readonly patch = (request: ReceivedRequest): Reply => {
    const sent = (request.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    const name = String(this.meta['name']);
    if (sent !== undefined && sent !== this.resourceVersion) return conflicting(this.#resource, name, 'apps');
    validatePatchedWorkload(this.#kind, this.object, request.body);
    this.#version += 7;
    const after = mergePatch(this.object, request.body) as Record<string, unknown>;
    this.object = { ...after, metadata: { ...(after['metadata'] as Record<string, unknown>), resourceVersion: String(this.#version) } };
    return ok(structuredClone(this.object));
  };
}

function daemonSet(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: objectMeta('node-agent', { generation: 2, labels: { app: 'node-agent' }, annotations: { 'deprecated.daemonset.template.generation': '2' } }),
    spec: {
      selector: { matchLabels: { app: 'node-agent' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      template: {
        metadata: { labels: { app: 'node-agent' } },
        spec: { containers: [{ name: 'agent', image: 'registry.example.com/ops/node-agent:2.3.0' }], nodeSelector: { 'kubernetes.io/os': 'linux' } },
      },
    },
    status: { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, observedGeneration: 2, updatedNumberScheduled: 3, numberAvailable: 3 },
  };
}

/** The pod the playbook names: the Deployment's (two PVCs mounted) or the DaemonSet's (none). */
function podOf(kind: WorkloadKind, name: string): Record<string, unknown> {
  if (kind === 'daemonset') {
    return pod(name, {
      owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'node-agent' },
      labels: { app: 'node-agent', 'controller-revision-hash': '6f8b9c7d5', 'pod-template-generation': '2' },
      spec: { containers: [{ name: 'agent', image: 'registry.example.com/ops/node-agent:2.3.0' }] },
    });
  }
  return pod(name, {
    spec: {
      containers: [{ name: 'web', image: 'registry.example.com/shop/web:1.4.2', volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'uploads', mountPath: '/uploads' }] }],
      volumes: claims.map((claim, index) => ({ name: index === 0 ? 'data' : 'uploads', persistentVolumeClaim: { claimName: claim } })),
    },
  });
}

const short = (actionId: string): string => actionId.slice(0, 8);
const ownership = (actionId: string, type: string) => ({ 'app.kubernetes.io/managed-by': 'response-actions', 'response-actions.io/action-id': actionId, 'response-actions.io/action-type': type });

/** The cluster: its objects, and the requests each action of the playbooks must make of it. */
export class PlaybookCluster {
  readonly workload: Stored;
  readonly podName: string;
  readonly workloadName: string;
  /** The NetworkPolicies created and not deleted, by name. */
  readonly policies = new Map<string, Record<string, unknown>>();
  /** The VolumeSnapshots created (none is ever deleted by these playbooks), by name. */
  readonly snapshots = new Map<string, Record<string, unknown>>();
  /** Every piece of work the responder began, in order. */
  readonly work: WorkOrder[] = [];
  /** When set, the pod is gone (deleted by the attacker, evicted): reads of it answer 404. */
  podGone = false;

  readonly server: TestApiServer;
  readonly kind: WorkloadKind;

  constructor(server: TestApiServer, kind: WorkloadKind) {
    this.server = server;
    this.kind = kind;
    this.workload = kind === 'deployment' ? new Stored(deployment('web'), 'Deployment', 'deployments') : new Stored(daemonSet(), 'DaemonSet', 'daemonsets');
    this.workloadName = kind === 'deployment' ? 'web' : 'node-agent';
    this.podName = kind === 'deployment' ? 'web-7d9f8c6b5-x8k2p' : 'node-agent-x7k2p';
  }

  get inputs(): Record<string, unknown> {
    return {
      'kubernetes.cluster.name': clusterName,
      'kubernetes.namespace.name': namespace,
      'kubernetes.pod.name': this.podName,
      'kubernetes.workload.name': this.workloadName,
      'kubernetes.workload.type': this.kind,
    };
  }

  get workloadPath(): string {
    return `/apis/apps/v1/namespaces/${namespace}/${this.kind === 'deployment' ? 'deployments' : 'daemonsets'}/${this.workloadName}`;
  }

  get podPath(): string {
    return `/api/v1/namespaces/${namespace}/pods/${this.podName}`;
  }

  policyPath(name: string): string {
    return `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/${name}`;
  }

  static readonly snapshotsPath = `/apis/snapshot.storage.k8s.io/v1/namespaces/${namespace}/volumesnapshots`;

  /** The exact requests of one piece of work, in order. */
  requestsFor(work: WorkOrder): ExpectedRequest[] {
    if (this.podGone && (work.type === 'get-logs' || work.type === 'capture-pod-state')) return [{ method: 'GET', path: this.podPath, reply: notFound('pods', this.podName) }];
    switch (work.type) {
      case 'get-logs':
        return [
          { method: 'GET', path: this.podPath, reply: ok(podOf(this.kind, this.podName)) },
          { method: 'GET', path: `${this.podPath}/log`, query: { container: this.kind === 'deployment' ? 'web' : 'agent', limitBytes: '4096' }, reply: { status: 200, raw: webLog } },
        ];
      case 'capture-pod-state':
        return this.#capturePodState();
      case 'kubernetes-volume-snapshot':
        return this.#volumeSnapshots(work);
      case 'isolate-network':
        return this.#isolate(work);
      case 'scale-workload':
        return [{ method: 'GET', path: this.workloadPath, reply: this.workload.read }, { method: 'PATCH', path: this.workloadPath, contentType: merge, body: this.#scaleBody(work), reply: this.workload.patch }];
      case 'restore-workload-scale':
        return [{ method: 'GET', path: this.workloadPath, reply: this.workload.read }, { method: 'PATCH', path: this.workloadPath, contentType: merge, body: this.#restoreBody(), reply: this.workload.patch }];
      case 'delete-network-policy':
        return this.#deletePolicy(String(work.inputs['kubernetes.networkpolicy.name']));
      default:
        throw new Error(`no requests known for ${work.type}`);
    }
  }

  #capturePodState(): ExpectedRequest[] {
    const fieldSelector = `involvedObject.kind=Pod,involvedObject.name=${this.podName},involvedObject.namespace=${namespace},involvedObject.uid=uid-${this.podName}`;
    const owners: ExpectedRequest[] =
      this.kind === 'deployment'
        ? [
            { method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/replicasets/web-7d9f8c6b5`, reply: ok(replicaSet('web-7d9f8c6b5', { kind: 'Deployment', name: 'web' })) },
            { method: 'GET', path: this.workloadPath, reply: this.workload.read },
          ]
        : [{ method: 'GET', path: this.workloadPath, reply: this.workload.read }];
    return [
      { method: 'GET', path: this.podPath, reply: ok(podOf(this.kind, this.podName)) },
      { method: 'GET', path: `/api/v1/namespaces/${namespace}/events`, query: { fieldSelector, limit: '500' }, reply: ok({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: '50200' }, items: [] }) },
      ...owners,
    ];
  }

  #volumeSnapshots(work: WorkOrder): ExpectedRequest[] {
    const named = work.inputs['kubernetes.persistentvolume.claim.name'];
    const pvcs = Array.isArray(named) ? named.map(String) : [String(named)];
    const name = (pvc: string) => `ra-snap-${pvc}-${short(work.actionId)}`;
    const body = (pvc: string) => ({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: name(pvc), namespace, labels: ownership(work.actionId, 'kubernetes-volume-snapshot'), annotations: { 'response-actions.io/source-pvc': pvc } },
      spec: { volumeSnapshotClassName: 'ebs-snapshots', source: { persistentVolumeClaimName: pvc } },
    });
    const create = (pvc: string): ExpectedRequest => ({
      method: 'POST',
      path: PlaybookCluster.snapshotsPath,
      contentType: json,
      body: body(pvc),
      reply: () => {
        const made = { ...body(pvc), metadata: objectMeta(name(pvc), { generation: 1, labels: ownership(work.actionId, 'kubernetes-volume-snapshot'), annotations: { 'response-actions.io/source-pvc': pvc } }) };
        this.snapshots.set(name(pvc), made);
        return created(made);
      },
    });
    const poll = (pvc: string): ExpectedRequest => ({
      method: 'GET',
      path: `${PlaybookCluster.snapshotsPath}/${name(pvc)}`,
      reply: () => ok({ ...this.snapshots.get(name(pvc)), status: { boundVolumeSnapshotContentName: `snapcontent-${pvc}`, creationTime: '2026-03-01T12:00:01Z', readyToUse: true, restoreSize: '20Gi' } }),
    });
    const pvcRead = (pvc: string): ExpectedRequest => ({ method: 'GET', path: `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${pvc}`, reply: ok(persistentVolumeClaim(pvc)) });
    const [first, ...rest] = pvcs;
    if (first === undefined) throw new Error('a snapshot step with no PVC');
    return [
      { method: 'GET', path: '/apis/snapshot.storage.k8s.io/v1', reply: ok(snapshotResources()) },
      pvcRead(first),
      { method: 'GET', path: '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses', reply: ok(volumeSnapshotClassList()) },
      create(first),
      ...rest.flatMap((pvc) => [pvcRead(pvc), create(pvc)]),
      ...pvcs.map(poll),
    ];
  }

  #isolate(work: WorkOrder): ExpectedRequest[] {
    const name = `ra-isolate-${this.workloadName}-${short(work.actionId)}`;
    const selector = this.kind === 'deployment' ? { matchLabels: { app: 'web', tier: 'frontend' } } : { matchLabels: { app: 'node-agent' } };
    const body = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace, labels: ownership(work.actionId, 'isolate-network'), annotations: { 'response-actions.io/workload': `${this.kind}/${this.workloadName}` } },
      spec: { podSelector: selector, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
    };
    const policiesPath = `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`;
    return [
      { method: 'GET', path: this.workloadPath, reply: this.workload.read },
      {
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/pods`,
        query: { labelSelector: this.kind === 'deployment' ? 'app=web,tier=frontend' : 'app=node-agent' },
        reply: ok(list('PodList', [podOf(this.kind, this.podName)])),
      },
      { method: 'GET', path: policiesPath, reply: () => ok(list('NetworkPolicyList', [...this.policies.values()])) },
      { method: 'GET', path: '/apis', reply: ok(apiGroupList()) },
      {
        method: 'POST',
        path: policiesPath,
        contentType: json,
        body,
        reply: () => {
          const made = { ...body, metadata: objectMeta(name, { generation: 1, labels: body.metadata.labels, annotations: body.metadata.annotations }) };
          this.policies.set(name, made);
          return created(made);
        },
      },
    ];
  }

  #deletePolicy(name: string): ExpectedRequest[] {
    const path = this.policyPath(name);
    return [
      { method: 'GET', path, reply: () => ok(this.policies.get(name)) },
      {
        method: 'DELETE',
        path,
        contentType: json,
        body: { preconditions: { uid: `uid-${name}` } },
        reply: () => {
          this.policies.delete(name);
          return deletedStatus(name, 'networkpolicies', 'networking.k8s.io');
        },
      },
    ];
  }

  #scaleBody(work: WorkOrder): Record<string, unknown> {
    const metadata = { resourceVersion: this.workload.resourceVersion };
    if (this.kind === 'deployment') {
      return { metadata: { ...metadata, annotations: { [scaledFrom]: JSON.stringify({ actionId: work.actionId, replicas: 3 }) } }, spec: { replicas: 0 } };
    }
    return {
      metadata: { ...metadata, annotations: { [scaledFrom]: JSON.stringify({ actionId: work.actionId, nodeSelector: { 'kubernetes.io/os': 'linux' } }) } },
      spec: { template: { spec: { nodeSelector: { 'kubernetes.io/os': null, [zeroKey]: work.actionId } } } },
    };
  }

  #restoreBody(): Record<string, unknown> {
    const metadata = { resourceVersion: this.workload.resourceVersion, annotations: { [scaledFrom]: null } };
    if (this.kind === 'deployment') return { metadata, spec: { replicas: 3 } };
    const scaledBy = (this.workload.object['spec'] as { template: { spec: { nodeSelector: Record<string, string> } } }).template.spec.nodeSelector[zeroKey];
    if (scaledBy === undefined) throw new Error('the DaemonSet was never scaled to zero');
    return { metadata, spec: { template: { spec: { nodeSelector: { [zeroKey]: null, 'kubernetes.io/os': 'linux' } } } } };
  }

  /**
   * The real cluster responder, in process, registered as kubernetes/<cluster> with a token of the
   * local issuer bound to it; each action queues its expected requests as it begins.
   */
  startResponder(service: LocalService, stateDir: string): InProcessResponder {
    const actions: ResponderAction[] = kubernetesActions({
      cluster: this.server.kubeConfig(),
      self: { podName: 'kubernetes-responder-6c9d5b7f4-x2k8q', namespace: 'response-actions' },
      clusterName,
      settings: { logLimitBytes: 4096, snapshotPollIntervalMs: 20 },
    }).map((action) => ({
      type: action.type,
      execute: (context) => {
        this.work.push(context.work);
        this.server.expect(...this.requestsFor(context.work));
        return action.execute(context);
      },
    }));
    const target = { kind: 'kubernetes', name: clusterName } as const;
    return startInProcessResponder({
      apiUrl: service.url,
      token: () => service.issuer.issue({ sub: `responder:kubernetes/${clusterName}`, scopes: [respondScope], responder: target, ttlSeconds: 3600 }),
      kind: 'kubernetes',
      name: clusterName,
      version: 'e2e',
      actions,
      signingKeys: [service.responders.signingKey],
      workSource: queueWorkSource(service.responders.queues, target),
      stateDir,
      logger,
    });
  }
}
