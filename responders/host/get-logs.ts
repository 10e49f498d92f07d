/**
 * get-logs, host form (`host.id` + `container.id`): the container's logs, as its runtime keeps
 * them, uploaded as one evidence object. `previous` means "the instance before the last restart"
 * for a Kubernetes pod; a Docker container keeps one log across restarts, so it is noted and
 * everything is collected.
 */
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import { containerJson } from './container-target.ts';
import type { HostEnvironment } from './environment.ts';
import { hostError } from './errors.ts';
import { logsEvidenceName } from './evidence-names.ts';
import { optionalBoolean, requiredText } from './inputs.ts';

export function getLogs(env: HostEnvironment): ResponderAction {
  return {
    type: 'get-logs',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const { inputs } = context.work;
      const containerId = requiredText(inputs, 'container.id');
      const previous = optionalBoolean(inputs, 'previous');
      const { runtime, container } = await env.runtimes.locate({ id: containerId }, context.signal);
      const logs = await runtime.logs(container, env.maxLogBytes, context.signal);
      context.signal.throwIfAborted();
      const evidence = await context.uploadEvidence(logsEvidenceName(container.runtime, container.id), 'text/plain; charset=utf-8', logs.body);
      if (evidence.size !== logs.body.length) {
        throw hostError('EvidenceMismatch', `the evidence stored for the logs of container ${container.id} has ${evidence.size} bytes, not ${logs.body.length}`);
      }
      const notes: string[] = [];
      if (previous === true) {
        notes.push(
          container.runtime === 'docker'
            ? 'previous has no meaning for a Docker container: Docker keeps one log across its restarts, so these are all of its logs'
            : 'previous has no meaning for a containerd task: these are the logs of its current task',
        );
      }
      if (logs.truncated) notes.push(`the logs were longer than ${env.maxLogBytes} bytes: only the newest are kept`);
      return {
        result: {
          ...containerJson(container),
          evidence: { name: evidence.name, sha256: evidence.sha256, size: evidence.size },
          truncated: logs.truncated,
          source: logs.source,
          notes,
        },
      };
    },
  };
}
