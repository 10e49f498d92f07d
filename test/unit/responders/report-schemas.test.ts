/**
 * The per-type report schemas: every responder action type of the catalogue has one, the shapes
 * the responders build (with their own helpers) pass, and forged ones are refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { actionTypes } from '#shared/catalogue/index.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { HttpProblem, problemFor } from '#shared/http/problem.ts';
import type { JsonObject } from '#shared/json.ts';
import { boundedList } from '#shared/responders/report-schemas/common.ts';
import { reportProblems, reportSchemasFor, storedReportProblems } from '#shared/responders/report-schemas/index.ts';
import { undoInputsFor } from '#shared/use-cases/undo-inputs.ts';
import { containerApplied, containerJson } from '../../../responders/host/container-target.ts';
import type { ContainerInfo } from '../../../responders/host/containers/runtime.ts';
import { denyPolicyApis, networkPolicyApi } from '../../../responders/kubernetes/deny-policies.ts';
import { defeatingJson, exceptionJson } from '../../../responders/kubernetes/network-policies.ts';
import { nodeStateJson } from '../../../responders/kubernetes/nodes.ts';
import { policyRef, policyRefJson } from '../../../responders/kubernetes/policy-store.ts';
import { selectorJson } from '../../../responders/kubernetes/selectors.ts';
import { ownerChainJson } from '../../../responders/kubernetes/workloads.ts';
import { quarantineReport } from '#test/support/responder-harness.ts';

const where = { 'kubernetes.cluster.name': 'prod', 'kubernetes.namespace.name': 'payments' };
const workload = { ...where, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment' };
const docker: ContainerInfo = {
  runtime: 'docker',
  id: `c0ffee${'0'.repeat(58)}`,
  name: 'web',
  namespace: null,
  status: 'running',
  running: true,
  paused: false,
  pid: 4242,
  image: 'registry.example.com/team/web:1.27@sha256:' + 'a'.repeat(64),
  startedAt: '2026-03-01T12:00:00Z',
  restartPolicy: 'unless-stopped',
  mergedDir: null,
  tty: false,
};
const nodeInputs = { 'kubernetes.cluster.name': 'prod', 'kubernetes.node.name': 'ip-10-0-12-34.eu-west-1.compute.internal' };
const nodeState = (unschedulable: boolean) => nodeStateJson({ name: 'ip-10-0-12-34.eu-west-1.compute.internal', uid: 'n-1', unschedulable, resourceVersion: '771204' });
const cordonReport = {
  prior: nodeState(false),
  applied: { unschedulable: { from: false, to: true } },
  result: { node: 'ip-10-0-12-34.eu-west-1.compute.internal', previouslyUnschedulable: false, unschedulable: true, changed: true },
};
const ownerChain = ownerChainJson([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-6c9d5b7f4', uid: 'u-1', state: 'read' }]);
const networkPolicy = policyRefJson(policyRef(networkPolicyApi, 'ra-isolate-api-1a2b3c4d', 'payments'));
const denyPolicy = policyRefJson(policyRef(denyPolicyApis.AdminNetworkPolicy, 'ra-deny-payments-api-1a2b3c4d', 'payments'));

/** Reports as responders/host and responders/kubernetes build them, one genuine example per type. */
const genuine: readonly (readonly [string, 'host' | 'kubernetes', Readonly<Record<string, unknown>>, JsonObject])[] = [
  ['file-quarantine', 'host', { 'path.absolute': '/srv/app/dropper' }, quarantineReport('/srv/app/dropper', 'a-1')],
  [
    'stop-container',
    'host',
    { 'container.id': 'c0ffee' },
    {
      prior: containerJson(docker),
      applied: containerApplied(docker, { stopped: true }),
      result: { ...containerJson(docker), changed: true, gracePeriodSeconds: 10, statusBefore: 'running', statusAfter: 'exited', notes: ['it is running again already: its restart policy is unless-stopped'] },
    },
  ],
  ['start-container', 'host', { 'container.id': 'c0ffee' }, { applied: { containerId: docker.id, started: false }, result: { containerId: docker.id, changed: false, reason: 'already stopped' } }],
  ['pause-container', 'host', { 'container.name': 'web' }, { prior: containerJson(docker), applied: containerApplied(docker, { paused: true }), result: { ...containerJson(docker), changed: true, statusBefore: 'running', statusAfter: 'paused' } }],
  ['kill-container', 'host', { 'container.id': 'c0ffee' }, { prior: containerJson(docker), applied: { containerId: docker.id, runtime: 'docker', signal: 'SIGKILL' }, result: { ...containerJson(docker), signal: 'SIGKILL', statusBefore: 'running', statusAfter: 'removed', notes: [] } }],
  ['get-logs', 'host', { 'container.id': 'c0ffee' }, { result: { ...containerJson(docker), evidence: { name: 'logs-docker.txt', sha256: 'b'.repeat(64), size: 12 }, truncated: false, source: 'docker json-file', notes: [] } }],
  [
    'delete-pod',
    'kubernetes',
    { ...where, 'kubernetes.pod.name': 'api-6c9d5b7f4-x2k8q' },
    {
      prior: { pod: { name: 'api-6c9d5b7f4-x2k8q', namespace: 'payments', uid: 'p-1', phase: 'Running', nodeName: 'node-7', ownerChain } },
      applied: { deleted: [{ kind: 'Pod', namespace: 'payments', name: 'api-6c9d5b7f4-x2k8q', uid: 'p-1' }] },
      result: { deleted: true, pod: 'api-6c9d5b7f4-x2k8q', uid: 'p-1', replacementExpected: true, controller: { kind: 'ReplicaSet', name: 'api-6c9d5b7f4' } },
    },
  ],
  [
    'isolate-network',
    'kubernetes',
    workload,
    {
      prior: { workload: { kind: 'Deployment', name: 'api', namespace: 'payments', uid: 'w-1' }, pods: boundedList(['api-1']), allowingPolicies: boundedList(defeatingJson([{ name: 'allow-web', directions: ['Ingress'], allowsAllIn: [] }])) },
      applied: { policies: [networkPolicy, denyPolicy] },
      result: {
        policy: networkPolicy,
        denyPolicy: { ...denyPolicy, covers: ['Ingress', 'Egress'] },
        denyPolicyApi: 'policy.networking.k8s.io/v1alpha1',
        directions: ['Ingress', 'Egress'],
        exception: exceptionJson({ cidr: null, protocol: 'TCP', port: 53 }),
        selector: selectorJson({ matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }),
        pods: boundedList(['api-1']),
        defeatingPolicies: boundedList([]),
        isolationHolds: true,
        limitations: [],
      },
    },
  ],
  ['delete-network-policy', 'kubernetes', { ...where, 'kubernetes.networkpolicy.name': 'ra-isolate-api-1a2b3c4d' }, {
    prior: { policies: [{ ...networkPolicy, uid: 'n-1', present: true }] },
    applied: { deleted: [networkPolicy] },
    result: { policies: [{ ...networkPolicy, outcome: 'deleted' }] },
  }],
  ['kubernetes-volume-snapshot', 'kubernetes', { ...where, 'kubernetes.persistentvolume.claim.name': ['data'] }, {
    prior: { pvcs: [{ name: 'data', uid: 'v-1', phase: 'Bound', volumeName: 'pv-1', storageClassName: 'gp3', capacity: '10Gi' }] },
    applied: { snapshots: [{ name: 'ra-snap-data-1a2b', namespace: 'payments', pvc: 'data', uid: 's-1' }] },
    result: {
      snapshots: [{ pvc: 'data', snapshot: 'ra-snap-data-1a2b', volumeSnapshotClassName: 'csi-aws', readyToUse: true, restoreSize: '10Gi', boundVolumeSnapshotContentName: 'snapcontent-1', creationTime: '2026-03-01T12:00:05Z', error: null }],
      ready: 1,
      failed: 0,
    },
  }],
  ['kubernetes-delete-volume-snapshot', 'kubernetes', { ...where, 'kubernetes.volumesnapshot.name': ['ra-snap-data-1a2b'] }, {
    prior: { snapshots: [{ name: 'ra-snap-data-1a2b', present: true, uid: 's-1', pvc: 'data', readyToUse: true, boundVolumeSnapshotContentName: 'snapcontent-1' }] },
    applied: { deleted: ['ra-snap-data-1a2b'] },
    result: { snapshots: [{ name: 'ra-snap-data-1a2b', outcome: 'deleted' }] },
  }],
  ['rollout-restart', 'kubernetes', workload, {
    prior: { restartedAt: null, generation: 4, updateStrategy: 'RollingUpdate' },
    applied: { annotation: 'kubectl.kubernetes.io/restartedAt', value: '2026-03-01T12:00:00Z' },
    result: { workload: { kind: 'Deployment', name: 'api', namespace: 'payments' }, restartedAt: '2026-03-01T12:00:00Z', previousRestartedAt: null, generation: 5, rollsPods: true },
  }],
  ['scale-workload', 'kubernetes', { ...workload, 'kubernetes.workload.replicas': 0 }, {
    prior: { replicas: 3, currentReplicas: 3 },
    applied: { replicas: { from: 3, to: 0 } },
    result: { workload: { type: 'deployment', name: 'api', namespace: 'payments' }, replicas: 0, previousReplicas: 3, changed: true },
  }],
  ['restore-workload-scale', 'kubernetes', workload, {
    prior: { replicas: 0, currentReplicas: 0 },
    applied: { replicas: { from: 0, to: 3 } },
    result: { workload: { type: 'deployment', name: 'api', namespace: 'payments' }, replicas: 3, previousReplicas: 0, drift: null, changed: true },
  }],
  ['capture-pod-state', 'kubernetes', { ...where, 'kubernetes.pod.name': 'api-1' }, {
    result: {
      evidence: { name: 'pod-state.json', sha256: 'c'.repeat(64), size: 2048 },
      pod: { name: 'api-1', namespace: 'payments', uid: 'p-1', phase: 'Running', nodeName: 'node-7' },
      events: 3,
      ownerChain,
      secretsReferenced: [{ name: 'db', via: ['env api/DB_PASSWORD'] }],
    },
  }],
  ['cordon-node', 'kubernetes', nodeInputs, cordonReport],
  ['cordon-node', 'kubernetes', nodeInputs, { prior: nodeState(true), result: { ...cordonReport.result, previouslyUnschedulable: true, changed: false } }],
  ['uncordon-node', 'kubernetes', nodeInputs, {
    prior: nodeState(true),
    applied: { unschedulable: { from: true, to: false } },
    result: { node: 'ip-10-0-12-34.eu-west-1.compute.internal', previouslyUnschedulable: true, drift: null, unschedulable: false, changed: true },
  }],
  ['uncordon-node', 'kubernetes', nodeInputs, {
    prior: nodeState(false),
    result: { node: 'ip-10-0-12-34.eu-west-1.compute.internal', previouslyUnschedulable: false, drift: { expected: true, actual: false }, unschedulable: false, changed: false },
  }],
  ['get-logs', 'kubernetes', { ...where, 'kubernetes.pod.name': 'api-1' }, {
    result: { pod: 'api-1', namespace: 'payments', previous: false, containers: ['api'], evidence: [{ container: 'api', name: 'logs-api.txt', sha256: 'd'.repeat(64), size: 10, truncated: false }], failures: [] },
  }],
];

const action = (type: string, executor: string, inputs: Readonly<Record<string, unknown>>) => ({ type, executor, inputs });

describe('report schemas', () => {
  it('exist for every host and Kubernetes action type of the catalogue, for each executor that runs it', () => {
    // Prepare
    const responderTypes = actionTypes.flatMap((definition) =>
      definition.executors.filter((executor) => executor !== 'cloud').map((executor) => `${executor}:${definition.type}`),
    );

    // Act
    const missing = responderTypes.filter((key) => {
      const [executor = '', type = ''] = key.split(':');
      return reportSchemasFor(type, executor) === undefined;
    });

    // Assess
    expect(responderTypes.length).toBeGreaterThan(15);
    expect(missing).toEqual([]);
    expect(reportSchemasFor('iam-quarantine', 'cloud')).toBeUndefined();
    expect(reportSchemasFor('constructor', 'host')).toBeUndefined();
  });

  it.each(genuine)('let %s (%s) through as its responder reports it', (type, executor, inputs, report) => {
    // Act
    const problems = reportProblems(action(type, executor, inputs), report);

    // Assess
    expect(problems).toEqual([]);
  });

  it.each([
    ['an unknown field', { extra: 1 }, 'applied.extra'],
    ['a mode as text', { mode: '04755' }, 'applied.mode'],
    ['a mode past 07777', { mode: 0o10000 }, 'applied.mode'],
    ['a relative quarantine path', { quarantinePath: 'quarantine/a-1' }, 'applied.quarantinePath'],
    ['a quarantine path that climbs', { quarantinePath: '/var/lib/ra/quarantine/../../../etc/passwd' }, 'applied.quarantinePath'],
    ['a quarantine path with a NUL', { quarantinePath: '/var/lib/ra/quarantine/a\u0000' }, 'applied.quarantinePath'],
    ['the quarantine directory itself', { quarantinePath: '/var/lib/ra/quarantine/' }, 'applied.quarantinePath'],
    ['a uid of -1', { uid: -1 }, 'applied.uid'],
    ['another path than the action names', { path: '/etc/shadow' }, 'applied.path'],
    ['a container the action does not name', { containerId: 'f00d' }, 'applied.containerId'],
  ] as const)('refuse a file-quarantine applied with %s, naming the field', (_, change, field) => {
    // Prepare
    const { applied } = quarantineReport('/srv/app/dropper', 'a-1');

    // Act
    const problems = reportProblems(action('file-quarantine', 'host', { 'path.absolute': '/srv/app/dropper' }), { applied: { ...applied, ...change } });

    // Assess
    expect(problems.map((problem) => problem.path)).toContain(field);
  });

  it.each([
    ['cordon-node', 'an applied that uncordons', { applied: { unschedulable: { from: true, to: false } } }, 'applied.unschedulable.from'],
    ['cordon-node', 'an applied with a text value', { applied: { unschedulable: { from: 'false', to: true } } }, 'applied.unschedulable.from'],
    ['cordon-node', 'a prior of another node', { prior: { ...nodeState(false), node: 'ip-10-0-99-1.eu-west-1.compute.internal' } }, 'prior.node'],
    ['cordon-node', 'a prior with an unknown field', { prior: { ...nodeState(false), taints: [] } }, 'prior.taints'],
    ['uncordon-node', 'an applied that cordons', { applied: { unschedulable: { from: false, to: true } } }, 'applied.unschedulable.from'],
    ['uncordon-node', 'a result of another node', { result: { node: 'other', previouslyUnschedulable: true, drift: null, unschedulable: false, changed: true } }, 'result.node'],
  ] as const)('refuse a %s report with %s, naming the field', (type, _, parts, field) => {
    // Act
    const problems = reportProblems(action(type, 'kubernetes', nodeInputs), parts);

    // Assess
    expect(problems.map((problem) => problem.path)).toContain(field);
  });

  it('refuse lists and maps past their bounds, naming the field', () => {
    // Prepare
    const [, , inputs, report] = genuine.find(([type]) => type === 'isolate-network') ?? [];
    const result = report?.['result'] as JsonObject;
    const labels = Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`l${String(index)}`, 'v']));

    // Act
    const problems = reportProblems(action('isolate-network', 'kubernetes', inputs ?? {}), {
      result: { ...result, selector: { matchLabels: labels }, pods: { items: Array.from({ length: 101 }, () => 'p'), count: 101, truncated: true } },
    });
    const miscounted = reportProblems(action('isolate-network', 'kubernetes', inputs ?? {}), {
      result: { ...result, pods: { items: ['p'], count: 1, truncated: true } },
    });
    const thousands = boundedList(Array.from({ length: 5000 }, (_, index) => `web-${String(index)}`));

    // Assess
    expect(problems.map((problem) => problem.path).sort()).toEqual(['result.pods.items', 'result.selector.matchLabels']);
    expect(miscounted.map((problem) => problem.path)).toEqual(['result.pods']);
    expect(thousands).toMatchObject({ count: 5000, truncated: true });
    expect(thousands.items).toHaveLength(100);
    expect(reportProblems(action('isolate-network', 'kubernetes', inputs ?? {}), { result: { ...result, pods: thousands } })).toEqual([]);
  });

  it('refuse a scale report whose counts disagree with each other or with the count the action was given, or pass int32', () => {
    // Prepare
    const inputs = { ...workload, 'kubernetes.workload.replicas': 0 };
    const result = { workload: { type: 'deployment', name: 'api', namespace: 'payments' }, replicas: 0, previousReplicas: 3, changed: true };
    const scaled = (prior: number, from: number, to: number) => ({ prior: { replicas: prior, currentReplicas: 3 }, applied: { replicas: { from, to } } });

    // Act
    const forgedPrior = reportProblems(action('scale-workload', 'kubernetes', inputs), { ...scaled(100_000, 3, 0), result });
    const forgedTarget = reportProblems(action('scale-workload', 'kubernetes', inputs), scaled(3, 3, 5));
    const huge = reportProblems(action('scale-workload', 'kubernetes', inputs), scaled(2_147_483_648, 2_147_483_648, 0));
    const otherWorkload = reportProblems(action('scale-workload', 'kubernetes', inputs), { result: { ...result, workload: { ...result.workload, name: 'db' } } });
    const restore = reportProblems(action('restore-workload-scale', 'kubernetes', workload), {
      prior: { replicas: 0, currentReplicas: 0 },
      applied: { replicas: { from: 7, to: 3 } },
      result: { workload: result.workload, replicas: 4, previousReplicas: 0, drift: null, changed: true },
    });
    const largest = reportProblems(action('restore-workload-scale', 'kubernetes', workload), scaled(2_147_483_647, 2_147_483_647, 0));

    // Assess
    expect(forgedPrior.map((problem) => problem.path).sort()).toEqual(['applied.replicas.from', 'result.previousReplicas']);
    expect(forgedTarget.map((problem) => problem.path)).toEqual(['applied.replicas.to']);
    expect(forgedTarget[0]?.message).toBe('must be the kubernetes.workload.replicas the action was given (0)');
    expect(huge.map((problem) => problem.path).sort()).toEqual(['applied.replicas.from', 'prior.replicas']);
    expect(otherWorkload.map((problem) => problem.path)).toEqual(['result.workload.name']);
    expect(restore.map((problem) => problem.path).sort()).toEqual(['applied.replicas.from', 'result.replicas']);
    expect(largest).toEqual([]);
  });

  it('refuse, before an undo is built, a stored scale-workload record whose prior count is forged', () => {
    // Prepare
    const scaledRecord = (prior: number): ActionRecord => ({
      ...createdRecord(
        {
          id: 'a-3',
          type: 'scale-workload',
          category: 'containment',
          executor: 'kubernetes',
          inputs: { ...workload, 'kubernetes.workload.replicas': 0 },
          resources: [{ key: 'k8s/prod/payments/deployment/api', kind: 'k8s.workload' }],
          createdBy: 'analyst',
          undoType: 'restore-workload-scale',
        },
        new Date('2026-11-20T10:00:00Z'),
      ),
      status: 'Completed',
      prior: { replicas: prior, currentReplicas: 3 },
      applied: { replicas: { from: 3, to: 0 } },
    });

    // Act
    const forged = (() => {
      try {
        return undoInputsFor('restore-workload-scale', scaledRecord(100_000));
      } catch (error) {
        return problemFor(error);
      }
    })();

    // Assess
    expect(forged).toBeInstanceOf(HttpProblem);
    expect((forged as HttpProblem).status).toBe(409);
    expect((forged as HttpProblem).errors?.map((error) => error.path)).toEqual(['applied.replicas.from']);
    expect(undoInputsFor('restore-workload-scale', scaledRecord(3))).toEqual(workload);
  });

  it('refuse a part a type never reports, and anything for a type without schemas', () => {
    // Act
    const applied = reportProblems(action('acquire-file', 'host', {}), { applied: { moved: '/x' } });
    const unknown = reportProblems(action('make-believe', 'host', {}), { result: {} });

    // Assess
    expect(applied.map((problem) => problem.path)).toEqual(['applied']);
    expect(unknown.map((problem) => problem.path)).toEqual(['result']);
  });

  it('check a stored record the same way, reading null as never reported', () => {
    // Prepare
    const inputs = { 'host.id': 'node-7', 'path.absolute': '/srv/app/dropper' };
    const { applied } = quarantineReport('/srv/app/dropper', 'a-1');

    // Act
    const clean = storedReportProblems({ ...action('file-quarantine', 'host', inputs), prior: null, applied, result: null });
    const forged = storedReportProblems({ ...action('file-quarantine', 'host', inputs), prior: null, applied: { ...applied, gid: '0' }, result: null });

    // Assess
    expect(clean).toEqual([]);
    expect(forged.map((problem) => problem.path)).toEqual(['applied.gid']);
  });
});

describe('undo inputs of a responder action', () => {
  function quarantined(applied: JsonObject): ActionRecord {
    const record = createdRecord(
      {
        id: 'a-1',
        type: 'file-quarantine',
        category: 'containment',
        executor: 'host',
        inputs: { 'host.id': 'node-7', 'path.absolute': '/srv/app/dropper' },
        resources: [{ key: 'host/node-7/file//srv/app/dropper', kind: 'file' }],
        createdBy: 'analyst',
        undoType: 'file-unquarantine',
      },
      new Date('2026-11-20T10:00:00Z'),
    );
    return { ...record, status: 'Completed', applied };
  }

  it('are refused with 409 naming the field when the stored applied is forged, and built when it is genuine', () => {
    // Prepare
    const { applied } = quarantineReport('/srv/app/dropper', 'a-1');

    // Act
    const refused = (() => {
      try {
        undoInputsFor('file-unquarantine', quarantined({ ...applied, quarantinePath: '/tmp/../usr/bin/evil', mode: 0o4755 }));
        return null;
      } catch (error) {
        return problemFor(error);
      }
    })();

    // Assess
    expect(refused).toBeInstanceOf(HttpProblem);
    expect((refused as HttpProblem).status).toBe(409);
    expect((refused as HttpProblem).errors?.map((error) => error.path)).toEqual(['applied.quarantinePath']);
    expect(undoInputsFor('file-unquarantine', quarantined(applied))).toEqual({ 'host.id': 'node-7', 'path.absolute': '/srv/app/dropper' });
  });

  it('of uncordon-node are the cordoned node, from a cordon-node record whose stored report passes; a forged one is refused with 409', () => {
    // Prepare
    const cordoned = (applied: JsonObject): ActionRecord => ({
      ...createdRecord(
        {
          id: 'a-2',
          type: 'cordon-node',
          category: 'containment',
          executor: 'kubernetes',
          inputs: nodeInputs,
          resources: [{ key: 'k8s/prod/node/ip-10-0-12-34.eu-west-1.compute.internal', kind: 'k8s.node' }],
          createdBy: 'analyst',
          undoType: 'uncordon-node',
        },
        new Date('2026-11-20T10:00:00Z'),
      ),
      status: 'Completed',
      prior: cordonReport.prior,
      applied,
    });

    // Act
    const inputs = undoInputsFor('uncordon-node', cordoned(cordonReport.applied));
    const forged = (() => {
      try {
        return undoInputsFor('uncordon-node', cordoned({ unschedulable: { from: true, to: false } }));
      } catch (error) {
        return problemFor(error);
      }
    })();

    // Assess
    expect(inputs).toEqual(nodeInputs);
    expect(forged).toBeInstanceOf(HttpProblem);
    expect((forged as HttpProblem).status).toBe(409);
  });
});
