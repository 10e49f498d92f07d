/**
 * The cloud-action state machine scenarios' setup: the shipped definition, member sessions without
 * STS, tiny test actions bound through the real interface, and the local runtime on dynalite.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { createLocalCloudActions, defaultStateMachineFile, type LocalCloudActions, type LocalCloudActionsOptions } from '#local/runners/cloud-runner.ts';
import type { ExecutionEvent } from '#local/runners/executions.ts';
import type { CloudAction, CloudActionFamily } from '#shared/actions/cloud-action.ts';
import type { MemberSession, MemberSessionSource } from '#shared/adapters/member-session.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import * as cloudRuns from './cloud-runs.ts';
import { useDynalite } from './dynalite.ts';
import { freshHistory } from './history-store.ts';
import { recordFixture } from './records.ts';

export const shipped = readFileSync(defaultStateMachineFile, 'utf8');
const target = 'arn:aws:iam::111122223333:user/alice';
export type NoClients = Record<string, never>;

/** Member sessions without STS: these scenarios are about the state machine, not IAM. */
export const fakeSessions: MemberSessionSource = {
  sessionFor: ({ accountId, partition }) =>
    Promise.resolve<MemberSession>({
      accountId,
      partition,
      roleArn: `arn:${partition}:iam::${accountId}:role/ResponseActionsMember`,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing', expiration: new Date(Date.now() + 3_600_000) },
      clients: (_key, create) => create(),
    }),
};

/** A tiny action family bound through the same interface as the real ones. */
export function family(name: string, actions: CloudAction<NoClients>[]): CloudActionFamily<NoClients> {
  return { name, actions, createClients: () => ({}) };
}

/** An action whose steps record and return fixed things; each step may be replaced. */
export function testAction(type: string, steps: Partial<CloudAction<NoClients>> = {}): CloudAction<NoClients> & { calls: string[] } {
  const calls: string[] = [];
  return {
    type,
    calls,
    capture: async (context) => {
      calls.push('capture');
      await (steps.capture?.(context) ?? context.recordProgress({ prior: { settings: 'public' } }));
    },
    apply: async (context) => {
      calls.push('apply');
      if (steps.apply !== undefined) return steps.apply(context);
      await context.recordProgress({ applied: { changes: [{ action: 'MakePrivate' }] } });
      return { pending: false };
    },
    check: async (context) => {
      calls.push('check');
      return steps.check?.(context) ?? { pending: false };
    },
    verify: async (context) => {
      calls.push('verify');
      return steps.verify?.(context) ?? { private: true };
    },
    plan: async (context) => {
      calls.push('plan');
      return steps.plan?.(context) ?? [];
    },
    ...(steps.undoes === undefined ? {} : { undoes: steps.undoes }),
  };
}

export const config = loadConfig({ TARGET_ACCOUNTS: '111122223333', MEMBER_ROLE_EXTERNAL_ID: 'test-external-id' });

// Set by the hooks useCloudActionScenarios registers; each test file gets its own (vitest isolates files).
export let repository: HistoryRepository;
const runtimes: LocalCloudActions[] = [];

/** Registers the file's setup: dynalite and a history table on it; the runtimes made are closed after. Returns dynalite. */
export function useCloudActionScenarios(): { readonly endpoint: string } {
  const dynalite = useDynalite();
  beforeAll(async () => {
    ({ repository } = await freshHistory(dynalite.endpoint, systemClock));
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((runtime) => runtime.close()));
  });
  return dynalite;
}

export function runtimeWith(families: CloudActionFamily<NoClients>[], options: Partial<LocalCloudActionsOptions> = {}): LocalCloudActions {
  const runtime = createLocalCloudActions({
    repository,
    config,
    clock: systemClock,
    memberSessions: fakeSessions,
    families,
    // Retries and waits as the definition says, minus the pauses.
    retryIntervalOverrides: { Apply: 0, Check: 0, Verify: 0, MarkError: 0 },
    waitTimeOverrides: { WaitForChange: 0 },
    ...options,
  });
  runtimes.push(runtime);
  return runtime;
}

export function cloudRecord(type: string, fields: { undoOf?: ActionRecord } = {}): ActionRecord {
  const base = recordFixture({ type, at: systemClock.now(), resources: [target], undoType: null });
  return fields.undoOf === undefined ? base : createdRecord({ ...base, undoType: null, undoOf: fields.undoOf.id }, systemClock.now());
}

export async function runToEnd(runtime: LocalCloudActions, record: ActionRecord): Promise<ActionRecord> {
  return cloudRuns.runToEnd(repository, runtime, record);
}

export const statuses = cloudRuns.statusesOf;
export const entered = cloudRuns.statesEntered;
export const retried = (events: readonly ExecutionEvent[], state: string): number =>
  events.filter((event) => event.type === 'StateRetried' && event.state.name === state).length;
