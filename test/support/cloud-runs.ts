/**
 * Records and runs the cloud-action tests share: a record exactly as the API would create it, one
 * execution on a local runtime from start to idle, and what its history says.
 */
import { randomUUID } from 'node:crypto';
import type { LocalCloudActions } from '#local/runners/cloud-runner.ts';
import type { ExecutionEvent } from '#local/runners/executions.ts';
import { validateActionRequest, type ActionInputs } from '#shared/catalogue/index.ts';
import { systemClock } from '#shared/clock.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { undoInputsFor } from '#shared/use-cases/undo-inputs.ts';

/** A record exactly as the API would create it (validated against now); an undo takes its inputs from the original, as the API does. */
export function apiRecord(type: string, inputs: ActionInputs, undoOf: ActionRecord | null = null): ActionRecord {
  return recordWithInputs(type, undoOf === null ? inputs : undoInputsFor(type, undoOf), undoOf);
}

/** The same record, but an undo takes the inputs given: for tests that post an undo's inputs directly (e.g. another account's snapshot ids). */
export function recordWithInputs(type: string, inputs: ActionInputs, undoOf: ActionRecord | null = null): ActionRecord {
  const valid = validateActionRequest({ type, inputs }, { now: systemClock.now() });
  if (!valid.ok) throw new Error(`invalid test request: ${JSON.stringify(valid.errors)}`);
  return createdRecord(
    {
      id: randomUUID(),
      type,
      category: valid.definition.category,
      executor: valid.executor,
      inputs: valid.inputs,
      resources: undoOf?.resources ?? valid.resources,
      createdBy: 'analyst-1',
      undoType: valid.definition.undoType,
      undoOf: undoOf?.id ?? null,
    },
    systemClock.now(),
  );
}

/** Stores the record, starts its execution and waits until the runtime is idle; the record as it ended. */
export async function runToEnd(repository: HistoryRepository, runtime: LocalCloudActions, record: ActionRecord): Promise<ActionRecord> {
  await repository.create(record);
  await runtime.starter.start(record);
  await runtime.idle();
  const final = await repository.get(record.id);
  if (final === null) throw new Error(`record ${record.id} vanished`);
  return final;
}

/** The states an execution entered, in order. */
export const statesEntered = (events: readonly ExecutionEvent[]): string[] =>
  events.flatMap((event) => (event.type === 'StateEntered' ? [event.state.name] : []));

/** The statuses a record went through, in order (none for a missing record). */
export const statusesOf = (record: ActionRecord | null): string[] => (record?.statusHistory ?? []).map((change) => change.status);
