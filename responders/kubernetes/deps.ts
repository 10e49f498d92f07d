/** What every cluster action is built from; `kubernetesActions` assembles it from its options. */
import type { Clock } from '#shared/clock.ts';
import type { KubernetesClients } from './cluster.ts';
import type { DenyPolicyKind } from './deny-policies.ts';
import type { TargetGuard } from './guards.ts';

export interface ClusterSettings {
  /** Deny-capable policy APIs to use, in order of preference, when discovery finds them. */
  readonly denyPolicyKinds: readonly DenyPolicyKind[];
  /** `spec.priority` of AdminNetworkPolicies (0 is evaluated first; 0-1000). */
  readonly adminNetworkPolicyPriority: number;
  /** `spec.order` of Calico NetworkPolicies (lower is evaluated first; Kubernetes NetworkPolicies are 1000). */
  readonly calicoPolicyOrder: number;
  /** How long a VolumeSnapshot may take to become ready before it is reported as not ready. */
  readonly snapshotReadyTimeoutMs: number;
  /** Pause between readiness checks of VolumeSnapshots. */
  readonly snapshotPollIntervalMs: number;
  /** `limitBytes` of each container's log read (evidence is held in memory before upload). */
  readonly logLimitBytes: number;
}

export interface ClusterDeps {
  readonly clients: KubernetesClients;
  readonly guard: TargetGuard;
  readonly clock: Clock;
  readonly settings: ClusterSettings;
  /** Waits, or rejects with an AbortError when `signal` aborts. */
  readonly sleep: (milliseconds: number, signal: AbortSignal) => Promise<void>;
}
