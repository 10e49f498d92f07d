/**
 * What running a step of a cloud action (action-step.ts) and planning one (action-plan.ts)
 * share, written once: the family's action for the record's type, its target past the guard
 * rails, the action an undo reverses, and the family's own member role assumed for the calls,
 * their failures named.
 */
import type { MemberSessionSource, SessionClients } from '#shared/adapters/member-session.ts';
import type { Clock } from '#shared/clock.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import type { CloudAction, CloudActionFamily, CloudTarget } from './cloud-action.ts';
import { UndoSourceMissingError, UnsupportedActionTypeError, fromAwsError } from './errors.ts';
import { guardTarget, resolveTarget } from './target.ts';

/** What a family's function needs to act (or plan) in a member account. */
export interface CloudActionDeps<Clients extends SessionClients> {
  readonly repository: Pick<HistoryWriter, 'get'>;
  readonly config: Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets'>;
  readonly sessions: MemberSessionSource;
  readonly family: CloudActionFamily<Clients>;
  readonly clock: Clock;
}

/** A record's action, its guarded target and, for an undo type, the action it undoes. */
export interface PreparedAction<Clients> {
  readonly action: CloudAction<Clients>;
  readonly target: CloudTarget;
  readonly undoing: ActionRecord | null;
}

/**
 * The family's action for the record's type, with the guard rails applied before any call
 * (TargetAccountNotAllowed, ProtectedTarget) and, for an undo type, the action it undoes read
 * from the history (UndoSourceMissing when there is none).
 */
export async function prepareAction<Clients extends SessionClients>(
  deps: CloudActionDeps<Clients>,
  record: Pick<ActionRecord, 'id' | 'type' | 'inputs' | 'undoOf'>,
): Promise<PreparedAction<Clients>> {
  const action = deps.family.actions.find((candidate) => candidate.type === record.type);
  if (action === undefined) {
    throw new UnsupportedActionTypeError(`the ${deps.family.name} family's function does not run ${record.type} actions`);
  }
  const target = resolveTarget(record);
  guardTarget(target, deps.config);
  let undoing = null;
  if (action.undoes !== undefined) {
    undoing = record.undoOf === null ? null : await deps.repository.get(record.undoOf);
    if (undoing === null) {
      throw new UndoSourceMissingError(`action ${record.id} (${record.type}) undoes ${record.undoOf ?? 'nothing'}, which is not in the history`);
    }
  }
  return { action, target, undoing };
}

/**
 * Runs `work` with the family's clients in the target account, signed by the family's own member
 * role (it holds only this family's permissions) in a session named after `actionId`; AWS
 * failures become named errors (ThrottlingError is retried by the state machine).
 */
export async function inMemberAccount<Clients extends SessionClients, Result>(
  deps: Pick<CloudActionDeps<Clients>, 'sessions' | 'family'>,
  actionId: string,
  target: CloudTarget,
  work: (clients: Clients) => Promise<Result>,
): Promise<Result> {
  try {
    const session = await deps.sessions.sessionFor({ accountId: target.accountId, partition: target.partition, family: deps.family.name, actionId });
    return await work(session.clients(deps.family.name, () => deps.family.createClients(session)));
  } catch (error) {
    throw fromAwsError(error, { accountId: target.accountId });
  }
}
