import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '#shared/auth/scopes.ts';
import { actionTypes, isUndoType, undoTargetOf, validateActionRequest } from '#shared/catalogue/index.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import type { JsonValue } from '#shared/json.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import { planSchema } from '#shared/plans/plan-schema.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { freshHistory } from '#test/support/history-store.ts';

/*
 * Every host and Kubernetes undo type posted directly as a dry run, with the history on dynalite:
 * the original is recorded Completed with what its responder reports as `applied` (the shapes of
 * shared/responders/report-schemas), and the plan is of its undo, found as a create finds it.
 */

const analyst: Caller = { sub: 'analyst-1', scopes: new Set(['containment-response-actions.exec', 'data-gathering-response-actions.exec']) };
const cluster = { 'kubernetes.cluster.name': 'prod', 'kubernetes.namespace.name': 'pay' };
const container = { 'host.id': 'node-7', 'container.id': 'abc123' };
const workload = { ...cluster, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment' };
const node = { 'kubernetes.cluster.name': 'prod', 'kubernetes.node.name': 'ip-10-0-1-7' };
const file = { 'host.id': 'node-7', 'path.absolute': '/tmp/.x/payload.sh' };
const containerApplied = { containerId: 'abc123', name: 'web', runtime: 'docker', namespace: null };

/** Per undo type: its original's inputs and applied, and the inputs a person posting the undo directly gives. */
const originals: Readonly<Record<string, { inputs: Record<string, unknown>; applied: JsonValue; undoInputs: Record<string, unknown>; call: string }>> = {
  'start-container': { inputs: container, applied: { ...containerApplied, stopped: true }, undoInputs: container, call: 'host:start-container' },
  'unpause-container': { inputs: container, applied: { ...containerApplied, paused: true }, undoInputs: container, call: 'host:unpause-container' },
  'file-unquarantine': {
    inputs: file,
    applied: {
      path: '/tmp/.x/payload.sh',
      containerId: null,
      resolvedPath: '/tmp/.x/payload.sh',
      quarantinePath: '/var/lib/response-actions/quarantine/0a1b2c3d',
      type: 'file',
      mode: 0o755,
      uid: 0,
      gid: 0,
      size: 120,
      nlink: 1,
      inode: '4242',
      device: '2049',
      mtime: '2026-11-20T09:00:00.000Z',
      mtimeNs: '1763629200000000000',
      sha256: 'a'.repeat(64),
      linkTarget: null,
      method: 'rename',
      quarantinedMode: 0,
    },
    undoInputs: file,
    call: 'host:file-unquarantine',
  },
  'delete-network-policy': {
    inputs: workload,
    applied: { policies: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'ra-isolate-api-0a1b2c3d', namespace: 'pay' }] },
    undoInputs: { ...cluster, 'kubernetes.networkpolicy.name': 'ra-isolate-api-0a1b2c3d' },
    call: 'kubernetes:delete NetworkPolicy',
  },
  'kubernetes-delete-volume-snapshot': {
    inputs: { ...cluster, 'kubernetes.persistentvolume.claim.name': 'data-0' },
    applied: { snapshots: [{ name: 'ra-snap-data-0-0a1b2c3d', namespace: 'pay', pvc: 'data-0', uid: null }] },
    undoInputs: { ...cluster, 'kubernetes.volumesnapshot.name': 'ra-snap-data-0-0a1b2c3d' },
    call: 'kubernetes:delete VolumeSnapshot',
  },
  'restore-workload-scale': { inputs: workload, applied: { replicas: { from: 3, to: 0 } }, undoInputs: workload, call: 'kubernetes:patch Deployment' },
  'uncordon-node': { inputs: node, applied: { unschedulable: { from: false, to: true } }, undoInputs: node, call: 'kubernetes:patch Node' },
};

const dynalite = useDynalite();
let repository: HistoryRepository;
let plans: PlanService;
let responders: ResponderStore;

beforeAll(async () => {
  const history = await freshHistory(dynalite.endpoint, systemClock);
  ({ repository } = history);
  responders = new ResponderStore({ client: history.client, tableName: history.tableName, clock: systemClock });
  plans = new PlanService({ cloud: undefined, config: loadConfig({}), repository, clock: systemClock, responders });
});

/** Records `type` as the API would create it and moves it to Completed with `applied`, as its responder's reports would. */
async function completedOriginal(type: string, inputs: Record<string, unknown>, applied: JsonValue): Promise<ActionRecord> {
  const valid = validateActionRequest({ type, inputs }, { now: systemClock.now() });
  if (!valid.ok) throw new Error(JSON.stringify(valid.errors));
  const record = createdRecord(
    {
      id: randomUUID(),
      type,
      category: valid.definition.category,
      executor: valid.executor,
      inputs: valid.inputs,
      reason: null,
      resources: valid.resources,
      createdBy: 'analyst-1',
      undoType: valid.definition.undoType,
    },
    systemClock.now(),
  );
  await repository.create(record);
  await repository.transition(record.id, 'Enqueued');
  await repository.transition(record.id, 'Running');
  return repository.transition(record.id, 'Completed', { applied });
}

async function historyCount(): Promise<number> {
  return (await repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items.length;
}

const responderUndoTypes = actionTypes.filter((definition) => !definition.executors.includes('cloud') && isUndoType(definition.type)).map((definition) => definition.type);

describe('plans of every host and Kubernetes undo type posted directly', () => {
  it('has an original for every one of them', () => {
    // Assess
    expect(Object.keys(originals).sort()).toEqual([...responderUndoTypes].sort());
  });

  it.each(responderUndoTypes)('%s: the responder work of the undo of the newest Completed original, nothing written', async (undoType) => {
    // Prepare
    const setup = originals[undoType];
    if (setup === undefined) throw new Error(`no original for ${undoType}`);
    const original = await completedOriginal(undoTargetOf(undoType) ?? '', setup.inputs, setup.applied);
    const before = await historyCount();
    // Act
    const plan = await plans.plan(analyst, { type: undoType, inputs: setup.undoInputs });
    // Assess
    expect(planSchema.safeParse(plan).error?.issues ?? []).toEqual([]);
    expect(plan).toMatchObject({ type: undoType, resource: original.resources[0], allowed: true, refusal: null, prior: null, undo: null });
    expect(plan.changes.map((change) => change.call)).toEqual(['responder:dispatch', setup.call]);
    expect(await historyCount()).toBe(before);
    expect((await repository.get(original.id))?.undo).toMatchObject({ available: true, actionId: null });
  });
});

describe("the responder a plan's work would go to, from the registrations in the history table", () => {
  it('says a cluster has no responder until one registers, then that it is registered and runs the type', async () => {
    // Prepare
    const request = { type: 'cordon-node', inputs: { 'kubernetes.cluster.name': 'staging', 'kubernetes.node.name': 'ip-10-0-2-9' } };
    const before = await plans.plan(analyst, request);
    await responders.register({ kind: 'kubernetes', name: 'staging', version: '2.1.0', capabilities: ['cordon-node', 'uncordon-node'] }, 'responder:kubernetes/staging');
    // Act
    const after = await plans.plan(analyst, request);
    // Assess
    expect(before.changes[0]).toEqual({ call: 'responder:dispatch', target: 'kubernetes/staging', detail: expect.stringContaining('no responder is registered for it') as unknown });
    expect(after.changes[0]?.detail).toMatch(/^cordon-node work signed and queued for the responder of cluster staging: registered \(version 2\.1\.0, last seen [^)]+\) and lists cordon-node among its capabilities$/);
  });
});
