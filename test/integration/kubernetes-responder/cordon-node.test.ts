import { describe, expect, it } from 'vitest';
import { undoAvailable } from '#shared/history/record.ts';
import type { JsonValue } from '#shared/json.ts';
import type { ResponderOutcome, UndoSource } from '#shared/responders/protocol.ts';
import { reportProblems } from '#shared/responders/report-schemas/index.ts';
import { execute, executeFailing, harness } from './support/harness.ts';
import { clusterName, conflicting, node, nodeName, notFound, ok } from './support/kubernetes-objects.ts';
import { loadManifests, ManifestRbac } from './support/manifest-rbac.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';
import { refusedByRbac, TestApiServer } from './support/test-api-server.ts';

useTestApiServer();

const nodePath = `/api/v1/nodes/${nodeName}`;
const inputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.node.name': nodeName };
const mergePatch = 'application/merge-patch+json';
const cordonPatch = (resourceVersion: string) => ({ metadata: { resourceVersion }, spec: { unschedulable: true } });
const uncordonPatch = (resourceVersion: string) => ({ metadata: { resourceVersion }, spec: { unschedulable: null } });
const cordonedBy = (outcome: ResponderOutcome): UndoSource => ({
  actionId: '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6',
  type: 'cordon-node',
  prior: outcome.prior ?? null,
  applied: outcome.applied ?? null,
  result: outcome.result ?? null,
});
/** What a cordon-node of an uncordoned node saved and applied. */
const cordonedUncordoned: ResponderOutcome = {
  prior: { node: nodeName, uid: `uid-${nodeName}`, unschedulable: false, resourceVersion: '771204' },
  applied: { unschedulable: { from: false, to: true } },
  result: { node: nodeName, previouslyUnschedulable: false, unschedulable: true, changed: true },
};
const conflict = conflicting('nodes', nodeName);

/** Every report the run would send (each recordProgress, then the outcome), checked with the service's schemas. */
function reportProblemsOf(type: string, progress: readonly { prior?: JsonValue; applied?: JsonValue }[], outcome: ResponderOutcome) {
  const action = { type, executor: 'kubernetes', inputs };
  return [...progress.map((step) => reportProblems(action, step)), reportProblems(action, outcome)].flat();
}

describe('cordon-node', () => {
  it('sets spec.unschedulable with a merge patch guarded by the resourceVersion it read, and records the value before', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: nodePath, reply: ok(node()) },
      { method: 'PATCH', path: nodePath, contentType: mergePatch, body: cordonPatch('771204'), reply: ok(node(nodeName, { unschedulable: true, resourceVersion: '771250' })) },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'cordon-node', inputs });

    // Assess
    server.assertDone();
    expect(outcome).toEqual(cordonedUncordoned);
    expect(run.progress).toEqual([{ prior: cordonedUncordoned.prior }]);
    expect(reportProblemsOf('cordon-node', run.progress, outcome)).toEqual([]);
  });

  it('leaves a node cordoned before as it is: nothing applied, so no undo is offered', async () => {
    // Prepare
    server.expect({ method: 'GET', path: nodePath, reply: ok(node(nodeName, { unschedulable: true })) });

    // Act
    const { outcome, run } = await execute(h, { type: 'cordon-node', inputs });

    // Assess
    server.assertDone();
    expect(outcome).toEqual({
      prior: { node: nodeName, uid: `uid-${nodeName}`, unschedulable: true, resourceVersion: '771204' },
      result: { node: nodeName, previouslyUnschedulable: true, unschedulable: true, changed: false },
    });
    expect(run.progress).toEqual([]);
    expect(reportProblemsOf('cordon-node', run.progress, outcome)).toEqual([]);
    expect(undoAvailable({ status: 'Completed', applied: null, undo: { available: false, type: 'uncordon-node', actionId: null } })).toBe(false);
  });

  it('maps a node that does not exist to TargetNotFound, and a node changed between read and write to Conflict', async () => {
    // Prepare
    server.expect({ method: 'GET', path: nodePath, reply: notFound('nodes', nodeName) });

    // Act
    const missing = await executeFailing(h, { type: 'cordon-node', inputs });
    server.assertDone();
    server.expect(
      { method: 'GET', path: nodePath, reply: ok(node()) },
      { method: 'PATCH', path: nodePath, contentType: mergePatch, body: cordonPatch('771204'), reply: conflict },
    );
    const changed = await executeFailing(h, { type: 'cordon-node', inputs });

    // Assess
    server.assertDone();
    expect(missing.error.code).toBe('TargetNotFound');
    expect(missing.error.message).toContain(`nodes "${nodeName}" does not exist`);
    expect(changed.error.code).toBe('Conflict');
    expect(changed.run.progress).toEqual([{ prior: cordonedUncordoned.prior }]);
  });

  it('ends in AccessDenied naming the cluster-wide ClusterRole when only the role bound per namespace grants nodes (a RoleBinding cannot grant a cluster-scoped resource)', async () => {
    // Prepare: the manifests before cordon-node, with the nodes grant moved to the role bound per namespace.
    const manifests = loadManifests().map(({ file, object }) => {
      if (object['kind'] !== 'ClusterRole') return { file, object };
      const rules = (object['rules'] as { resources: string[] }[]).filter((rule) => !rule.resources.includes('nodes'));
      const namespaced = file === '22-clusterrole-namespaced-writes.yaml' ? [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }] : [];
      return { file, object: { ...object, rules: [...rules, ...namespaced] } };
    });
    const refusing = await TestApiServer.start(new ManifestRbac(manifests));
    try {
      refusing.expect({ method: 'GET', path: nodePath, reply: refusedByRbac });

      // Act
      const { error } = await executeFailing(harness(refusing), { type: 'cordon-node', inputs });

      // Assess
      refusing.assertDone();
      expect(error.code).toBe('AccessDenied');
      expect(error.message).toContain('grant "get" on "nodes" in the core group ("") to its ClusterRole response-actions-kubernetes-responder');
      expect(error.message).toContain(`cannot get resource "nodes" in API group "" at the cluster scope`);
    } finally {
      await refusing.close();
    }
  });

  it('ends in AccessDenied, the prior recorded and nothing applied, when RBAC grants get but not patch on nodes', async () => {
    // Prepare
    const manifests = loadManifests().map(({ file, object }) =>
      object['kind'] !== 'ClusterRole'
        ? { file, object }
        : { file, object: { ...object, rules: (object['rules'] as { resources: string[]; verbs: string[] }[]).map((rule) => (rule.resources.includes('nodes') ? { ...rule, verbs: ['get'] } : rule)) } },
    );
    const refusing = await TestApiServer.start(new ManifestRbac(manifests));
    try {
      refusing.expect({ method: 'GET', path: nodePath, reply: ok(node()) }, { method: 'PATCH', path: nodePath, contentType: mergePatch, body: cordonPatch('771204'), reply: refusedByRbac });

      // Act
      const { error, run } = await executeFailing(harness(refusing), { type: 'cordon-node', inputs });

      // Assess
      refusing.assertDone();
      expect(error.code).toBe('AccessDenied');
      expect(error.message).toContain('may not patch nodes (the core API group) "' + nodeName + '"');
      expect(run.progress).toEqual([{ prior: cordonedUncordoned.prior }]);
    } finally {
      await refusing.close();
    }
  });

  it('refuses work for another cluster before any API call', async () => {
    // Act
    const { error } = await executeFailing(h, { type: 'cordon-node', inputs: { ...inputs, 'kubernetes.cluster.name': 'staging-1' } });

    // Assess
    expect(error.code).toBe('WrongTarget');
    expect(server.received).toEqual([]);
  });
});

describe('uncordon-node', () => {
  it('puts back exactly the spec.unschedulable cordon-node found (the field removed, as kubectl uncordon leaves it)', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: nodePath, reply: ok(node(nodeName, { unschedulable: true, resourceVersion: '771250' })) },
      { method: 'PATCH', path: nodePath, contentType: mergePatch, body: uncordonPatch('771250'), reply: ok(node(nodeName, { resourceVersion: '771301' })) },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'uncordon-node', inputs, undoOf: cordonedBy(cordonedUncordoned) });

    // Assess
    server.assertDone();
    expect(outcome).toEqual({
      prior: { node: nodeName, uid: `uid-${nodeName}`, unschedulable: true, resourceVersion: '771250' },
      applied: { unschedulable: { from: true, to: false } },
      result: { node: nodeName, previouslyUnschedulable: true, drift: null, unschedulable: false, changed: true },
    });
    expect(reportProblemsOf('uncordon-node', run.progress, outcome)).toEqual([]);
  });

  it('reports drift when someone uncordoned the node since, and changes nothing', async () => {
    // Prepare
    server.expect({ method: 'GET', path: nodePath, reply: ok(node(nodeName, { resourceVersion: '771400' })) });

    // Act
    const { outcome, run } = await execute(h, { type: 'uncordon-node', inputs, undoOf: cordonedBy(cordonedUncordoned) });

    // Assess
    server.assertDone();
    expect(outcome).toEqual({
      prior: { node: nodeName, uid: `uid-${nodeName}`, unschedulable: false, resourceVersion: '771400' },
      result: { node: nodeName, previouslyUnschedulable: false, drift: { expected: true, actual: false }, unschedulable: false, changed: false },
    });
    expect(run.progress).toEqual([]);
    expect(reportProblemsOf('uncordon-node', run.progress, outcome)).toEqual([]);
  });

  it('never uncordons a node that was cordoned before cordon-node ran', async () => {
    // Prepare: a saved prior of true (cordon-node applied nothing then; this undo could only come from a bad record).
    const wasCordoned: ResponderOutcome = { prior: { ...(cordonedUncordoned.prior as object), unschedulable: true }, result: null };
    server.expect({ method: 'GET', path: nodePath, reply: ok(node(nodeName, { unschedulable: true })) });

    // Act
    const { outcome } = await execute(h, { type: 'uncordon-node', inputs, undoOf: cordonedBy(wasCordoned) });

    // Assess
    server.assertDone();
    expect(outcome.applied).toBeUndefined();
    expect(outcome.result).toMatchObject({ unschedulable: true, changed: false, drift: null });
  });

  it('refuses with NothingToUndo, before any API call, without a saved value for this node', async () => {
    // Act
    const direct = await executeFailing(h, { type: 'uncordon-node', inputs });
    const otherNode = await executeFailing(h, {
      type: 'uncordon-node',
      inputs,
      undoOf: cordonedBy({ ...cordonedUncordoned, prior: { ...(cordonedUncordoned.prior as object), node: 'ip-10-0-99-1.eu-west-1.compute.internal' } }),
    });

    // Assess
    expect(direct.error.code).toBe('NothingToUndo');
    expect(otherNode.error.code).toBe('NothingToUndo');
    expect(server.received).toEqual([]);
  });

  it('maps a node gone since to TargetNotFound', async () => {
    // Prepare
    server.expect({ method: 'GET', path: nodePath, reply: notFound('nodes', nodeName) });

    // Act
    const { error } = await executeFailing(h, { type: 'uncordon-node', inputs, undoOf: cordonedBy(cordonedUncordoned) });

    // Assess
    server.assertDone();
    expect(error.code).toBe('TargetNotFound');
  });
});
