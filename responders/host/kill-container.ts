/** kill-container: SIGKILL to every process of a container, through its runtime. Nothing to undo. */
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import { containerJson, containerRefOf, describeContainer, statusAfter, supervisorNotes } from './container-target.ts';
import type { HostEnvironment } from './environment.ts';
import { refuseResponderContainer } from './responder-guards.ts';
import { hostError } from './errors.ts';

export function killContainer(env: HostEnvironment): ResponderAction {
  return {
    type: 'kill-container',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const { runtime, container } = await env.runtimes.locate(containerRefOf(context.work.inputs), context.signal);
      await refuseResponderContainer(env.procRoot, container, 'kill');
      if (!container.running && !container.paused) {
        throw hostError('ContainerNotRunning', `${describeContainer(container)} is ${container.status}: it has no process to kill`);
      }
      const prior = containerJson(container);
      context.signal.throwIfAborted();
      await runtime.kill(container, context.signal);
      const after = await statusAfter(runtime, container, context.signal);
      return {
        prior,
        applied: { containerId: container.id, runtime: container.runtime, signal: 'SIGKILL' },
        result: {
          ...prior,
          signal: 'SIGKILL',
          statusBefore: container.status,
          statusAfter: after?.status ?? 'removed',
          notes: supervisorNotes(container, after),
        },
      };
    },
  };
}
