import type { SFNClient } from '@aws-sdk/client-sfn';
import type { PlaybookRun, RunStarter } from '#shared/playbooks/types.ts';
import { startNamedExecution } from './sfn-work-starter.ts';

export interface SfnRunStarterOptions {
  /** The service's own Step Functions client (given an explicit endpoint locally: it never follows AWS_ENDPOINT_URL). */
  readonly client: SFNClient;
  /** The playbook state machine (state-machines/playbook-run.asl.json as deployed). */
  readonly stateMachineArn: string;
}

/**
 * Starts a playbook run's execution, named after the run id with input `{ "runId": ... }`: one
 * execution per run, and a repeated start (a retry, a second approval of the same request)
 * finds ExecutionAlreadyExists, which counts as started.
 */
export class SfnRunStarter implements RunStarter {
  readonly #client: SFNClient;
  readonly #stateMachineArn: string;

  constructor(options: SfnRunStarterOptions) {
    this.#client = options.client;
    this.#stateMachineArn = options.stateMachineArn;
  }

  async start(run: PlaybookRun): Promise<void> {
    await startNamedExecution(this.#client, this.#stateMachineArn, run.id, { runId: run.id });
  }
}
