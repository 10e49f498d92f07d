import type { ActionInputs, Category, Executor, ResourceRef } from '#shared/catalogue/types.ts';
import type { JsonValue } from '#shared/json.ts';
import type { ActionStatus } from './status.ts';

export interface StatusChange {
  readonly status: ActionStatus;
  readonly at: string;
  readonly detail?: string;
}

/** Why an action ended in Error: a stable code for machines, a sentence for people. */
export interface ActionError {
  readonly code: string;
  readonly message: string;
}

export interface UndoLink {
  /** True while an undo may be requested now (derived on read from the fields below). */
  readonly available: boolean;
  /** The catalogue's undo type, or null when this action cannot be undone. */
  readonly type: string | null;
  /** The undo in flight or Completed; null when none, or when the last attempt failed. */
  readonly actionId: string | null;
}

/**
 * What set an action off (API.md "Findings in"): a rule acting on a finding, or a person's request
 * that went through an approval. A person's direct request has no trigger (null).
 */
export interface Trigger {
  /** The finding's source for a rule, `person` for a person's request that was approved. */
  readonly source: 'guardduty' | 'securityhub' | 'falco' | 'person';
  readonly eventId: string | null;
  readonly findingId: string | null;
  readonly findingType: string | null;
  readonly ruleId: string | null;
  /** Who approved it; null when no approval was needed. */
  readonly approvedBy: string | null;
}

/**
 * A caution recorded on an action that was accepted anyway (issue 13): `NoEvidenceFirst` on a
 * destructive action when no evidence was gathered on its resource in the hour before, naming the
 * evidence types that would have preserved what it destroys.
 */
export interface ActionWarning {
  readonly code: 'NoEvidenceFirst';
  readonly message: string;
  readonly evidenceTypes: readonly string[];
}

/** The record of one action, exactly what API.md promises and nothing internal. */
export interface ActionRecord {
  readonly id: string;
  readonly type: string;
  readonly category: Category;
  readonly executor: Executor;
  readonly inputs: ActionInputs;
  readonly reason: string | null;
  readonly resource: ResourceRef;
  readonly resources: readonly ResourceRef[];
  readonly status: ActionStatus;
  readonly statusHistory: readonly StatusChange[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly error: ActionError | null;
  /** Type-specific outcome: snapshot ids, evidence objects with sha256, ... */
  readonly result: JsonValue | null;
  /** The resource's state captured before any change. */
  readonly prior: JsonValue | null;
  /** Exactly what this action changed; undo touches only this. */
  readonly applied: JsonValue | null;
  readonly undo: UndoLink;
  readonly undoOf: string | null;
  readonly reexecuteOf: string | null;
  readonly trigger: Trigger | null;
  /** The playbook run this action is a step of; null for an action created on its own. */
  readonly playbookRunId: string | null;
  /** Cautions recorded when it was accepted; empty when none. */
  readonly warnings: readonly ActionWarning[];
}

export interface NewActionRecord {
  readonly id: string;
  readonly type: string;
  readonly category: Category;
  readonly executor: Executor;
  readonly inputs: ActionInputs;
  readonly reason?: string | null;
  readonly resources: readonly ResourceRef[];
  readonly createdBy: string;
  readonly undoType: string | null;
  readonly undoOf?: string | null;
  readonly reexecuteOf?: string | null;
  readonly trigger?: Trigger | null;
  readonly playbookRunId?: string | null;
  readonly warnings?: readonly ActionWarning[];
}

/** A freshly accepted action: status Created, nothing done yet. */
export function createdRecord(fields: NewActionRecord, now: Date): ActionRecord {
  const [resource] = fields.resources;
  if (resource === undefined) {
    throw new TypeError(`action ${fields.id} names no resource`);
  }
  const at = now.toISOString();
  return {
    id: fields.id,
    type: fields.type,
    category: fields.category,
    executor: fields.executor,
    inputs: fields.inputs,
    reason: fields.reason ?? null,
    resource,
    resources: fields.resources,
    status: 'Created',
    statusHistory: [{ status: 'Created', at }],
    createdBy: fields.createdBy,
    createdAt: at,
    updatedAt: at,
    error: null,
    result: null,
    prior: null,
    applied: null,
    undo: { available: false, type: fields.undoType, actionId: null },
    undoOf: fields.undoOf ?? null,
    reexecuteOf: fields.reexecuteOf ?? null,
    trigger: fields.trigger ?? null,
    playbookRunId: fields.playbookRunId ?? null,
    warnings: fields.warnings ?? [],
  };
}

/**
 * Whether an undo may be requested now (API.md): the action has an undo type, no undo is in
 * flight or Completed, it is Completed or in Error, and it changed something (`applied`).
 * A containment that found the resource already contained changed nothing: there is nothing
 * to undo, and the earlier action's prior state stays the truth.
 */
export function undoAvailable(record: Pick<ActionRecord, 'status' | 'applied' | 'undo'>): boolean {
  if (record.undo.type === null || record.undo.actionId !== null) return false;
  return (record.status === 'Completed' || record.status === 'Error') && changedSomething(record.applied);
}

function changedSomething(applied: JsonValue | null): boolean {
  if (applied === null) return false;
  if (Array.isArray(applied)) return applied.length > 0;
  if (typeof applied === 'object') {
    const changes = applied['changes'];
    if (Array.isArray(changes)) return changes.length > 0;
    return Object.keys(applied).length > 0;
  }
  return true;
}
