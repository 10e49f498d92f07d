/** unpause-container, the undo of pause-container: thaws the container, only if that pause froze it. */
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import { containerJson, statusAfter, undoneContainer } from './container-target.ts';
import type { HostEnvironment } from './environment.ts';
import { hostError } from './errors.ts';

export function unpauseContainer(env: HostEnvironment): ResponderAction {
  return {
    type: 'unpause-container',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const paused = undoneContainer(context, 'unpause-container', 'pause-container');
      if (paused.paused !== true) {
        return {
          applied: { containerId: paused.containerId, unpaused: false },
          result: { containerId: paused.containerId, changed: false, reason: 'the pause this undoes found the container already paused, so it stays paused' },
        };
      }
      const { runtime, container } = await env.runtimes.locate({ id: paused.containerId }, context.signal);
      if (container.runtime !== paused.runtime) {
        throw hostError('UndoMismatch', `container ${paused.containerId} was paused through ${paused.runtime} but is now found on ${container.runtime}`);
      }
      const prior = containerJson(container);
      if (!container.paused) {
        return {
          prior,
          applied: { containerId: container.id, unpaused: false },
          result: { ...prior, changed: false, drift: [`it is ${container.status}, no longer paused; nothing was changed`] },
        };
      }
      context.signal.throwIfAborted();
      await runtime.unpause(container, context.signal);
      const after = await statusAfter(runtime, container, context.signal);
      return {
        prior,
        applied: { containerId: container.id, unpaused: true },
        result: { ...prior, changed: true, statusBefore: container.status, statusAfter: after?.status ?? 'removed' },
      };
    },
  };
}
