/**
 * One interface for every cloud action: the state machine runs capture → apply → (check while
 * pending) → verify, each step a separate Lambda invocation of its family's function. An action
 * is one file (shared/actions/<family>/<type>.ts); a family is a folder with a barrel (index.ts)
 * and one Lambda function, so each family's function gets only its own permissions in the member
 * accounts (families.ts).
 */
import type { Partition } from '#shared/catalogue/index.ts';
import type { Clock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { MemberSession, SessionClients } from '#shared/adapters/member-session.ts';
import type { PlannedChange } from '#shared/plans/types.ts';
import type { $ZodType, output } from 'zod/v4/core';

/** The steps the state machine asks a family's function to run, in order. */
export const cloudActionSteps = ['capture', 'apply', 'check', 'verify'] as const;
export type CloudActionStep = (typeof cloudActionSteps)[number];

/** Where the action acts, resolved from its inputs and checked by the guards before any call. */
export interface CloudTarget {
  /** The ARN the action names (`aws.resource.arn`). */
  readonly arn: string;
  readonly partition: Partition;
  readonly accountId: string;
  /** The ARN's region, else `aws.region`, else empty (IAM is global). */
  readonly region: string;
  readonly service: string;
  readonly resourceType: string | null;
  /** The resource without its type (IAM: `path/name`). */
  readonly resourceName: string;
}

/** What apply and check report: done, or still pending and worth looking at again after a wait. */
export type StepProgress = { readonly pending: false } | { readonly pending: true; readonly waitSeconds: number };

/** What a step may store on the record while the action runs (see HistoryWriter.recordProgress). */
export interface ProgressUpdate {
  /** The resource before any change; kept from its first capture. */
  readonly prior?: JsonValue;
  /** Exactly what this action has changed so far; replaced on each write, so always the whole list. */
  readonly applied?: JsonValue;
  readonly result?: JsonValue;
}

/** The changes so far, written to the record as the whole list after each one (ProgressUpdate replaces `applied`). */
export interface ChangeLog<Change extends JsonValue> {
  readonly changes: readonly Change[];
  add(...changes: Change[]): Promise<void>;
}

/** Everything a step sees. */
export interface CloudActionContext<Clients> {
  /** The record as it was when this step began (prior/applied/result as recorded by earlier steps). */
  readonly record: ActionRecord;
  readonly target: CloudTarget;
  /** For an undo type: the action it undoes, whose `prior` and `applied` say what to reverse. */
  readonly undoing: ActionRecord | null;
  /** Clients in the target account, signed with the member role's session. */
  readonly clients: Clients;
  readonly clock: Clock;
  /**
   * Stores progress on the record at once: a step records `prior` as soon as it has it and
   * `applied` right after each change, so a failure later still leaves undo the truth.
   */
  recordProgress(update: ProgressUpdate): Promise<void>;
  /** For an undo type: the action it undoes; UndoSourceMissing when the record names none. */
  undoSource(): ActionRecord;
  /** This record's `prior` (or `from`'s, e.g. the undo source's), parsed with the action's own schema; UndoSourceMissing when it does not parse. */
  prior<Schema extends $ZodType>(schema: Schema, from?: ActionRecord): output<Schema>;
  /** The `changes` listed in this record's `applied` (or `from`'s), each parsed with `change`; none before the first. */
  changes<Change extends $ZodType>(change: Change, from?: ActionRecord): output<Change>[];
  /** The result recorded so far, as an object for verify to add to. */
  result(): JsonObject;
  /** A log starting from `initial` that writes the whole list as `applied: { changes }` after each add. */
  changeLog<Change extends JsonValue>(initial: readonly Change[]): ChangeLog<Change>;
}

/**
 * One action type of a family. An undo type is an action like any other whose context carries
 * the action it undoes (`undoing`): its capture reads the resource now and reports drift, its
 * apply reverses only what the original's `applied` lists.
 */
export interface CloudAction<Clients> {
  readonly type: string;
  /** For an undo type: the type it undoes (its inputs come from that action's prior/applied). */
  readonly undoes?: string;
  /** Reads (never changes) the resource and records `prior`. */
  capture(context: CloudActionContext<Clients>): Promise<void>;
  /** Makes the change, recording `applied` as it goes. */
  apply(context: CloudActionContext<Clients>): Promise<StepProgress>;
  /** Looks again at a change that was still pending; only for actions whose apply can return pending. */
  check?(context: CloudActionContext<Clients>): Promise<StepProgress>;
  /** Confirms the change is in place and returns the record's final `result`. */
  verify(context: CloudActionContext<Clients>): Promise<JsonValue>;
  /**
   * The calls apply (and check) would make, in order, decided as apply decides them from what
   * capture recorded (`prior`, and for an undo the original's `applied` and the drift found now);
   * none when apply would change nothing. May read, never writes (action-plan.ts runs it).
   */
  plan(context: CloudActionContext<Clients>): Promise<PlannedChange[]>;
}

/** A family: its action types (undo types included) and the clients they need in a member account. */
export interface CloudActionFamily<Clients extends SessionClients = SessionClients> {
  /** Also the key of the family's state machine in the work starter's map (`iam`). */
  readonly name: string;
  readonly actions: readonly CloudAction<Clients>[];
  /** The family's clients for one member-account session; created once per session, destroyed with it. */
  createClients(session: MemberSession): Clients;
}
