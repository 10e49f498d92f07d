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
import { quarantineReport } from '#test/support/responder-harness.ts';
import { action, genuine, nodeInputs, nodeState, workload } from './genuine-reports.ts';

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
