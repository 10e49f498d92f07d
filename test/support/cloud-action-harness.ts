/**
 * What every cloud action test against moto_server needs: dynalite for the history, the moto
 * front (AssumeRole checked as AWS does, every request recorded), every family's member role in moto's IAM,
 * AWS_ENDPOINT_URL pointing at the front (so every target-account call, STS included, goes there
 * as API.md promises), and a local runtime of the shipped state machine with the families under test.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { vi } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createLocalCloudActions, type LocalCloudActions, type LocalCloudActionsOptions } from '#local/runners/cloud-runner.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { StsMemberSessions, type SessionClients } from '#shared/adapters/member-session.ts';
import type { ActionInputs } from '#shared/catalogue/index.ts';
import { systemClock } from '#shared/clock.ts';
import { defaultMemberRoleName, loadConfig, type ServiceConfig } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { recordWithInputs, runToEnd } from './cloud-runs.ts';
import { emulatorCredentials, freshHistory } from './history-store.ts';
import { createMemberRoles, motoAccountId, motoIamClient, startMotoFront, type MotoFront } from './moto-iam.ts';

export const memberExternalId = 'response-actions-test-external-id';

export interface CloudActionHarness {
  readonly front: MotoFront;
  readonly repository: HistoryRepository;
  /** The history's table and a client on it, to read what was written. */
  readonly historyTable: { readonly client: DynamoDBDocumentClient; readonly tableName: string };
  readonly config: ServiceConfig;
  /** The runtime with the families the harness was started with. */
  readonly runtime: LocalCloudActions;
  /** Another runtime on the same history, with other families (e.g. a mocked one); closed with the harness. */
  runtimeWith<Clients extends SessionClients>(family: CloudActionFamily<Clients>, overrides?: Partial<LocalCloudActionsOptions>): LocalCloudActions;
  /** A record exactly as the API would create it; an undo takes the inputs given, not ones derived from the original. */
  newRecord(type: string, inputs: ActionInputs, undoOf?: ActionRecord | null): ActionRecord;
  /** Records, starts and waits for one action; returns its final record. */
  run(record: ActionRecord, runtime?: LocalCloudActions): Promise<ActionRecord>;
  /** The undo of `original`, linked first as POST /v1/actions/{id}/undo does (inputs: the original's ARN by default). */
  undo(original: ActionRecord, undoType: string, inputs?: ActionInputs, runtime?: LocalCloudActions): Promise<ActionRecord>;
  close(): Promise<void>;
}

/** Waits and retry pauses of the shipped state machine, shortened for tests. */
export const quickStateMachine: Pick<LocalCloudActionsOptions, 'retryIntervalOverrides' | 'waitTimeOverrides'> = {
  retryIntervalOverrides: { MarkRunning: 0, Capture: 0, Apply: 0, Check: 0, Verify: 0, MarkCompleted: 0, MarkError: 0 },
  waitTimeOverrides: { WaitForChange: 0 },
};

export async function startCloudActionHarness(
  motoEndpoint: string,
  options: { families: readonly CloudActionFamily[]; protectedTargets?: string; overrides?: Partial<LocalCloudActionsOptions> },
): Promise<CloudActionHarness> {
  const dynalite: EmbeddedDynamoDb = await startEmbeddedDynamoDb();
  const front = await startMotoFront(motoEndpoint);
  vi.stubEnv('AWS_ENDPOINT_URL', front.endpoint);
  const iam: IAMClient = motoIamClient(motoEndpoint);
  // One member role per family, as the member-account stack deploys them.
  await createMemberRoles(iam, defaultMemberRoleName, memberExternalId);
  iam.destroy();
  const { repository, client: historyClient, tableName } = await freshHistory(dynalite.endpoint, systemClock);
  const config = loadConfig({
    TARGET_ACCOUNTS: motoAccountId,
    MEMBER_ROLE_EXTERNAL_ID: memberExternalId,
    ...(options.protectedTargets === undefined ? {} : { PROTECTED_TARGETS: options.protectedTargets }),
  });
  const sts = new STSClient({ region: 'us-east-1', credentials: emulatorCredentials });
  const runtimes: LocalCloudActions[] = [];
  const runtimeFor = (families: readonly CloudActionFamily[], overrides: Partial<LocalCloudActionsOptions>): LocalCloudActions => {
    const runtime = createLocalCloudActions({
      repository,
      config,
      clock: systemClock,
      memberSessions: new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId }),
      families,
      ...quickStateMachine,
      ...overrides,
    });
    runtimes.push(runtime);
    return runtime;
  };
  const runtime = runtimeFor(options.families, options.overrides ?? {});

  // No undoInputsFor here: undo() takes the inputs a test gives, so a test can post ones the API would not derive.
  const newRecord = recordWithInputs;
  const run = (record: ActionRecord, on: LocalCloudActions = runtime): Promise<ActionRecord> => runToEnd(repository, on, record);
  return {
    front,
    repository,
    historyTable: { client: historyClient, tableName },
    config,
    runtime,
    runtimeWith: (family, overrides = {}) => runtimeFor([family], overrides),
    newRecord,
    run,
    undo: async (original, undoType, inputs, on) => {
      const record = newRecord(undoType, inputs ?? { 'aws.resource.arn': original.inputs['aws.resource.arn'] }, original);
      await repository.claimUndo(original.id, record.id);
      return run(record, on);
    },
    close: async () => {
      for (const each of runtimes) await each.close();
      sts.destroy();
      await front.close();
      await dynalite.close();
      vi.unstubAllEnvs();
    },
  };
}
