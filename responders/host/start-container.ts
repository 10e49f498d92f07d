/** start-container, the undo of stop-container: starts the container again, only if that stop stopped it. */
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import { containerJson, statusAfter, undoneContainer } from './container-target.ts';
import type { HostEnvironment } from './environment.ts';
import { hostError } from './errors.ts';

export function startContainer(env: HostEnvironment): ResponderAction {
  return {
    type: 'start-container',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const stopped = undoneContainer(context, 'start-container', 'stop-container');
      if (stopped.stopped !== true) {
        return {
          applied: { containerId: stopped.containerId, started: false },
          result: { containerId: stopped.containerId, changed: false, reason: 'the stop this undoes found the container already stopped, so it stays stopped' },
        };
      }
      const { runtime, container } = await env.runtimes.locate({ id: stopped.containerId }, context.signal);
      if (container.runtime !== stopped.runtime) {
        throw hostError('UndoMismatch', `container ${stopped.containerId} was stopped through ${stopped.runtime} but is now found on ${container.runtime}`);
      }
      const prior = containerJson(container);
      if (container.running || container.paused) {
        return {
          prior,
          applied: { containerId: container.id, started: false },
          result: { ...prior, changed: false, drift: [`it is already ${container.status} again; nothing was started`] },
        };
      }
      context.signal.throwIfAborted();
      await runtime.start(container, context.signal);
      const after = await statusAfter(runtime, container, context.signal);
      return {
        prior,
        applied: { containerId: container.id, started: true },
        result: { ...prior, changed: true, statusBefore: container.status, statusAfter: after?.status ?? 'removed' },
      };
    },
  };
}
