/** Action types a host responder carries out: processes, containers and files on one host. */
import { containerId, containerName, hostId, pathAbsolute, processId, processStartTime, s3Bucket } from './fields.ts';
import { optionalText, requiredText } from './read-inputs.ts';
import { containerResource, fileResource, hostResource } from './resource-keys.ts';
import { exactlyOneOf, inputsSchema } from './rules.ts';
import type { ActionInputs, ActionTypeDefinition } from './types.ts';

const onHost = () => 'host' as const;

/** A process action's resource is its container when given, else its host. */
export const killProcess: ActionTypeDefinition = {
  type: 'kill-process',
  title: 'Kill process',
  description: 'Kills a process on a host (or in one of its containers), refused when its start time does not match.',
  category: 'containment',
  effect: 'destructive',
  executors: ['host'],
  undoType: null,
  inputs: inputsSchema({
    'host.id': hostId,
    'process.id': processId,
    'process.start_time': processStartTime.optional(),
    'container.id': containerId.optional(),
  }),
  executorFor: onHost,
  resourcesOf: (inputs) => {
    const host = requiredText(inputs, 'host.id');
    const container = optionalText(inputs, 'container.id');
    return [container === undefined ? hostResource(host) : containerResource(host, container)];
  },
};

/** `host.id` and exactly one of `container.id` / `container.name`. */
const containerInputs = inputsSchema(
  {
    'host.id': hostId,
    'container.id': containerId.optional(),
    'container.name': containerName.optional(),
  },
  {
    rules: [exactlyOneOf('container.id', 'container.name')],
    jsonSchema: { oneOf: [{ required: ['container.id'] }, { required: ['container.name'] }] },
  },
);

function containerOf(inputs: ActionInputs) {
  const container = optionalText(inputs, 'container.id') ?? requiredText(inputs, 'container.name');
  return [containerResource(requiredText(inputs, 'host.id'), container)];
}

export const killContainer: ActionTypeDefinition = {
  type: 'kill-container',
  title: 'Kill container',
  description: "Kills every process of a container at once (SIGKILL), as the container runtime's kill does.",
  category: 'containment',
  effect: 'destructive',
  executors: ['host'],
  undoType: null,
  inputs: containerInputs,
  executorFor: onHost,
  resourcesOf: containerOf,
};

export const stopContainer: ActionTypeDefinition = {
  type: 'stop-container',
  title: 'Stop container',
  description: 'Stops a container gracefully (SIGTERM, then SIGKILL after the grace period); start-container undoes it.',
  category: 'containment',
  // Stopping ends every process of the container: its memory state is gone.
  effect: 'destructive',
  executors: ['host'],
  undoType: 'start-container',
  inputs: containerInputs,
  executorFor: onHost,
  resourcesOf: containerOf,
};

export const startContainer: ActionTypeDefinition = {
  type: 'start-container',
  title: 'Start container',
  description: 'Starts a stopped container again.',
  category: 'containment',
  // Starts what stop-container stopped; destroys nothing.
  effect: 'preserving',
  executors: ['host'],
  undoType: null,
  inputs: containerInputs,
  executorFor: onHost,
  resourcesOf: containerOf,
};

export const pauseContainer: ActionTypeDefinition = {
  type: 'pause-container',
  title: 'Pause container',
  description: 'Freezes every process of a container, keeping its memory intact for forensics; unpause-container undoes it.',
  category: 'containment',
  effect: 'preserving',
  executors: ['host'],
  undoType: 'unpause-container',
  inputs: containerInputs,
  executorFor: onHost,
  resourcesOf: containerOf,
};

export const unpauseContainer: ActionTypeDefinition = {
  type: 'unpause-container',
  title: 'Unpause container',
  description: 'Resumes the processes of a paused container.',
  category: 'containment',
  effect: 'preserving',
  executors: ['host'],
  undoType: null,
  inputs: containerInputs,
  executorFor: onHost,
  resourcesOf: containerOf,
};

/** `host.id`, `path.absolute` and, for a file inside a container, `container.id`. */
const fileInputs = inputsSchema({
  'host.id': hostId,
  'path.absolute': pathAbsolute,
  'container.id': containerId.optional(),
});

function fileOf(inputs: ActionInputs) {
  return [fileResource(requiredText(inputs, 'host.id'), requiredText(inputs, 'path.absolute'), optionalText(inputs, 'container.id'))];
}

export const fileQuarantine: ActionTypeDefinition = {
  type: 'file-quarantine',
  title: 'Quarantine file',
  description: "Moves a file on a host or in a container into quarantine and removes its permissions; file-unquarantine undoes it.",
  category: 'containment',
  // The file is moved aside with its bytes, not deleted.
  effect: 'preserving',
  executors: ['host'],
  undoType: 'file-unquarantine',
  inputs: fileInputs,
  executorFor: onHost,
  resourcesOf: fileOf,
};

export const fileUnquarantine: ActionTypeDefinition = {
  type: 'file-unquarantine',
  title: 'Restore quarantined file',
  description: 'Puts a quarantined file back where it was, with the permissions it had.',
  category: 'containment',
  effect: 'preserving',
  executors: ['host'],
  undoType: null,
  inputs: fileInputs,
  executorFor: onHost,
  resourcesOf: fileOf,
};

export const acquireFile: ActionTypeDefinition = {
  type: 'acquire-file',
  title: 'Acquire file',
  description: 'Copies a file from a host or container to S3 as evidence, with its SHA-256.',
  category: 'data-gathering',
  effect: 'evidence',
  executors: ['host'],
  undoType: null,
  inputs: inputsSchema({
    'host.id': hostId,
    'path.absolute': pathAbsolute,
    'container.id': containerId.optional(),
    's3.bucket': s3Bucket.optional(),
  }),
  executorFor: onHost,
  resourcesOf: fileOf,
};

/** The host's processes and sockets, or those of one container (its resource then). */
export const captureProcessState: ActionTypeDefinition = {
  type: 'capture-process-state',
  title: 'Capture process state',
  description: 'Stores ps-like and ss-like listings of the processes and network connections of a host or container, read from /proc, as evidence.',
  category: 'data-gathering',
  effect: 'evidence',
  executors: ['host'],
  undoType: null,
  inputs: inputsSchema({
    'host.id': hostId,
    'container.id': containerId.optional(),
  }),
  executorFor: onHost,
  resourcesOf: (inputs) => {
    const host = requiredText(inputs, 'host.id');
    const container = optionalText(inputs, 'container.id');
    return [container === undefined ? hostResource(host) : containerResource(host, container)];
  },
};
