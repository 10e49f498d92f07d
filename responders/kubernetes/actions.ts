/**
 * The cluster responder's actions: every Kubernetes action type of the catalogue (and the
 * Kubernetes form of get-logs), each under the responder protocol's `ResponderAction`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { systemClock } from '#shared/clock.ts';
import type { Clock } from '#shared/clock.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { capturePodStateAction } from './actions/capture-pod-state.ts';
import { cordonNodeAction } from './actions/cordon-node.ts';
import { deleteNetworkPolicyAction } from './actions/delete-network-policy.ts';
import { deletePodAction } from './actions/delete-pod.ts';
import { deleteVolumeSnapshotAction } from './actions/delete-volume-snapshot.ts';
import { getLogsAction } from './actions/get-logs.ts';
import { isolateNetworkAction } from './actions/isolate-network.ts';
import { restoreWorkloadScaleAction } from './actions/restore-workload-scale.ts';
import { rolloutRestartAction } from './actions/rollout-restart.ts';
import { scaleWorkloadAction } from './actions/scale-workload.ts';
import { uncordonNodeAction } from './actions/uncordon-node.ts';
import { volumeSnapshotAction } from './actions/volume-snapshot.ts';
import { isKubeConfig, kubernetesClients } from './cluster.ts';
import type { KubernetesClients } from './cluster.ts';
import type { ClusterDeps, ClusterSettings } from './deps.ts';
import { denyPolicyKinds } from './deny-policies.ts';
import { refusingExemptTargets } from './exemptions.ts';
import { TargetGuard } from './guards.ts';
import type { ResponderSelf } from './guards.ts';

export type { ClusterSettings } from './deps.ts';
export type { KubernetesClients } from './cluster.ts';
export type { ResponderSelf } from './guards.ts';

export interface KubernetesActionsOptions {
  /** In-cluster KubeConfig in production; a KubeConfig pointing at a test API server, or ready clients, in tests. */
  readonly cluster: KubeConfig | KubernetesClients;
  /** The responder's own pod and namespace (downward API), never acted on. */
  readonly self: ResponderSelf;
  /** The cluster this responder serves; work naming another is refused. */
  readonly clusterName?: string;
  /** Namespaces refused besides the responder's own. Default `['kube-system']`; `[]` allows kube-system. */
  readonly protectedNamespaces?: readonly string[];
  readonly clock?: Clock;
  readonly settings?: Partial<ClusterSettings>;
  /** Waits between snapshot readiness checks; rejects with an AbortError when the signal aborts. */
  readonly sleep?: (milliseconds: number, signal: AbortSignal) => Promise<void>;
}

export const defaultClusterSettings: ClusterSettings = {
  denyPolicyKinds: [...denyPolicyKinds],
  adminNetworkPolicyPriority: 10,
  calicoPolicyOrder: 0,
  snapshotReadyTimeoutMs: 5 * 60_000,
  snapshotPollIntervalMs: 2_000,
  logLimitBytes: 64 * 1024 * 1024,
};

/** The action types the cluster responder registers as its capabilities. */
export const kubernetesActionTypes = [
  'delete-pod',
  'rollout-restart',
  'isolate-network',
  'delete-network-policy',
  'kubernetes-volume-snapshot',
  'kubernetes-delete-volume-snapshot',
  'get-logs',
  'scale-workload',
  'restore-workload-scale',
  'capture-pod-state',
  'cordon-node',
  'uncordon-node',
] as const;

const abortableDelay = (milliseconds: number, signal: AbortSignal): Promise<void> => delay(milliseconds, undefined, { signal });

/** Every cluster action, sharing one set of API clients, one guard and one clock; a rule's work is refused on exempt targets. */
export function kubernetesActions(options: KubernetesActionsOptions): ResponderAction[] {
  const deps: ClusterDeps = {
    clients: isKubeConfig(options.cluster) ? kubernetesClients(options.cluster) : options.cluster,
    guard: new TargetGuard({
      self: options.self,
      ...(options.protectedNamespaces === undefined ? {} : { protectedNamespaces: options.protectedNamespaces }),
      ...(options.clusterName === undefined ? {} : { clusterName: options.clusterName }),
    }),
    clock: options.clock ?? systemClock,
    settings: { ...defaultClusterSettings, ...options.settings },
    sleep: options.sleep ?? abortableDelay,
  };
  return [
    deletePodAction(deps),
    rolloutRestartAction(deps),
    isolateNetworkAction(deps),
    deleteNetworkPolicyAction(deps),
    volumeSnapshotAction(deps),
    deleteVolumeSnapshotAction(deps),
    getLogsAction(deps),
    scaleWorkloadAction(deps),
    restoreWorkloadScaleAction(deps),
    capturePodStateAction(deps),
    cordonNodeAction(deps),
    uncordonNodeAction(deps),
  ].map((action) => refusingExemptTargets(action, deps));
}
