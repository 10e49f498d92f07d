/**
 * pause-container: freezes every process of a container (cgroup freezer), keeping its memory
 * for forensics. `applied.paused` says whether this action paused it, for unpause-container.
 */
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import { containerApplied, containerJson, containerRefOf, describeContainer, statusAfter } from './container-target.ts';
import type { HostEnvironment } from './environment.ts';
import { refuseResponderContainer } from './responder-guards.ts';
import { hostError } from './errors.ts';

export function pauseContainer(env: HostEnvironment): ResponderAction {
  return {
    type: 'pause-container',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const { runtime, container } = await env.runtimes.locate(containerRefOf(context.work.inputs), context.signal);
      await refuseResponderContainer(env.procRoot, container, 'pause');
      const prior = containerJson(container);
      if (container.paused) {
        return {
          prior,
          applied: containerApplied(container, { paused: false }),
          result: { ...prior, changed: false, reason: 'it was already paused; undo will not unpause it' },
        };
      }
      if (!container.running) throw hostError('ContainerNotRunning', `${describeContainer(container)} is ${container.status}: only a running container can be paused`);
      const applied = containerApplied(container, { paused: true });
      await context.recordProgress({ prior, applied });
      context.signal.throwIfAborted();
      await runtime.pause(container, context.signal);
      const after = await statusAfter(runtime, container, context.signal);
      return {
        prior,
        applied,
        result: { ...prior, changed: true, statusBefore: container.status, statusAfter: after?.status ?? 'removed' },
      };
    },
  };
}
