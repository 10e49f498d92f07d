/**
 * capture-pod-state: one JSON evidence object with the pod exactly as the API server returned
 * it (spec and status, every field), its events, the volumes and mounts with the names of the
 * secrets and config maps it references (never their contents: the responder may not read
 * secrets), the chain of controllers up to the top one, and its node.
 */
import type { V1Container, V1EphemeralContainer, V1Pod, V1Volume } from '@kubernetes/client-node';
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { rawCapture } from '../cluster.ts';
import type { ClusterDeps } from '../deps.ts';
import { callApi } from '../errors.ts';
import { namespaceOf, requiredText } from '../inputs.ts';
import { ownerChain, ownerChainJson } from '../workloads.ts';

const eventPageSize = 500;

/** The field selector kubectl describe uses for a pod's events (keys sorted, as kubectl sorts them). */
export function podEventsSelector(namespace: string, name: string, uid: string | null): string {
  const fields = [`involvedObject.kind=Pod`, `involvedObject.name=${name}`, `involvedObject.namespace=${namespace}`];
  if (uid !== null) fields.push(`involvedObject.uid=${uid}`);
  return fields.join(',');
}

function volumeSummary(volume: V1Volume): JsonObject {
  const source: JsonObject = {};
  let type = 'other';
  if (volume.secret) {
    type = 'secret';
    source['secretName'] = volume.secret.secretName ?? null;
  } else if (volume.configMap) {
    type = 'configMap';
    source['name'] = volume.configMap.name ?? null;
  } else if (volume.persistentVolumeClaim) {
    type = 'persistentVolumeClaim';
    source['claimName'] = volume.persistentVolumeClaim.claimName;
    source['readOnly'] = volume.persistentVolumeClaim.readOnly ?? false;
  } else if (volume.hostPath) {
    type = 'hostPath';
    source['path'] = volume.hostPath.path;
    source['hostPathType'] = volume.hostPath.type ?? null;
  } else if (volume.projected) {
    type = 'projected';
    source['sources'] = (volume.projected.sources ?? []).map((projection): JsonValue => {
      if (projection.secret) return { secret: projection.secret.name ?? null };
      if (projection.configMap) return { configMap: projection.configMap.name ?? null };
      if (projection.serviceAccountToken) {
        return { serviceAccountToken: { audience: projection.serviceAccountToken.audience ?? null, path: projection.serviceAccountToken.path } };
      }
      if (projection.downwardAPI) return { downwardAPI: true };
      return { other: true };
    });
  } else if (volume.emptyDir) {
    type = 'emptyDir';
    source['medium'] = volume.emptyDir.medium ?? null;
  } else if (volume.csi) {
    type = 'csi';
    source['driver'] = volume.csi.driver;
  } else if (volume.ephemeral) {
    type = 'ephemeral';
  } else if (volume.downwardAPI) {
    type = 'downwardAPI';
  } else if (volume.image) {
    type = 'image';
    source['reference'] = volume.image.reference ?? null;
  }
  return { name: volume.name, type, ...source };
}

type AnyContainer = V1Container | V1EphemeralContainer;

function containersOf(pod: V1Pod): { kind: string; container: AnyContainer }[] {
  return [
    ...(pod.spec?.initContainers ?? []).map((container) => ({ kind: 'init', container })),
    ...(pod.spec?.containers ?? []).map((container) => ({ kind: 'app', container })),
    ...(pod.spec?.ephemeralContainers ?? []).map((container) => ({ kind: 'ephemeral', container })),
  ];
}

/** The most claims a result names: kubernetes-volume-snapshot takes at most this many, so a playbook can pass them on. */
export const maxClaimNames = 50;

/**
 * The PersistentVolumeClaims the pod mounts, once each, so a playbook can snapshot them next
 * (network-exfiltration takes them from here). Past the bound the rest are left out: the pod's
 * full volume list is in the evidence object.
 */
export function claimNames(pod: V1Pod): string[] {
  const names = new Set<string>();
  for (const volume of pod.spec?.volumes ?? []) {
    const claim = volume.persistentVolumeClaim?.claimName;
    if (claim !== undefined && claim !== '') names.add(claim);
  }
  return [...names].slice(0, maxClaimNames);
}

/** Every secret the pod references and how, by name only. */
export function referencedSecrets(pod: V1Pod): JsonObject[] {
  const uses = new Map<string, string[]>();
  const add = (name: string | undefined, via: string) => {
    if (name === undefined || name === '') return;
    uses.set(name, [...(uses.get(name) ?? []), via]);
  };
  for (const volume of pod.spec?.volumes ?? []) {
    add(volume.secret?.secretName, `volume ${volume.name}`);
    for (const projection of volume.projected?.sources ?? []) add(projection.secret?.name, `volume ${volume.name}`);
  }
  for (const { container } of containersOf(pod)) {
    for (const variable of container.env ?? []) add(variable.valueFrom?.secretKeyRef?.name, `env ${container.name}/${variable.name}`);
    for (const source of container.envFrom ?? []) add(source.secretRef?.name, `envFrom ${container.name}`);
  }
  for (const reference of pod.spec?.imagePullSecrets ?? []) add(reference.name, 'imagePullSecrets');
  return [...uses.entries()].map(([name, via]) => ({ name, via }));
}

function containerSummary(pod: V1Pod): JsonObject[] {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  return containersOf(pod).map(({ kind, container }) => {
    const status = statuses.find((each) => each.name === container.name);
    return {
      name: container.name,
      kind,
      image: container.image ?? null,
      imageID: status?.imageID ?? null,
      containerID: status?.containerID ?? null,
      restartCount: status?.restartCount ?? null,
      privileged: container.securityContext?.privileged ?? false,
      volumeMounts: (container.volumeMounts ?? []).map((mount) => ({
        name: mount.name,
        mountPath: mount.mountPath,
        readOnly: mount.readOnly ?? false,
        subPath: mount.subPath ?? null,
      })),
    };
  });
}

function parseJson(bytes: Buffer): JsonValue {
  return JSON.parse(bytes.toString('utf8')) as JsonValue;
}

export function capturePodStateAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'capture-pod-state',
    async execute(context) {
      const { inputs } = context.work;
      const namespace = namespaceOf(inputs);
      const name = requiredText(inputs, 'kubernetes.pod.name');
      const cluster = requiredText(inputs, 'kubernetes.cluster.name');
      deps.guard.checkCluster(cluster);
      deps.guard.checkNamespace(namespace, name);
      const { signal } = context;
      const capturedAt = deps.clock.now().toISOString();

      const podCapture = rawCapture(signal);
      const pod = await callApi({ verb: 'get', resource: 'pods', group: '', namespace, name }, () =>
        deps.clients.core.readNamespacedPod({ namespace, name }, podCapture.options),
      );
      const rawPod = parseJson(podCapture.bytes());
      const uid = pod.metadata?.uid ?? null;

      const events: JsonValue[] = [];
      let next: string | undefined;
      do {
        const page = rawCapture(signal);
        const list = await callApi({ verb: 'list', resource: 'events', group: '', namespace }, () =>
          deps.clients.core.listNamespacedEvent(
            { namespace, fieldSelector: podEventsSelector(namespace, name, uid), limit: eventPageSize, ...(next === undefined ? {} : { _continue: next }) },
            page.options,
          ),
        );
        const raw = parseJson(page.bytes());
        const items = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw['items'] : undefined;
        if (Array.isArray(items)) events.push(...items);
        next = list.metadata?._continue === '' ? undefined : list.metadata?._continue;
      } while (next !== undefined);

      const chain = await ownerChain(deps.clients, namespace, pod.metadata?.ownerReferences, signal);
      const node = {
        name: pod.spec?.nodeName ?? null,
        hostIP: pod.status?.hostIP ?? null,
        podIPs: (pod.status?.podIPs ?? []).map((address) => address.ip),
      };
      const secrets = referencedSecrets(pod);
      const state: JsonObject = {
        capturedAt,
        cluster,
        namespace,
        pod: rawPod,
        events,
        ownerChain: ownerChainJson(chain),
        node,
        serviceAccountName: pod.spec?.serviceAccountName ?? null,
        volumes: (pod.spec?.volumes ?? []).map(volumeSummary),
        containers: containerSummary(pod),
        secretsReferenced: secrets,
      };
      const bytes = new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`);
      const uploaded = await context.uploadEvidence('pod-state.json', 'application/json', bytes);

      return {
        result: {
          evidence: { name: uploaded.name, sha256: uploaded.sha256, size: uploaded.size },
          pod: { name, namespace, uid, phase: pod.status?.phase ?? null, nodeName: node.name },
          events: events.length,
          ownerChain: ownerChainJson(chain),
          secretsReferenced: secrets,
          persistentVolumeClaims: claimNames(pod),
        },
      };
    },
  };
}
