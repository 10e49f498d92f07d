/**
 * The playbook end-to-end tests' service: startLocalService (what `npm start` runs) on a temporary
 * DATA_DIR, with the playbook runner looking at a step in flight every 100 ms instead of 2 s, and
 * the HTTP calls the tests make as a person would (tokens from the local issuer).
 */
import { startLocalService, type LocalService, type LocalServiceOptions } from '#local/service.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { PlaybookRun } from '#shared/playbooks/types.ts';

export const bothExec = ['containment-response-actions.exec', 'data-gathering-response-actions.exec'];
export const bothRead = ['containment-response-actions.read', 'data-gathering-response-actions.read'];

export function startPlaybookService(options: Omit<LocalServiceOptions, 'port' | 'playbookRunner'>): Promise<LocalService> {
  return startLocalService({ ...options, port: 0, playbookRunner: { waitTimeOverrides: { WaitForStep: 100 } } });
}

export interface Answer<Body> {
  readonly status: number;
  readonly location: string | null;
  readonly body: Body;
}

export async function call<Body = Record<string, unknown>>(service: LocalService, method: string, path: string, body?: unknown, scopes = bothExec): Promise<Answer<Body>> {
  const bearer = await service.issuer.issue({ sub: 'responder-on-call', scopes });
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, location: response.headers.get('location'), body: (await response.json()) as Body };
}

/** Starts a run over HTTP (202 expected) and returns it as answered. */
export async function startRun(service: LocalService, playbook: string, inputs: Record<string, unknown>): Promise<PlaybookRun> {
  const answer = await call<PlaybookRun>(service, 'POST', `/v1/playbooks/${playbook}/runs`, { inputs, reason: 'e2e' });
  if (answer.status !== 202) throw new Error(`the run was not accepted: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Reads the run until it has ended (Completed or Error). */
export async function runEnded(service: LocalService, id: string, seconds = 60): Promise<PlaybookRun> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const { body: run } = await call<PlaybookRun>(service, 'GET', `/v1/playbook-runs/${id}`, undefined, bothRead);
    if (run.status === 'Completed' || run.status === 'Error') return run;
    if (Date.now() > deadline) throw new Error(`run ${id} stayed ${run.status}: ${JSON.stringify(run.steps)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The action records of a run's steps that have one, in step order. */
export async function stepActions(service: LocalService, run: PlaybookRun): Promise<ActionRecord[]> {
  const records: ActionRecord[] = [];
  for (const step of run.steps) {
    if (step.actionId !== null) records.push((await call<ActionRecord>(service, 'GET', `/v1/actions/${step.actionId}`, undefined, bothRead)).body);
  }
  return records;
}

/** When the record went Running (its step started doing something) and when it ended. */
export function runningAt(record: ActionRecord): number {
  const change = record.statusHistory.find((entry) => entry.status === 'Running');
  if (change === undefined) throw new Error(`action ${record.id} (${record.type}) never ran: ${JSON.stringify(record.statusHistory)}`);
  return Date.parse(change.at);
}

export function endedAt(record: ActionRecord): number {
  const change = record.statusHistory.find((entry) => entry.status === 'Completed' || entry.status === 'Error');
  if (change === undefined) throw new Error(`action ${record.id} (${record.type}) never ended`);
  return Date.parse(change.at);
}
