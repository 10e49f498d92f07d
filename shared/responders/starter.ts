import type { SFNClient } from '@aws-sdk/client-sfn';
import { startNamedExecution } from '#shared/adapters/sfn-work-starter.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { WorkStarter } from '#shared/ports.ts';
import type { WorkTarget } from './protocol.ts';
import { targetLabel, workTargetOf } from './target.ts';

/** How long a responder has to pick work up (heartbeat) and to finish it (from dispatch). */
export interface ResponderDeadlines {
  readonly pickupSeconds: number;
  readonly completionSeconds: number;
}

/**
 * The input of an execution of `state-machines/responder-action.asl.json`. The deadlines travel
 * in the input (the Dispatch state reads them through HeartbeatSecondsPath and TimeoutSecondsPath)
 * rather than as definition substitutions: a numeric placeholder would make the shipped file
 * invalid JSON, and this way the work order's deadlines and the ones Step Functions enforces come
 * from one value. The label names the target in the state machine's own error messages.
 */
export interface ResponderExecutionInput {
  readonly actionId: string;
  readonly target: WorkTarget & { readonly label: string };
  readonly deadlines: ResponderDeadlines;
}

export function responderExecutionInput(record: ActionRecord, deadlines: ResponderDeadlines): ResponderExecutionInput {
  const target = workTargetOf(record);
  // Step Functions requires HeartbeatSeconds < TimeoutSeconds: a pickup window as long as the
  // whole deadline would fail the execution at run time, so it is kept one second shorter.
  const completionSeconds = Math.max(2, Math.ceil(deadlines.completionSeconds));
  const pickupSeconds = Math.max(1, Math.min(Math.ceil(deadlines.pickupSeconds), completionSeconds - 1));
  return { actionId: record.id, target: { ...target, label: targetLabel(target) }, deadlines: { pickupSeconds, completionSeconds } };
}

export interface SfnResponderWorkStarterOptions {
  /** The service's own Step Functions client (it never follows AWS_ENDPOINT_URL). */
  readonly client: SFNClient;
  /** RESPONDER_STATE_MACHINE_ARN */
  readonly stateMachineArn: string;
  readonly deadlines: ResponderDeadlines;
}

/**
 * Starts a host or cluster action's execution of the responder state machine, named after the
 * action id (a repeated start finds ExecutionAlreadyExists, which counts as started). The record
 * stays Created until the execution's Dispatch state has sent the work and marks it Enqueued.
 */
export class SfnResponderWorkStarter implements WorkStarter {
  readonly #options: SfnResponderWorkStarterOptions;

  constructor(options: SfnResponderWorkStarterOptions) {
    this.#options = options;
  }

  async start(record: ActionRecord): Promise<void> {
    const input = responderExecutionInput(record, this.#options.deadlines);
    await startNamedExecution(this.#options.client, this.#options.stateMachineArn, record.id, input);
  }
}
