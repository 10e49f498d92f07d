/**
 * Runs cluster actions against the test API server the way the runner would: a work order, an
 * abort signal, an uploadEvidence that keeps the bytes, a recordProgress that keeps each call.
 */
import { createHash } from 'node:crypto';
import { FixedClock } from '#shared/clock.ts';
import type { JsonValue } from '#shared/json.ts';
import type { ResponderAction, ResponderActionContext, ResponderOutcome, UndoSource, WorkOrder } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { kubernetesActions } from '../../../../responders/kubernetes/actions.ts';
import type { KubernetesActionsOptions } from '../../../../responders/kubernetes/actions.ts';
import { clusterName } from './kubernetes-objects.ts';
import type { TestApiServer } from './test-api-server.ts';

export const responderSelf = { podName: 'kubernetes-responder-6c9d5b7f4-x2k8q', namespace: 'response-actions' };
export const actionId = '3f2a9c1e-5b7d-4e21-9a0f-2c6b8d4e1a77';
export const startedAt = '2026-03-01T12:00:00Z';

export interface Upload {
  readonly name: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

export interface Run {
  readonly context: ResponderActionContext;
  readonly uploads: Upload[];
  readonly progress: { prior?: JsonValue; applied?: JsonValue }[];
  readonly controller: AbortController;
}

export interface WorkSpec {
  readonly type: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly actionId?: string;
  readonly undoOf?: UndoSource | null;
}

export function workOrder(spec: WorkSpec): WorkOrder {
  return {
    v: 1,
    actionId: spec.actionId ?? actionId,
    type: spec.type,
    inputs: spec.inputs,
    target: { kind: 'kubernetes', name: clusterName },
    undoOf: spec.undoOf ?? null,
    issuedAt: startedAt,
    pickupDeadline: '2026-03-01T12:02:00Z',
    completionDeadline: '2026-03-01T12:15:00Z',
  };
}

export function run(spec: WorkSpec): Run {
  const uploads: Upload[] = [];
  const progress: { prior?: JsonValue; applied?: JsonValue }[] = [];
  const controller = new AbortController();
  const context: ResponderActionContext = {
    work: workOrder(spec),
    signal: controller.signal,
    uploadEvidence: (name, contentType, body) => {
      uploads.push({ name, contentType, body: new Uint8Array(body) });
      return Promise.resolve({ name, sha256: createHash('sha256').update(body).digest('hex'), size: body.byteLength });
    },
    recordProgress: (update) => {
      progress.push(structuredClone(update));
      return Promise.resolve();
    },
  };
  return { context, uploads, progress, controller };
}

export interface Harness {
  readonly clock: FixedClock;
  readonly sleeps: number[];
  action(type: string): ResponderAction;
}

/** The actions against `server`, with a fixed clock that each sleep moves forward. */
export function harness(server: TestApiServer, options: Partial<KubernetesActionsOptions> = {}): Harness {
  const clock = new FixedClock(startedAt);
  const sleeps: number[] = [];
  const actions = kubernetesActions({
    cluster: server.kubeConfig(),
    self: responderSelf,
    clusterName,
    clock,
    sleep: (milliseconds, signal) => {
      signal.throwIfAborted();
      sleeps.push(milliseconds);
      clock.advance(milliseconds);
      return Promise.resolve();
    },
    ...options,
    settings: { snapshotPollIntervalMs: 2_000, snapshotReadyTimeoutMs: 60_000, ...options.settings },
  });
  return {
    clock,
    sleeps,
    action: (type) => {
      const found = actions.find((action) => action.type === type);
      if (found === undefined) throw new Error(`no action ${type}`);
      return found;
    },
  };
}

/** Runs and returns the outcome. */
export async function execute(h: Harness, spec: WorkSpec): Promise<{ outcome: ResponderOutcome; run: Run }> {
  const started = run(spec);
  const outcome = await h.action(spec.type).execute(started.context);
  return { outcome, run: started };
}

/** Runs, expecting a ResponderActionError; returns it. */
export async function executeFailing(h: Harness, spec: WorkSpec): Promise<{ error: ResponderActionError; run: Run }> {
  const started = run(spec);
  try {
    await h.action(spec.type).execute(started.context);
  } catch (error) {
    if (error instanceof ResponderActionError) return { error, run: started };
    throw error;
  }
  throw new Error(`${spec.type} succeeded but was expected to fail`);
}
