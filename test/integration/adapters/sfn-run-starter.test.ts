/**
 * SfnRunStarter against moto_server's Step Functions (the same server the family starter's tests
 * use): StartExecution, ExecutionAlreadyExists and StateMachineDoesNotExist all come from moto,
 * so no client mock is needed. moto records executions without running their states.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StateMachineDoesNotExist, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { playbookRunAslPath } from '#infra/constructs/playbook-run-definition.ts';
import { substituteDefinition } from '#local/runners/state-machine-definition.ts';
import { SfnRunStarter } from '#shared/adapters/sfn-run-starter.ts';
import type { PlaybookRun } from '#shared/playbooks/types.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';

let sfn: SFNClient;
let stateMachineArn: string;

beforeAll(async () => {
  sfn = new SFNClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1', credentials: emulatorCredentials });
  // The shipped file, substituted as CloudFormation does.
  const definition = substituteDefinition(readFileSync(playbookRunAslPath, 'utf8'), {
    Partition: 'aws',
    PlaybookStepFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:playbook-step',
  });
  const created = await sfn.send(
    new CreateStateMachineCommand({ name: `playbook-runs-${randomUUID().slice(0, 8)}`, definition, roleArn: 'arn:aws:iam::123456789012:role/state-machine' }),
  );
  stateMachineArn = created.stateMachineArn ?? '';
});

afterAll(() => {
  sfn.destroy();
});

/** A run as the engine hands it to the starter; only its id matters here. */
function runFixture(): PlaybookRun {
  const at = new Date().toISOString();
  return {
    id: randomUUID(),
    playbook: 'suspicious-file',
    inputs: { 'host.id': 'web-1', 'path.absolute': '/tmp/x' },
    reason: null,
    status: 'Created',
    steps: [],
    createdBy: 'alice',
    createdAt: at,
    updatedAt: at,
    deadline: at,
    error: null,
    undo: { available: false, runId: null },
    undoOf: null,
    trigger: null,
  };
}

const executionArn = (runId: string): string => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;

async function executionsNamed(name: string): Promise<number> {
  const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
  return executions.filter((execution) => execution.name === name).length;
}

describe('SfnRunStarter on moto Step Functions', () => {
  it('starts one execution of the playbook machine named after the run, with input { runId } and nothing else of the run', async () => {
    // Prepare
    const starter = new SfnRunStarter({ client: sfn, stateMachineArn });
    const run = runFixture();

    // Act
    await starter.start(run);

    // Assess
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(run.id) }));
    expect(execution.name).toBe(run.id);
    expect(execution.stateMachineArn).toBe(stateMachineArn);
    // The inputs stay in the history table: the execution (and its logs) only carry the id.
    expect(JSON.parse(execution.input ?? '{}')).toEqual({ runId: run.id });
  });

  it('counts ExecutionAlreadyExists as started: a second start of the same run starts nothing more', async () => {
    // Prepare
    const starter = new SfnRunStarter({ client: sfn, stateMachineArn });
    const run = runFixture();
    await starter.start(run);
    // The execution ended: Step Functions refuses its name again with ExecutionAlreadyExists.
    await sfn.send(new StopExecutionCommand({ executionArn: executionArn(run.id) }));

    // Act
    await starter.start(run);

    // Assess
    expect(await executionsNamed(run.id)).toBe(1);
  });

  it('lets any other failure through (a state machine that does not exist), so the run is not taken as started', async () => {
    // Prepare
    const starter = new SfnRunStarter({ client: sfn, stateMachineArn: `${stateMachineArn}-gone` });

    // Act
    const started = starter.start(runFixture());

    // Assess
    await expect(started).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });
});
