import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { cloudActionFamilyOf } from '#shared/actions/families.ts';
import { ConfigError, StatusConflictError } from '#shared/errors.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import type { WorkStarter } from '#shared/ports.ts';

/** No state machine is configured for the family of this action type (a deployment defect). */
export class NoStateMachineError extends Error {
  override readonly name = 'NoStateMachineError';

  constructor(type: string, family: string | undefined) {
    super(
      family === undefined
        ? `no cloud action family runs ${type} actions yet`
        : `no state machine is configured for the ${family} family (which runs ${type}); set it in CLOUD_ACTION_STATE_MACHINES`,
    );
  }
}

export interface SfnWorkStarterOptions {
  /** The service's own Step Functions client (given an explicit endpoint locally: it never follows AWS_ENDPOINT_URL). */
  readonly client: SFNClient;
  /** Family name → its state machine's ARN (`iam` → `arn:aws:states:...:stateMachine:...`). */
  readonly stateMachineArns: Readonly<Record<string, string>>;
  readonly repository: Pick<HistoryWriter, 'transition'>;
  /** Which family runs a type; the catalogue's cloud types by default. */
  readonly familyOf?: (type: string) => string | undefined;
}

/**
 * Starts a cloud action's execution on its family's state machine, named after the action id:
 * Step Functions then never runs two executions for one action, and a repeated start (a retry
 * after a timeout) finds ExecutionAlreadyExists, which counts as started.
 */
export class SfnWorkStarter implements WorkStarter {
  readonly #client: SFNClient;
  readonly #arns: Readonly<Record<string, string>>;
  readonly #repository: Pick<HistoryWriter, 'transition'>;
  readonly #familyOf: (type: string) => string | undefined;

  constructor(options: SfnWorkStarterOptions) {
    this.#client = options.client;
    this.#arns = options.stateMachineArns;
    this.#repository = options.repository;
    this.#familyOf = options.familyOf ?? cloudActionFamilyOf;
  }

  async start(record: ActionRecord): Promise<void> {
    const family = this.#familyOf(record.type);
    const stateMachineArn = family === undefined ? undefined : this.#arns[family];
    if (stateMachineArn === undefined) throw new NoStateMachineError(record.type, family);
    await startNamedExecution(this.#client, stateMachineArn, record.id, { actionId: record.id });
    await markEnqueued(this.#repository, record.id);
  }
}

/**
 * StartExecution named `name` (an action's or a playbook run's id), with `input` as JSON, so Step Functions never runs
 * two for one id: a repeated start (a retry after a timeout) finds ExecutionAlreadyExists, which
 * counts as started.
 */
export async function startNamedExecution(client: SFNClient, stateMachineArn: string, name: string, input: object): Promise<void> {
  try {
    await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
}

/**
 * Created → Enqueued "execution started". The execution may already have moved the record on
 * (to Enqueued, Running or even an end), which is as good: only a missing record is an error.
 */
export async function markEnqueued(repository: Pick<HistoryWriter, 'transition'>, actionId: string): Promise<void> {
  try {
    await repository.transition(actionId, 'Enqueued', { detail: 'execution started' });
  } catch (error) {
    if (!(error instanceof StatusConflictError) || error.currentStatus === null) throw error;
  }
}

/**
 * Parses CLOUD_ACTION_STATE_MACHINES (`iam=arn:...,ec2=arn:...`) into the starter's map; for the
 * config module, which is where the variable is read.
 */
export function parseStateMachineArns(value: string | undefined, variable = 'CLOUD_ACTION_STATE_MACHINES'): Record<string, string> {
  const arns: Record<string, string> = {};
  for (const entry of (value ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const separator = entry.indexOf('=');
    const family = entry.slice(0, separator).trim();
    const arn = entry.slice(separator + 1).trim();
    if (separator <= 0 || !/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}$/.test(arn)) {
      throw new ConfigError(variable, `"${entry}" is not family=<state machine ARN> (e.g. iam=arn:aws:states:eu-west-1:123456789012:stateMachine:iam-actions)`);
    }
    arns[family] = arn;
  }
  return arns;
}
