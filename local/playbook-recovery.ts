/**
 * Restart recovery for playbook runs, beside recovery.ts (actions): a run's execution lives in
 * memory locally, so on start every run left Created or Running is started again. Advancing is
 * idempotent (all state is in the run item and its steps' actions), so the new execution carries
 * on from where the old one stopped: a step whose action was claimed is not created twice, and a
 * step action recovery.ts ended in Error ends the run by the usual rules. Runs after actions: by
 * then every step action is settled or running again.
 */
import type { Clock } from '#shared/clock.ts';
import { logger } from '#shared/log.ts';
import type { RunStore } from '#shared/playbooks/run-store.ts';
import type { RunStarter } from '#shared/playbooks/types.ts';

export interface PlaybookRecoveryReport {
  /** Runs whose execution was started again. */
  readonly resumed: readonly string[];
  /** Runs that could not be started again (they stay as they are; the next start tries again). */
  readonly failedToResume: readonly string[];
}

export async function resumePlaybookRuns(store: Pick<RunStore, 'listInFlight'>, starter: RunStarter, clock: Clock): Promise<PlaybookRecoveryReport> {
  const resumed: string[] = [];
  const failedToResume: string[] = [];
  // Everything is read before anything starts: advancing moves runs on the status index being read.
  for (const { run } of await store.listInFlight(clock.now())) {
    try {
      await starter.start(run);
      resumed.push(run.id);
    } catch (error) {
      logger.warn('a playbook run could not be started again after a restart; the next start tries again', { runId: run.id, error });
      failedToResume.push(run.id);
    }
  }
  return { resumed, failedToResume };
}
