/**
 * The hourly sweep (EventBridge rate(1 hour)): removes responders silent past
 * RESPONDER_RETENTION_HOURS with their queues and dead-letter queues, and logs (warn) each kept
 * responder whose dead-letter queue holds work, which the dead-letter alarm counts.
 */
import { loadResponderConfig } from '#shared/responders/config.ts';
import { lambdaEntry } from '#shared/observability/entry.ts';
import { ResponderFleet } from '#shared/use-cases/responder-fleet.ts';
import { responderQueuesFromEnv } from '../api/aws/responder-queues.ts';
import { respondersFromEnv } from '../api/aws/responders.ts';

export function createHandler(deps: { responders: ResponderFleet; retentionHours: number }): () => Promise<{ removed: string[]; withDeadLetters: string[] }> {
  return () => deps.responders.sweepSilent(deps.retentionHours * 3600);
}

// Deps are built on the first invocation; the sweep wires the history table and the queues only.
export const handler = lambdaEntry(() => {
  const { responders } = respondersFromEnv(ResponderFleet, process.env, { queues: responderQueuesFromEnv(process.env) });
  return createHandler({ responders, retentionHours: loadResponderConfig(process.env).retentionHours });
});
