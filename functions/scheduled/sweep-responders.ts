/**
 * The hourly sweep (EventBridge rate(1 hour)): removes responders silent past
 * RESPONDER_RETENTION_HOURS with their queues and dead-letter queues, and logs (warn) each kept
 * responder whose dead-letter queue holds work, which the dead-letter alarm counts.
 */
import { loadResponderConfig } from '#shared/responders/config.ts';
import { lambdaEntry } from '#shared/observability/entry.ts';
import type { ResponderService } from '#shared/use-cases/responders.ts';

export function createHandler(deps: { responders: ResponderService; retentionHours: number }): () => Promise<{ removed: string[]; withDeadLetters: string[] }> {
  return () => deps.responders.sweepSilent(deps.retentionHours * 3600);
}

export const handler = lambdaEntry(async () => {
  const { responderApiDeps } = await import('../api/responder-aws-deps.ts');
  return createHandler({ responders: responderApiDeps().responders, retentionHours: loadResponderConfig(process.env).retentionHours });
});
