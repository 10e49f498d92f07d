import { randomUUID } from 'node:crypto';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { createLocalCloudActions } from '#local/runners/cloud-runner.ts';
import type { ExecutionEvent } from '#local/runners/executions.ts';
import { iamAccessKeysFamily } from '#shared/actions/iam-access-keys/index.ts';
import { iamFamily } from '#shared/actions/iam/index.ts';
import { iamSessionsFamily } from '#shared/actions/iam-sessions/index.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { recordWithInputs, runToEnd } from '#test/support/cloud-runs.ts';

/** Step Functions bills and throttles state transitions: each state entered, and each retry of one. */
export interface TransitionCounts {
  readonly entered: number;
  readonly retried: number;
  /** Task states entered: each one Lambda invocation in AWS. */
  readonly tasks: number;
  /** Seconds each Task state took here (entered → exited), for Lambda's billed duration. */
  readonly taskSeconds: readonly number[];
}

export function transitionsOf(events: readonly ExecutionEvent[]): TransitionCounts {
  const taskSeconds: number[] = [];
  const enteredAt = new Map<string, number>();
  for (const event of events) {
    if (event.type === 'StateEntered' && event.state.type === 'Task') enteredAt.set(event.state.name, event.timestamp);
    if (event.type === 'StateExited' && event.state.type === 'Task') {
      const at = enteredAt.get(event.state.name);
      if (at !== undefined) taskSeconds.push((event.timestamp - at) / 1000);
    }
  }
  return {
    entered: events.filter((event) => event.type === 'StateEntered').length,
    retried: events.filter((event) => event.type === 'StateRetried').length,
    tasks: events.filter((event) => event.type === 'StateEntered' && event.state.type === 'Task').length,
    taskSeconds,
  };
}

/**
 * The shipped cloud-action state machine (state-machines/cloud-action.asl.json) run by the local
 * runner on the same history and moto as the service under count, one action of each measured
 * cloud type, to read its execution history: the service does not hand out its runner's
 * histories, this runner is built exactly as local/service.ts builds it. AWS_ENDPOINT_URL must
 * point at moto (or its front) already.
 */
export async function measureTransitions(repository: HistoryRepository, env: Readonly<Record<string, string>>): Promise<Map<string, TransitionCounts>> {
  const config = loadConfig(env);
  const runtime = createLocalCloudActions({ repository, config, clock: systemClock, families: [iamFamily, iamAccessKeysFamily, iamSessionsFamily] });
  const account = [...(config.targetAccounts.all ? [] : config.targetAccounts.ids)][0] ?? '123456789012';
  const iam = new IAMClient({ region: 'us-east-1' });
  try {
    const counts = new Map<string, TransitionCounts>();
    const run = async (record: ActionRecord): Promise<ActionRecord> => {
      const final = await runToEnd(repository, runtime, record);
      counts.set(record.type, transitionsOf(runtime.history(record.id)));
      return final;
    };
    const user = async (withKey: boolean): Promise<string> => {
      const name = `capacity-sfn-${randomUUID().slice(0, 8)}`;
      await iam.send(new CreateUserCommand({ UserName: name }));
      if (withKey) await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      return `arn:aws:iam::${account}:user/${name}`;
    };
    const quarantined = await run(recordWithInputs('iam-quarantine', { 'aws.resource.arn': await user(false) }));
    const undo = recordWithInputs('iam-unquarantine', { 'aws.resource.arn': String(quarantined.inputs['aws.resource.arn']) }, quarantined);
    await repository.claimUndo(quarantined.id, undo.id);
    await run(undo);
    await run(recordWithInputs('deactivate-access-keys', { 'aws.resource.arn': await user(true) }));
    const roleName = `capacity-sfn-role-${randomUUID().slice(0, 8)}`;
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    await run(recordWithInputs('revoke-iam-role-sessions', { 'aws.resource.arn': `arn:aws:iam::${account}:role/${roleName}` }));
    return counts;
  } finally {
    iam.destroy();
    await runtime.close();
  }
}
