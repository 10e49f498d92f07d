import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import type { WorkStarter } from '#shared/ports.ts';

/** The host whose work {@link CompletingHostStarter} completes in these tests. */
export const planHost = 'node-7';

/**
 * The host executor of the plan tests: completes each action, a stop-container with the report a
 * host responder sends for a running container it stopped (the shapes of report-schemas/host.ts),
 * so its undo's inputs derive as they would after a real run.
 */
export class CompletingHostStarter implements WorkStarter {
  readonly #history: HistoryRepository;

  constructor(history: HistoryRepository) {
    this.#history = history;
  }

  async start(record: ActionRecord): Promise<void> {
    const containerId = String(record.inputs['container.id']);
    const stopped = record.type === 'stop-container';
    await this.#history.transition(record.id, 'Enqueued', { detail: `queued for host/${planHost}` });
    await this.#history.transition(record.id, 'Running');
    await this.#history.transition(record.id, 'Completed', {
      prior: stopped ? { containerId, name: 'web', runtime: 'docker', namespace: null, status: 'running', pid: 4242, image: 'nginx:1.27', startedAt: '2026-11-20T09:00:00.000Z', restartPolicy: 'no' } : null,
      applied: stopped ? { containerId, name: 'web', runtime: 'docker', namespace: null, stopped: true } : { done: true },
      result: stopped ? { containerId, changed: true, statusBefore: 'running' } : { done: true },
    });
  }
}
