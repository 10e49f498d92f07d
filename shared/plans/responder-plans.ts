/**
 * What a host or Kubernetes action would ask its responder to do, change by change, read from
 * the validated inputs alone: the responder reads the target (and captures `prior`) only when it
 * runs, so a plan says exactly which work would be sent and what the responder does with it.
 */
import type { ActionInputs, ValidActionRequest } from '#shared/catalogue/index.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { ResponderRecord, WorkTarget } from '#shared/responders/protocol.ts';
import { isolationApplied } from '#shared/responders/report-schemas/index.ts';
import { responderId, targetLabel, workTargetOf } from '#shared/responders/target.ts';
import type { PlannedChange } from './types.ts';

/** The responder registrations a plan looks up (ResponderStore's listing). */
export interface ResponderRegistrations {
  list(): Promise<readonly ResponderRecord[]>;
}

/** What a describer sees: the valid inputs, the primary resource key, and for an undo the action it reverses. */
interface Work {
  readonly inputs: ActionInputs;
  readonly key: string;
  /** Every resource the action names (one per listed PVC or snapshot), in input order. */
  readonly keys: readonly string[];
  readonly undoing: ActionRecord | null;
}

type Describer = (work: Work) => PlannedChange[];

const text = (inputs: ActionInputs, name: string): string => {
  const value = inputs[name];
  return typeof value === 'string' ? value : String(value);
};
const optional = (inputs: ActionInputs, name: string): string | undefined => (inputs[name] === undefined ? undefined : text(inputs, name));
const names = (inputs: ActionInputs, name: string): string[] => {
  const value = inputs[name];
  return Array.isArray(value) ? value.map(String) : [String(value)];
};

function container({ inputs }: Work): string {
  return `container ${optional(inputs, 'container.id') ?? text(inputs, 'container.name')} on host ${text(inputs, 'host.id')}`;
}

function file({ inputs }: Work): string {
  const inContainer = optional(inputs, 'container.id');
  return `${text(inputs, 'path.absolute')}${inContainer === undefined ? '' : ` in container ${inContainer}`} on host ${text(inputs, 'host.id')}`;
}

const namespaced = (inputs: ActionInputs): string =>
  `namespace ${text(inputs, 'kubernetes.namespace.name')} of cluster ${text(inputs, 'kubernetes.cluster.name')}`;

const workloadKinds: Readonly<Record<string, string>> = {
  deployment: 'Deployment',
  statefulset: 'StatefulSet',
  daemonset: 'DaemonSet',
  replicaset: 'ReplicaSet',
};
const workloadKind = (inputs: ActionInputs): string => workloadKinds[text(inputs, 'kubernetes.workload.type')] ?? 'workload';
const workload = (inputs: ActionInputs): string =>
  `${text(inputs, 'kubernetes.workload.type')}/${text(inputs, 'kubernetes.workload.name')} in ${namespaced(inputs)}`;

const host = (type: string, detail: (work: Work) => string): Describer => (work) => [{ call: `host:${type}`, target: work.key, detail: detail(work) }];

function killProcess(work: Work): string {
  const { inputs } = work;
  const startTime = optional(inputs, 'process.start_time');
  const inContainer = optional(inputs, 'container.id');
  return [
    `SIGKILL to process ${text(inputs, 'process.id')}${inContainer === undefined ? '' : ` of container ${inContainer}`} on host ${text(inputs, 'host.id')}`,
    startTime === undefined ? '' : `, only if it started at ${startTime} (within one second)`,
    inContainer === undefined ? '' : ' and its cgroups name that container',
    '; refused for pid 1, kernel threads and the responder itself',
  ].join('');
}

function isolationDetail({ inputs }: Work): string {
  const direction = optional(inputs, 'network.direction');
  const denied = direction === 'INGRESS' ? 'ingress' : direction === 'EGRESS' ? 'egress' : 'ingress and egress';
  const cidr = optional(inputs, 'network.cidr');
  const protocol = optional(inputs, 'network.protocol');
  const port = optional(inputs, 'network.port');
  const exception =
    cidr === undefined && protocol === undefined && port === undefined
      ? 'with no exception'
      : `except ${cidr ?? 'any peer'}${protocol === undefined ? '' : ` over ${protocol}`}${port === undefined ? '' : ` port ${port}`}`;
  return `ra-isolate-${text(inputs, 'kubernetes.workload.name')}-<action id> selecting exactly the pods of ${workload(inputs)} (its spec.selector), denying ${denied} ${exception}; other policies that would defeat it are reported`;
}

function isolateNetwork(work: Work): PlannedChange[] {
  const { inputs } = work;
  return [
    { call: 'kubernetes:create NetworkPolicy', target: work.key, detail: isolationDetail(work) },
    {
      call: 'kubernetes:create deny policy',
      target: work.key,
      detail: `only where the cluster serves a deny-capable policy API (AdminNetworkPolicy, Calico or Cilium): ra-deny-${text(inputs, 'kubernetes.workload.name')}-<action id> denying the same, so no other allowance defeats the isolation`,
    },
  ];
}

/** As an undo, exactly the policies the isolation recorded it created; named directly, the one policy and its companions. */
function deleteNetworkPolicy(work: Work): PlannedChange[] {
  const { inputs, undoing } = work;
  const recorded = undoing === null ? undefined : isolationApplied.safeParse(undoing.applied);
  if (recorded?.success === true && undoing !== null) {
    return recorded.data.policies.map((policy) => ({
      call: `kubernetes:delete ${policy.kind}`,
      target: work.key,
      detail: `deletes ${policy.kind} ${policy.name}${policy.namespace === null ? ' (cluster-scoped)' : ` in namespace ${policy.namespace}`}, which action ${undoing.id} created, only while it still carries that action's labels`,
    }));
  }
  return [
    {
      call: 'kubernetes:delete NetworkPolicy',
      target: work.key,
      detail: `deletes NetworkPolicy ${text(inputs, 'kubernetes.networkpolicy.name')} in ${namespaced(inputs)} and the deny-capable companions its annotation lists; refused for a policy this service did not label`,
    },
  ];
}

function podLogs({ inputs }: Work): string {
  const containerName = optional(inputs, 'kubernetes.container.name');
  const which =
    containerName !== undefined
      ? `container ${containerName}`
      : inputs['allContainers'] === true
        ? 'every container (init and ephemeral ones too)'
        : 'the default container';
  return `uploads the ${inputs['previous'] === true ? 'previous instance\'s ' : ''}logs of ${which} of pod ${text(inputs, 'kubernetes.pod.name')} in ${namespaced(inputs)} as evidence, each container's exact bytes`;
}

function getLogs(work: Work): PlannedChange[] {
  const { inputs } = work;
  if (inputs['host.id'] !== undefined) {
    const previous = inputs['previous'] === true ? ' (a Docker container keeps one log across restarts: all of it is collected)' : '';
    return [{ call: 'host:get-logs', target: work.key, detail: `uploads the logs of ${container(work)}, as its runtime keeps them, as one evidence object${previous}` }];
  }
  return [{ call: 'kubernetes:get Pod log', target: work.key, detail: podLogs(work) }];
}

function scaledFrom(undoing: ActionRecord | null): string {
  if (undoing === null) return '';
  const prior = undoing.prior;
  const replicas = typeof prior === 'object' && prior !== null && !Array.isArray(prior) ? prior['replicas'] : undefined;
  return typeof replicas === 'number' ? ` (action ${undoing.id} recorded ${replicas})` : '';
}

const isDaemonSet = (inputs: ActionInputs): boolean => inputs['kubernetes.workload.type'] === 'daemonset';

/** A DaemonSet's saved node selector, as the scale-workload being undone recorded it. */
function savedSelector(undoing: ActionRecord | null): string {
  const prior = undoing?.prior;
  if (undoing === null || typeof prior !== 'object' || prior === null || Array.isArray(prior) || !Object.hasOwn(prior, 'nodeSelector')) return '';
  const selector = prior['nodeSelector'];
  const shown = typeof selector === 'object' && selector !== null && !Array.isArray(selector) ? Object.entries(selector).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(', ') : '';
  return ` (action ${undoing.id} recorded ${shown === '' ? 'none' : shown})`;
}

/** Every host and Kubernetes type of the catalogue; the unit test holds this to the catalogue. */
export const responderWork: Readonly<Record<string, Describer>> = {
  'kill-process': host('kill-process', killProcess),
  'kill-container': host('kill-container', (work) => `SIGKILL to every process of ${container(work)} at once, through its runtime`),
  'stop-container': host('stop-container', (work) => `SIGTERM to ${container(work)}, then SIGKILL after the grace period; records whether this action stopped it`),
  'start-container': host('start-container', (work) => `starts ${container(work)} again, only if the stop-container it undoes stopped it`),
  'pause-container': host('pause-container', (work) => `freezes every process of ${container(work)} (cgroup freezer), keeping its memory for forensics`),
  'unpause-container': host('unpause-container', (work) => `thaws ${container(work)}, only if the pause-container it undoes froze it`),
  'file-quarantine': host(
    'file-quarantine',
    (work) => `records the path, type, mode, owner, size, SHA-256 and mtime of ${file(work)}, then moves it (a link itself, never its target) into the quarantine directory with mode 0000`,
  ),
  'file-unquarantine': host(
    'file-unquarantine',
    (work) => `puts ${file(work)} back with its content (SHA-256 checked), mode, owner and mtime as recorded at quarantine; refused if a file is at that path now`,
  ),
  'acquire-file': host('acquire-file', (work) => {
    const bucket = optional(work.inputs, 's3.bucket');
    return `uploads ${file(work)} as evidence with its SHA-256 and size (a regular file only, up to the configured size); changes nothing${bucket === undefined ? '' : `; the result names s3.bucket ${bucket} as asked for`}`;
  }),
  'get-logs': getLogs,
  'capture-process-state': host('capture-process-state', ({ inputs }) => {
    const inContainer = optional(inputs, 'container.id');
    const what = inContainer === undefined ? `every process of host ${text(inputs, 'host.id')} and the sockets of each of their network namespaces` : `the processes of container ${inContainer} on host ${text(inputs, 'host.id')} and the sockets of its network namespace`;
    return `reads ${what} from /proc (never a process's environment) and uploads ps-like and ss-like listings, as JSON and text, as evidence with their SHA-256; changes nothing`;
  }),
  'delete-pod': (work) => [
    {
      call: 'kubernetes:delete Pod',
      target: work.key,
      detail: `deletes pod ${text(work.inputs, 'kubernetes.pod.name')} in ${namespaced(work.inputs)}, only while its uid is the one read first; a controller that owns it starts a fresh one`,
    },
  ],
  'isolate-network': isolateNetwork,
  'delete-network-policy': deleteNetworkPolicy,
  'kubernetes-volume-snapshot': (work) =>
    names(work.inputs, 'kubernetes.persistentvolume.claim.name').map((pvc, index) => ({
      call: 'kubernetes:create VolumeSnapshot',
      target: work.keys[index] ?? work.key,
      detail: `VolumeSnapshot ra-snap-${pvc}-<action id> of PersistentVolumeClaim ${pvc} in ${namespaced(work.inputs)}, then a bounded wait until it is readyToUse`,
    })),
  'kubernetes-delete-volume-snapshot': (work) =>
    names(work.inputs, 'kubernetes.volumesnapshot.name').map((snapshot, index) => ({
      call: 'kubernetes:delete VolumeSnapshot',
      target: work.keys[index] ?? work.key,
      detail: `deletes VolumeSnapshot ${snapshot} in ${namespaced(work.inputs)}, only if this service created it${work.undoing === null ? '' : ` (for action ${work.undoing.id})`}`,
    })),
  'rollout-restart': (work) => [
    {
      call: `kubernetes:patch ${workloadKind(work.inputs)}`,
      target: work.key,
      detail: `sets kubectl.kubernetes.io/restartedAt on the pod template of ${workload(work.inputs)}, so its controller replaces the pods by its update strategy; a paused Deployment is refused`,
    },
  ],
  'scale-workload': (work) => [
    {
      call: `kubernetes:patch ${workloadKind(work.inputs)}`,
      target: work.key,
      detail: isDaemonSet(work.inputs)
        ? `sets the pod template's spec.nodeSelector of ${workload(work.inputs)} to exactly node-restriction.kubernetes.io/response-actions-scaled-to-zero=<action id>, which no node matches, so its controller removes every pod while the DaemonSet stays; writes the node selector it has now (or that it has none) in its response-actions.io/scaled-from annotation in the same patch, guarded by the resourceVersion read; left alone when already scaled to zero`
        : `scales ${workload(work.inputs)} to ${text(work.inputs, 'kubernetes.workload.replicas')} replicas, writing the count it has now in its response-actions.io/scaled-from annotation in the same patch; left alone when already at that count`,
    },
  ],
  'restore-workload-scale': (work) => [
    {
      call: `kubernetes:patch ${workloadKind(work.inputs)}`,
      target: work.key,
      detail: isDaemonSet(work.inputs)
        ? `puts back exactly the pod template's spec.nodeSelector of ${workload(work.inputs)} saved in its response-actions.io/scaled-from annotation${savedSelector(work.undoing)} (removing the field when it had none) and removes the annotation in the same patch; reports drift when the selector is no longer the one scale-workload set`
        : `scales ${workload(work.inputs)} back to the count in its response-actions.io/scaled-from annotation${scaledFrom(work.undoing)} and removes the annotation in the same patch`,
    },
  ],
  'capture-pod-state': (work) => [
    {
      call: 'kubernetes:get Pod',
      target: work.key,
      detail: `reads pod ${text(work.inputs, 'kubernetes.pod.name')} in ${namespaced(work.inputs)} (spec, status, events, volumes and mounts with secret names only, its controllers and node) and uploads it as one JSON evidence object; changes nothing`,
    },
  ],
  'cordon-node': (work) => [
    {
      call: 'kubernetes:patch Node',
      target: work.key,
      detail: `sets spec.unschedulable on node ${text(work.inputs, 'kubernetes.node.name')} of cluster ${text(work.inputs, 'kubernetes.cluster.name')}, as kubectl cordon; nothing is evicted, and a node already cordoned is left alone`,
    },
  ],
  'uncordon-node': (work) => [
    {
      call: 'kubernetes:patch Node',
      target: work.key,
      detail: `puts back the spec.unschedulable node ${text(work.inputs, 'kubernetes.node.name')} of cluster ${text(work.inputs, 'kubernetes.cluster.name')} had before cordon-node (it only ever uncordons), reporting drift`,
    },
  ],
};

/** The responder work of a valid host or Kubernetes request; `undoing` is the action an undo type reverses. */
export function responderChanges(valid: Pick<ValidActionRequest, 'definition' | 'inputs' | 'resources'>, undoing: ActionRecord | null): PlannedChange[] {
  const describe = responderWork[valid.definition.type];
  if (describe === undefined) throw new Error(`no responder plan for ${valid.definition.type}`);
  return describe({ inputs: valid.inputs, key: valid.resources[0].key, keys: valid.resources.map((resource) => resource.key), undoing });
}

/**
 * The first change of every responder plan: the signed work handed to the target's responder,
 * saying whether one is registered and lists the type, since work for none waits until its
 * pickup deadline and then ends in Error.
 */
export async function dispatchChange(
  valid: Pick<ValidActionRequest, 'definition' | 'inputs' | 'executor'>,
  registrations: ResponderRegistrations | undefined,
): Promise<PlannedChange> {
  const target = workTargetOf({ id: 'planned', executor: valid.executor, inputs: valid.inputs });
  const type = valid.definition.type;
  return { call: 'responder:dispatch', target: responderId(target), detail: `${type} work signed and queued for the responder of ${targetLabel(target)}: ${await registration(target, type, registrations)}` };
}

async function registration(target: WorkTarget, type: string, registrations: ResponderRegistrations | undefined): Promise<string> {
  if (registrations === undefined) return 'whether one is registered is not known to this runtime';
  const found = (await registrations.list()).find((record) => record.kind === target.kind && record.name === target.name);
  if (found === undefined) {
    return 'no responder is registered for it, so the work would wait until its pickup deadline and the action end in Error';
  }
  const runs = found.capabilities.includes(type) ? `lists ${type} among its capabilities` : `does NOT list ${type} among its capabilities`;
  return `registered (version ${found.version}, last seen ${found.lastSeen}) and ${runs}`;
}
