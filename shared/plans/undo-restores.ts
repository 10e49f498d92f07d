/**
 * A plan's `undo`: the undo type and, in a sentence, what it would put back. Cloud sentences are
 * built from the prior the plan read now (what the action would record, so what undo reverses);
 * responder ones from the inputs, since the responder captures its prior only when it runs.
 * Priors are read leniently here: an unexpected shape gives a general sentence, never an error.
 */
import { findActionType, type ActionInputs } from '#shared/catalogue/index.ts';
import type { JsonValue } from '#shared/json.ts';

type Fields = Readonly<Record<string, unknown>>;

function fields(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
}

function list(value: unknown): Fields[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    const each = fields(item);
    return each === undefined ? [] : [each];
  });
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const input = (inputs: ActionInputs, name: string): string => String(inputs[name]);

function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${String(count)} ${count === 1 ? noun : plural}`;
}

function listed(items: readonly string[]): string {
  return items.length === 0 ? '' : ` (${items.join(', ')})`;
}

function container(inputs: ActionInputs): string {
  return `container ${String(inputs['container.id'] ?? inputs['container.name'])} on host ${input(inputs, 'host.id')}`;
}

function namespaced(inputs: ActionInputs): string {
  return `namespace ${input(inputs, 'kubernetes.namespace.name')} of cluster ${input(inputs, 'kubernetes.cluster.name')}`;
}

function iamUnquarantine(prior: Fields | undefined): string {
  const principal = fields(prior?.['principal']);
  const who = principal === undefined ? 'the principal' : `${String(principal['type'])} ${String(principal['name'])}`;
  const attached = list(prior?.['attachedPolicies']);
  if (attached.some((policy) => textOf(policy['policyArn'])?.endsWith(':policy/AWSDenyAll') === true)) {
    return `nothing: AWSDenyAll is already attached to ${who}, so the quarantine would attach nothing for undo to detach`;
  }
  if (prior === undefined) return 'detaches the AWSDenyAll the quarantine attaches, and nothing else';
  const inline = prior['inlinePolicyNames'];
  const inlineCount = Array.isArray(inline) ? inline.length : 0;
  const names = attached.flatMap((policy) => textOf(policy['policyName']) ?? []);
  return `detaches AWSDenyAll from ${who}, restoring the ${counted(attached.length, 'managed policy', 'managed policies')}${listed(names)} and ${counted(inlineCount, 'inline policy', 'inline policies')} attached before`;
}

const blockSettings = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

function undoMakePrivate(prior: Fields | undefined): string {
  if (prior?.['kind'] === 'aws.s3.bucket') {
    const bucket = String(prior['bucket']);
    const block = fields(prior['publicAccessBlock']);
    if (block === undefined) return `removes the public access block from bucket ${bucket} again: it has none now`;
    if (blockSettings.every((setting) => block[setting] === true)) return `nothing: bucket ${bucket} already blocks all public access now`;
    return `puts back the public access block bucket ${bucket} has now (${blockSettings.map((setting) => `${setting} ${block[setting] === true ? 'on' : 'off'}`).join(', ')})`;
  }
  if (prior?.['kind'] === 'aws.rds.db-instance') {
    const instance = String(prior['dbInstanceIdentifier']);
    return prior['publiclyAccessible'] === true
      ? `makes DB instance ${instance} publicly accessible again, as it is now`
      : `nothing: DB instance ${instance} is not publicly accessible now`;
  }
  return 'puts back the public access settings the action changes, as they were before it';
}

function undoSnapshot(prior: Fields | undefined): string {
  const instance = textOf(fields(prior?.['instance'])?.['id']) ?? 'the instance';
  const volumes = list(prior?.['volumes']).flatMap((volume) => textOf(volume['volumeId']) ?? []);
  return `deletes the ${counted(volumes.length, 'snapshot')} this takes of ${instance}'s EBS volumes${listed(volumes)}; the instance itself is never changed`;
}

function unisolate(prior: Fields | undefined): string {
  const instance = textOf(fields(prior?.['instance'])?.['id']) ?? 'the instance';
  const interfaces = list(prior?.['networkInterfaces']).map(
    (eni) => `${String(eni['networkInterfaceId'])}: ${Array.isArray(eni['groupIds']) ? eni['groupIds'].map(String).join(' ') : '?'}`,
  );
  const termination = prior?.['disableApiTermination'] === true ? 'on' : 'off';
  const shutdown = textOf(prior?.['shutdownBehavior']) ?? 'as it was';
  const group = textOf(fields(prior?.['autoScaling'])?.['autoScalingGroupName']);
  return [
    `puts back the security groups of ${instance}'s ${counted(interfaces.length, 'network interface')}${listed(interfaces)}`,
    `, its termination protection (${termination}) and shutdown behaviour (${shutdown})`,
    group === undefined ? '' : `, and takes it out of Standby in Auto Scaling group ${group}`,
  ].join('');
}

function restoreSessions(prior: Fields | undefined): string {
  const role = textOf(fields(prior?.['role'])?.['name']) ?? 'the role';
  const policyName = textOf(prior?.['policyName']) ?? 'the revocation policy';
  return fields(prior?.['policy']) === undefined
    ? `deletes the inline policy ${policyName} from role ${role}, so sessions issued before the revocation work again`
    : `puts back the inline policy ${policyName} role ${role} has now, as it is now`;
}

function reactivateKeys(prior: Fields | undefined): string {
  const user = textOf(fields(prior?.['user'])?.['name']) ?? 'the user';
  const active = list(prior?.['accessKeys']).filter((key) => key['status'] === 'Active').flatMap((key) => textOf(key['accessKeyId']) ?? []);
  if (active.length === 0) return `nothing: user ${user} has no Active access key now, so none would be deactivated`;
  return `reactivates the ${counted(active.length, 'access key')} of user ${user} ${active.length === 1 ? 'that is' : 'that are'} Active now${listed(active)}, and only ${active.length === 1 ? 'it' : 'those'}`;
}

function restoreProfile(prior: Fields | undefined): string {
  const instance = textOf(prior?.['instanceId']) ?? 'the instance';
  const profile = textOf(fields(prior?.['association'])?.['instanceProfileArn']);
  return profile === undefined
    ? `nothing: ${instance} has no instance profile now`
    : `associates instance profile ${profile} with ${instance} again`;
}

type Restores = (prior: Fields | undefined, inputs: ActionInputs) => string;

/** By the type being planned (the original): what its undo type would restore. */
const restores: Readonly<Record<string, Restores>> = {
  'iam-quarantine': iamUnquarantine,
  'make-cloud-resource-private': undoMakePrivate,
  'cloud-volume-snapshot': undoSnapshot,
  'isolate-ec2-instance': unisolate,
  'revoke-iam-role-sessions': restoreSessions,
  'deactivate-access-keys': reactivateKeys,
  'detach-instance-profile': restoreProfile,
  'stop-container': (_, inputs) => `starts ${container(inputs)} again, if this stop stopped it`,
  'pause-container': (_, inputs) => `thaws ${container(inputs)}, resuming its processes where they were frozen`,
  'file-quarantine': (_, inputs) =>
    `puts ${input(inputs, 'path.absolute')}${inputs['container.id'] === undefined ? '' : ` in container ${input(inputs, 'container.id')}`} on host ${input(inputs, 'host.id')} back with its content, mode, owner and mtime as recorded at quarantine`,
  'isolate-network': (_, inputs) =>
    `deletes the isolation policies this creates for ${input(inputs, 'kubernetes.workload.type')}/${input(inputs, 'kubernetes.workload.name')} in ${namespaced(inputs)}, restoring the traffic its other policies allow`,
  'kubernetes-volume-snapshot': (_, inputs) => {
    const value = inputs['kubernetes.persistentvolume.claim.name'];
    const pvcs = Array.isArray(value) ? value.map(String) : [String(value)];
    return `deletes the VolumeSnapshots this takes of ${counted(pvcs.length, 'PersistentVolumeClaim')}${listed(pvcs)} in ${namespaced(inputs)}`;
  },
  'scale-workload': (_, inputs) =>
    inputs['kubernetes.workload.type'] === 'daemonset'
      ? `puts back exactly the node selector daemonset/${input(inputs, 'kubernetes.workload.name')} in ${namespaced(inputs)} has when scaled (saved on the DaemonSet then; none stays none), so its pods return`
      : `scales ${input(inputs, 'kubernetes.workload.type')}/${input(inputs, 'kubernetes.workload.name')} in ${namespaced(inputs)} back to the replica count it has when scaled (saved on the workload then)`,
  'cordon-node': (_, inputs) =>
    `uncordons node ${input(inputs, 'kubernetes.node.name')} of cluster ${input(inputs, 'kubernetes.cluster.name')} if it was schedulable before, as read when cordoned`,
};

/** The plan's `undo` for `type` with these inputs and prior; null when the type has no undo. */
export function undoRestores(type: string, inputs: ActionInputs, prior: JsonValue | null): { type: string; restores: string } | null {
  const undoType = findActionType(type)?.undoType ?? null;
  if (undoType === null) return null;
  const sentence = restores[type];
  if (sentence === undefined) throw new Error(`no undo sentence for ${type}, whose undo is ${undoType}`);
  return { type: undoType, restores: sentence(fields(prior), inputs) };
}

/** The types with an undo sentence (the unit test holds them to the catalogue's undo pairs). */
export const typesWithRestores: readonly string[] = Object.keys(restores);
