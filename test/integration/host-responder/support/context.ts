/**
 * A ResponderActionContext for running host actions directly: the work order is built from
 * inputs the catalogue validates (so the tests only use inputs the service would queue), and
 * uploads and progress are captured for assertions.
 */
import { createHash, randomUUID } from 'node:crypto';
import { validateActionRequest } from '#shared/catalogue/index.ts';
import type { JsonValue } from '#shared/json.ts';
import type { ResponderAction, ResponderActionContext, ResponderOutcome, UndoSource } from '#shared/responders/protocol.ts';

export interface CapturedUpload {
  readonly name: string;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface TestContext extends ResponderActionContext {
  readonly uploads: CapturedUpload[];
  readonly progress: { prior?: JsonValue; applied?: JsonValue }[];
  /** Everything that happened, in order (`progress`, `upload:<name>`), to check what came first. */
  readonly events: string[];
}

/** A context for one piece of host work; throws when the catalogue would refuse the inputs. */
export function hostWork(type: string, inputs: Record<string, unknown>, options: { undoOf?: UndoSource; events?: string[]; actionId?: string } = {}): TestContext {
  const validation = validateActionRequest({ type, inputs: { 'host.id': 'test-host', ...inputs } }, { now: new Date() });
  if (!validation.ok) throw new Error(`the catalogue refuses these inputs: ${JSON.stringify(validation.errors)}`);
  if (validation.executor !== 'host') throw new Error(`${type} with these inputs is not host work`);
  const uploads: CapturedUpload[] = [];
  const progress: { prior?: JsonValue; applied?: JsonValue }[] = [];
  const events = options.events ?? [];
  const now = new Date();
  return {
    work: {
      v: 1,
      actionId: options.actionId ?? randomUUID(),
      type,
      inputs: validation.inputs,
      target: { kind: 'host', name: 'test-host' },
      undoOf: options.undoOf ?? null,
      issuedAt: now.toISOString(),
      pickupDeadline: new Date(now.getTime() + 60_000).toISOString(),
      completionDeadline: new Date(now.getTime() + 600_000).toISOString(),
    },
    signal: new AbortController().signal,
    uploads,
    progress,
    events,
    uploadEvidence(name, contentType, body) {
      const copy = Buffer.from(body);
      uploads.push({ name, contentType, body: copy });
      events.push(`upload:${name}`);
      return Promise.resolve({ name, sha256: createHash('sha256').update(copy).digest('hex'), size: copy.length });
    },
    recordProgress(step) {
      progress.push(step);
      events.push('progress');
      return Promise.resolve();
    },
  };
}

/** The action of `type` from a list (hostActions' output). */
export function actionOf(actions: readonly ResponderAction[], type: string): ResponderAction {
  const action = actions.find((candidate) => candidate.type === type);
  if (action === undefined) throw new Error(`no ${type} action`);
  return action;
}

/** The undo source the service would hand the undo of an action that ended with `outcome`. */
export function undoSourceOf(type: string, outcome: ResponderOutcome, actionId: string = randomUUID()): UndoSource {
  return { actionId, type, prior: outcome.prior ?? null, applied: outcome.applied ?? null, result: outcome.result };
}

/** A JSON object field of an outcome part, for assertions. */
export function objectOf(value: JsonValue | undefined): Record<string, JsonValue> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`not a JSON object: ${JSON.stringify(value)}`);
  return value;
}

/** A JSON string field, for assertions. */
export function textOf(value: JsonValue | undefined): string {
  if (typeof value !== 'string') throw new Error(`not a string: ${JSON.stringify(value)}`);
  return value;
}
