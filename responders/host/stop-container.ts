/**
 * stop-container: SIGTERM, then SIGKILL after the grace period. `prior` is the running state;
 * `applied.stopped` says whether this action stopped it, so start-container starts only a
 * container this action stopped.
 */
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import { containerApplied, containerJson, containerRefOf, statusAfter, supervisorNotes } from './container-target.ts';
import type { HostEnvironment } from './environment.ts';
import { refuseResponderContainer } from './responder-guards.ts';

export function stopContainer(env: HostEnvironment): ResponderAction {
  return {
    type: 'stop-container',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const { runtime, container } = await env.runtimes.locate(containerRefOf(context.work.inputs), context.signal);
      await refuseResponderContainer(env.procRoot, container, 'stop');
      const prior = containerJson(container);
      if (!container.running && !container.paused) {
        return {
          prior,
          applied: containerApplied(container, { stopped: false }),
          result: { ...prior, changed: false, reason: `it was already ${container.status}; nothing was stopped, and undo will not start it` },
        };
      }
      const applied = containerApplied(container, { stopped: true });
      // Recorded first: if the stop fails half-way, undo still knows to start it again.
      await context.recordProgress({ prior, applied });
      context.signal.throwIfAborted();
      await runtime.stop(container, env.stopTimeoutSeconds, context.signal);
      const after = await statusAfter(runtime, container, context.signal);
      return {
        prior,
        applied,
        result: {
          ...prior,
          changed: true,
          gracePeriodSeconds: env.stopTimeoutSeconds,
          statusBefore: container.status,
          statusAfter: after?.status ?? 'removed',
          notes: supervisorNotes(container, after),
        },
      };
    },
  };
}
