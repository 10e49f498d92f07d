/**
 * The hourly sweep (EventBridge rate(1 hour)): removes responders silent past
 * RESPONDER_RETENTION_HOURS with their queues and dead-letter queues, and logs (warn) each kept
 * responder whose dead-letter queue holds work, which the dead-letter alarm counts.
 */
import { loadResponderConfig } from '#shared/responders/config.ts';
import type { ResponderService } from '#shared/use-cases/responders.ts';

export function createHandler(deps: { responders: ResponderService; retentionHours: number }): () => Promise<{ removed: string[]; withDeadLetters: string[] }> {
  return () => deps.responders.sweepSilent(deps.retentionHours * 3600);
}

let ready: Promise<() => Promise<{ removed: string[]; withDeadLetters: string[] }>> | undefined;

export async function handler(): Promise<{ removed: string[]; withDeadLetters: string[] }> {
  ready ??= import('../api/responder-aws-deps.ts').then((module) =>
    createHandler({ responders: module.responderApiDeps().responders, retentionHours: loadResponderConfig(process.env).retentionHours }),
  );
  return (await ready)();
}
