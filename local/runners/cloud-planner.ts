/**
 * The local CloudPlanner: plans a cloud action in this process with the family that runs its
 * type (action-plan.ts), through the same member-account sessions the local runtime uses by default.
 */
import { runCloudActionPlan } from '#shared/actions/action-plan.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { UnsupportedActionTypeError } from '#shared/actions/errors.ts';
import type { MemberSessionSource } from '#shared/adapters/member-session.ts';
import type { Clock } from '#shared/clock.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import type { CloudPlanner } from '#shared/plans/types.ts';
import { localMemberSessions } from './cloud-runner.ts';

export interface InProcessCloudPlannerOptions {
  /** The families whose types it plans (the local runtime's). */
  readonly families: readonly CloudActionFamily[];
  readonly config: Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets' | 'memberRole'>;
  /** Member-account sessions; by default STS (following AWS_ENDPOINT_URL) with the configured member role, closed with the planner. */
  readonly sessions?: MemberSessionSource;
  /** Where an undo type's original is read; nothing is ever written. */
  readonly repository: Pick<HistoryWriter, 'get'>;
  readonly clock: Clock;
}

export interface InProcessCloudPlanner extends CloudPlanner {
  /** Releases the sessions it owns (not ones it was given). */
  close(): Promise<void>;
}

export function createInProcessCloudPlanner(options: InProcessCloudPlannerOptions): InProcessCloudPlanner {
  const memberSessions = localMemberSessions(options.sessions, options.config);
  return {
    plan: async (request) => {
      const family = options.families.find((candidate) => candidate.actions.some((action) => action.type === request.type));
      if (family === undefined) throw new UnsupportedActionTypeError(`no cloud action family here plans ${request.type} actions`);
      return runCloudActionPlan(
        { repository: options.repository, config: options.config, sessions: memberSessions.sessions, family, clock: options.clock },
        request,
      );
    },
    close: () => memberSessions.close(),
  };
}
