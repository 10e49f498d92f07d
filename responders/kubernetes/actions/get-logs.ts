/**
 * get-logs, Kubernetes form: the logs of one container or all of them (init and ephemeral
 * containers included, where an attacker's debug container would be), current or `previous`,
 * each uploaded as its own evidence object `logs-<container>[-previous].txt` with the exact bytes
 * the kubelet served (logs are not necessarily UTF-8). Without a container name or
 * allContainers, the pod's default container, as kubectl picks it.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { JsonObject } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { callOptions, rawCapture } from '../cluster.ts';
import type { ClusterDeps } from '../deps.ts';
import { KubernetesCallError, callApi, errorCodes, errorSummary } from '../errors.ts';
import { namespaceOf, optionalBoolean, optionalText, requiredText } from '../inputs.ts';

export const defaultContainerAnnotation = 'kubectl.kubernetes.io/default-container';

/** Every container of the pod, in the order kubectl --all-containers lists them. */
export function containerNames(pod: V1Pod): string[] {
  return [
    ...(pod.spec?.initContainers ?? []).map((container) => container.name),
    ...(pod.spec?.containers ?? []).map((container) => container.name),
    ...(pod.spec?.ephemeralContainers ?? []).map((container) => container.name),
  ];
}

/** The container kubectl picks: the default-container annotation when it names one, else the first. */
export function defaultContainer(pod: V1Pod): string | undefined {
  const annotated = pod.metadata?.annotations?.[defaultContainerAnnotation];
  const names = (pod.spec?.containers ?? []).map((container) => container.name);
  return annotated !== undefined && names.includes(annotated) ? annotated : names[0];
}

export function getLogsAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'get-logs',
    async execute(context) {
      const { inputs } = context.work;
      if (inputs['host.id'] !== undefined) {
        throw new ResponderActionError(errorCodes.wrongTarget, 'get-logs with host.id is for a host responder, not the cluster responder');
      }
      const namespace = namespaceOf(inputs);
      const podName = requiredText(inputs, 'kubernetes.pod.name');
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(namespace, podName);
      const { signal } = context;
      const previous = optionalBoolean(inputs, 'previous') === true;
      const named = optionalText(inputs, 'kubernetes.container.name');
      const all = optionalBoolean(inputs, 'allContainers') === true;

      const pod = await callApi({ verb: 'get', resource: 'pods', group: '', namespace, name: podName }, () =>
        deps.clients.core.readNamespacedPod({ namespace, name: podName }, callOptions(signal)),
      );
      const names = containerNames(pod);
      let chosen: string[];
      if (named !== undefined) {
        if (!names.includes(named)) {
          throw new ResponderActionError(errorCodes.targetNotFound, `pod ${podName} in namespace ${namespace} has no container ${named} (it has ${names.join(', ')})`);
        }
        chosen = [named];
      } else if (all) {
        chosen = names;
      } else {
        const fallback = defaultContainer(pod);
        if (fallback === undefined) throw new ResponderActionError(errorCodes.targetNotFound, `pod ${podName} in namespace ${namespace} has no containers`);
        chosen = [fallback];
      }

      const evidence: JsonObject[] = [];
      const failures: JsonObject[] = [];
      const limit = deps.settings.logLimitBytes;
      for (const container of chosen) {
        try {
          const capture = rawCapture(signal);
          await callApi({ verb: 'get', resource: 'pods/log', group: '', namespace, name: podName }, () =>
            deps.clients.core.readNamespacedPodLog(
              { namespace, name: podName, container, limitBytes: limit, ...(previous ? { previous: true } : {}) },
              capture.options,
            ),
          ).catch((error: unknown) => {
            // The kubelet answers 400 for a container with no such logs (waiting to start, no previous instance).
            if (error instanceof KubernetesCallError && error.status === 400) {
              throw new ResponderActionError(errorCodes.logsUnavailable, `no ${previous ? 'previous ' : ''}logs of container ${container}: ${error.serverMessage ?? error.message}`, { cause: error });
            }
            throw error;
          });
          const bytes = new Uint8Array(capture.bytes());
          const objectName = `logs-${container}${previous ? '-previous' : ''}.txt`;
          const uploaded = await context.uploadEvidence(objectName, 'text/plain', bytes);
          evidence.push({ container, name: uploaded.name, sha256: uploaded.sha256, size: uploaded.size, truncated: bytes.byteLength >= limit });
        } catch (error) {
          // One container's failure (not started, no previous instance) does not lose the others' logs.
          if (chosen.length === 1 || (error instanceof ResponderActionError && error.code === errorCodes.interrupted)) throw error;
          failures.push({ container, error: errorSummary(error) });
        }
      }
      if (evidence.length === 0) {
        throw new ResponderActionError(
          errorCodes.logsUnavailable,
          `no container's logs could be read: ${failures.map((failure) => JSON.stringify(failure)).join('; ')}`.slice(0, 2000),
        );
      }
      return { result: { pod: podName, namespace, previous, containers: chosen, evidence, failures } };
    },
  };
}
