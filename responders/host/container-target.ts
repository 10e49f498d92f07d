/** What the container actions share: naming the container, describing it, checking an undo's source. */
import * as z from 'zod';
import type { JsonObject } from '#shared/json.ts';
import type { ResponderActionContext } from '#shared/responders/protocol.ts';
import type { ContainerInfo, ContainerRef, ContainerRuntime } from './containers/runtime.ts';
import { hostError } from './errors.ts';
import { optionalText, requiredText } from './inputs.ts';

/** `container.id` or `container.name` (the catalogue lets exactly one through). */
export function containerRefOf(inputs: Readonly<Record<string, unknown>>): ContainerRef {
  const id = optionalText(inputs, 'container.id');
  return id === undefined ? { name: requiredText(inputs, 'container.name') } : { id };
}

export function containerJson(container: ContainerInfo): JsonObject {
  return {
    containerId: container.id,
    name: container.name,
    runtime: container.runtime,
    namespace: container.namespace,
    status: container.status,
    pid: container.pid,
    image: container.image,
    startedAt: container.startedAt,
    restartPolicy: container.restartPolicy,
  };
}

export function describeContainer(container: ContainerInfo): string {
  return `container ${container.id}${container.name === null ? '' : ` (${container.name})`} on ${container.runtime}`;
}

/** The container's status after an action, or `removed` when it is gone. */
export async function statusAfter(runtime: ContainerRuntime, container: ContainerInfo, signal: AbortSignal): Promise<ContainerInfo | null> {
  return runtime.find({ id: container.id }, signal);
}

/** Notes about what may undo a containment behind the responder's back. */
export function supervisorNotes(container: ContainerInfo, after: ContainerInfo | null): string[] {
  const notes: string[] = [];
  if (after?.running === true) {
    notes.push(`it is running again already${container.restartPolicy === null ? '' : `: its restart policy is ${container.restartPolicy}`}`);
  }
  if (container.namespace === 'k8s.io') {
    notes.push('the kubelet restarts containers of its pods; to keep a workload down use the Kubernetes responder (scale-workload, delete-pod, isolate-network)');
  }
  return notes;
}

/** What a stop or pause recorded as applied, for its undo. */
export const containerAppliedSchema = z.object({
  containerId: z.string(),
  name: z.string().nullable(),
  runtime: z.enum(['docker', 'containerd']),
  namespace: z.string().nullable(),
  stopped: z.boolean().optional(),
  paused: z.boolean().optional(),
});
export type ContainerApplied = z.infer<typeof containerAppliedSchema>;

export function containerApplied(container: ContainerInfo, change: { stopped: boolean } | { paused: boolean }): ContainerApplied {
  return { containerId: container.id, name: container.name, runtime: container.runtime, namespace: container.namespace, ...change };
}

/** The stop or pause an undo reverses, checked against the undo's own inputs. */
export function undoneContainer(context: ResponderActionContext, undoType: string, originalType: string): ContainerApplied {
  const { undoOf, inputs } = context.work;
  if (undoOf === null) {
    throw hostError('NothingToUndo', `${undoType} only reverses a ${originalType}, and this work names none to undo`);
  }
  const parsed = containerAppliedSchema.safeParse(undoOf.applied);
  if (!parsed.success) throw hostError('UndoMismatch', `action ${undoOf.actionId} (${undoOf.type}) recorded no container change this responder can reverse`);
  const applied = parsed.data;
  const ref = containerRefOf(inputs);
  const same = 'id' in ref ? applied.containerId.startsWith(ref.id) : applied.name === ref.name;
  if (!same) throw hostError('UndoMismatch', `action ${undoOf.actionId} changed container ${applied.containerId}, not the container these inputs name`);
  return applied;
}
