/**
 * Lambda entry point of the playbook state machine's Advance and FailRun tasks
 * (state-machines/playbook-run.asl.json), invoked with a PlaybookStepEvent. A step's action is an
 * ordinary action, created through the ActionService and started on its own execution.
 * Environment: HISTORY_TABLE_NAME (runs and action records); CLOUD_ACTION_STATE_MACHINES,
 * RESPONDER_STATE_MACHINE_ARN and the responder deadlines (a step starts its action).
 * Permissions: read and write on the history table; states:StartExecution on the family and
 * responder state machines; nothing else (no plan, no member role, no playbook machine).
 */
import { randomBytes } from 'node:crypto';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { lambdaEntry } from '#shared/observability/entry.ts';
import { createPlaybookStepHandler, type PlaybookStepDeps } from '#shared/playbooks/advance.ts';
import { RunStore } from '#shared/playbooks/run-store.ts';
import { actionServicesFromEnv } from '../api/aws/action-services.ts';
import { cloudStarterFromEnv } from '../api/aws/cloud-starter.ts';
import { historyFromEnv } from '../api/aws/history.ts';
import { responderStartersFromEnv } from '../api/aws/responder-starter.ts';

export { createPlaybookStepHandler as createHandler };

/** The deployed wiring, read from the environment (fails fast naming a missing variable). */
export function defaultDeps(env: Environment = process.env): PlaybookStepDeps {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  const repository = historyFromEnv(env);
  const starters = { cloud: cloudStarterFromEnv(env, repository), ...responderStartersFromEnv(env) };
  // Steps are created approved (the run passed the gate) and never planned: no planner.
  const { actions } = actionServicesFromEnv(env, repository, { starters });
  // The engine never lists runs, so no cursor is ever handed out: a key of its own will do.
  const store = new RunStore({ client: createHistoryClient(), tableName: config.historyTableName ?? '', cursors: new CursorCodec(randomBytes(32)) });
  return { store, actions, records: repository, clock: systemClock };
}

// Deps are built on the first invocation: importing this module (local runtime, tests) reads no environment.
export const handler = lambdaEntry(() => createPlaybookStepHandler(defaultDeps()));
