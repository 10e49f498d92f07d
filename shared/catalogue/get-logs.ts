/**
 * get-logs, the one type with two executors: a container's logs from a host responder
 * (host form), or a pod's logs from a cluster responder (Kubernetes form).
 */
import {
  allContainers,
  containerId,
  hostId,
  kubernetesClusterName,
  kubernetesContainerName,
  kubernetesNamespaceName,
  kubernetesPodName,
  previous,
} from './fields.ts';
import { requiredText } from './read-inputs.ts';
import { containerResource, kubernetesResource } from './resource-keys.ts';
import { inputsSchema } from './rules.ts';
import type { InputRule } from './rules.ts';
import type { ActionInputs, ActionTypeDefinition } from './types.ts';

const hostForm = ['host.id', 'container.id'] as const;
const kubernetesForm = ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.pod.name'] as const;
/** Options that select among a pod's containers, so they mean nothing on a host. */
const kubernetesOnly = ['kubernetes.container.name', 'allContainers'] as const;

const hostFormText = 'the host form (host.id and container.id)';
const kubernetesFormText = 'the Kubernetes form (kubernetes.cluster.name, kubernetes.namespace.name and kubernetes.pod.name)';

function given(inputs: ActionInputs, names: readonly string[]): readonly string[] {
  return names.filter((name) => inputs[name] !== undefined);
}

/**
 * Exactly one complete form. Mixed forms are reported once, on the first Kubernetes input
 * given; an incomplete form on each input it lacks; no form at all once, on host.id.
 */
const oneForm: InputRule = (inputs, report) => {
  const hostGiven = given(inputs, hostForm);
  const podGiven = given(inputs, kubernetesForm);
  const [firstPodInput] = podGiven;
  if (hostGiven.length > 0 && firstPodInput !== undefined) {
    report(
      firstPodInput,
      `cannot be combined with ${hostGiven.join(' and ')}: get-logs takes either ${hostFormText} or ${kubernetesFormText}, not inputs of both`,
    );
    return;
  }
  if (hostGiven.length > 0) {
    for (const name of hostForm) if (!hostGiven.includes(name)) report(name, `is required for ${hostFormText}`);
    for (const name of given(inputs, kubernetesOnly)) {
      report(name, `only applies to ${kubernetesFormText}: it chooses among a pod's containers, and the host form names one container`);
    }
    return;
  }
  if (podGiven.length > 0 || given(inputs, kubernetesOnly).length > 0) {
    for (const name of kubernetesForm) if (!podGiven.includes(name)) report(name, `is required for ${kubernetesFormText}`);
    return;
  }
  report('host.id', `is required: give ${hostFormText}, or ${kubernetesFormText}`);
};

/** All containers or one named container, not both (allContainers: false is harmless). */
const oneContainerChoice: InputRule = (inputs, report) => {
  if (inputs.allContainers === true && inputs['kubernetes.container.name'] !== undefined) {
    report('allContainers', 'cannot be true together with kubernetes.container.name: give one container or all of them');
  }
};

export const getLogs: ActionTypeDefinition = {
  type: 'get-logs',
  title: 'Get logs',
  description: "Collects a container's logs from a host, or a pod's logs from a cluster, as evidence.",
  category: 'data-gathering',
  effect: 'evidence',
  executors: ['host', 'kubernetes'],
  undoType: null,
  inputs: inputsSchema(
    {
      'host.id': hostId.optional(),
      'container.id': containerId.optional(),
      'kubernetes.cluster.name': kubernetesClusterName.optional(),
      'kubernetes.namespace.name': kubernetesNamespaceName.optional(),
      'kubernetes.pod.name': kubernetesPodName.optional(),
      'kubernetes.container.name': kubernetesContainerName.optional(),
      allContainers: allContainers.optional(),
      previous: previous.optional(),
    },
    {
      rules: [oneForm, oneContainerChoice],
      jsonSchema: {
        oneOf: [{ required: [...hostForm] }, { required: [...kubernetesForm] }],
      },
    },
  ),
  executorFor: (inputs) => (inputs['host.id'] === undefined ? 'kubernetes' : 'host'),
  resourcesOf: (inputs) => {
    if (inputs['host.id'] !== undefined) {
      return [containerResource(requiredText(inputs, 'host.id'), requiredText(inputs, 'container.id'))];
    }
    return [
      kubernetesResource(
        requiredText(inputs, 'kubernetes.cluster.name'),
        requiredText(inputs, 'kubernetes.namespace.name'),
        'pod',
        requiredText(inputs, 'kubernetes.pod.name'),
      ),
    ];
  },
};
