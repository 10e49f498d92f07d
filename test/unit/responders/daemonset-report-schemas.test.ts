/**
 * The node-selector form of scale-workload and restore-workload-scale reports (a DaemonSet has no
 * replica count): genuine ones pass, and forged or mismatched ones are refused naming the field,
 * so no undo is ever built from them.
 */
import { describe, expect, it } from 'vitest';
import { reportProblems, storedReportProblems } from '#shared/responders/report-schemas/index.ts';
import { action, workload } from './genuine-reports.ts';

const daemonSet = { ...workload, 'kubernetes.workload.name': 'agent', 'kubernetes.workload.type': 'daemonset' };
const zero = { 'node-restriction.kubernetes.io/response-actions-scaled-to-zero': '3f2a9c1e-5b7d-4e21-9a0f-2c6b8d4e1a77' };
const linux = { 'kubernetes.io/os': 'linux' };
const ref = { type: 'daemonset', name: 'agent', namespace: 'payments' };
const scaleReport = {
  prior: { nodeSelector: linux, currentNumberScheduled: 3 },
  applied: { nodeSelector: { from: linux, to: zero } },
  result: { workload: ref, nodeSelector: zero, previousNodeSelector: linux, changed: true },
};
const restoreReport = {
  prior: { nodeSelector: zero, currentNumberScheduled: 0 },
  applied: { nodeSelector: { from: zero, to: null } },
  result: { workload: ref, nodeSelector: null, previousNodeSelector: zero, drift: { expected: zero, actual: zero }, changed: true },
};
const scale = action('scale-workload', 'kubernetes', { ...daemonSet, 'kubernetes.workload.replicas': 0 });
const restore = action('restore-workload-scale', 'kubernetes', daemonSet);
const paths = (problems: readonly { path: string }[]) => problems.map((problem) => problem.path).sort();

describe('DaemonSet scale reports', () => {
  it('pass as the responder builds them, with a selector or none', () => {
    // Assess
    expect(reportProblems(scale, scaleReport)).toEqual([]);
    expect(reportProblems(restore, restoreReport)).toEqual([]);
    expect(reportProblems(scale, { prior: { nodeSelector: null, currentNumberScheduled: null } })).toEqual([]);
  });

  it('are refused when their selectors disagree with each other (a forged prior) or with the workload the action was given', () => {
    // Act
    const forgedPrior = reportProblems(scale, { ...scaleReport, prior: { nodeSelector: { 'kubernetes.io/hostname': 'attacker' }, currentNumberScheduled: 3 } });
    const forgedResult = reportProblems(restore, { ...restoreReport, result: { ...restoreReport.result, nodeSelector: linux } });
    const otherWorkload = reportProblems(scale, { result: { ...scaleReport.result, workload: { ...ref, name: 'db' } } });

    // Assess
    expect(paths(forgedPrior)).toEqual(['applied.nodeSelector.from', 'result.previousNodeSelector']);
    expect(forgedPrior[0]?.message).toBe('must be prior.nodeSelector');
    expect(paths(forgedResult)).toEqual(['result.nodeSelector']);
    expect(paths(otherWorkload)).toEqual(['result.workload.name']);
  });

  it('must use the form of the workload the action was given: a count for a DaemonSet, or a selector for a Deployment, is refused', () => {
    // Act
    const countForDaemonSet = reportProblems(scale, { prior: { replicas: 3, currentReplicas: 3 }, applied: { replicas: { from: 3, to: 0 } } });
    const selectorForDeployment = reportProblems(action('scale-workload', 'kubernetes', { ...workload, 'kubernetes.workload.replicas': 0 }), { prior: scaleReport.prior });

    // Assess
    expect(paths(countForDaemonSet)).toEqual(['applied', 'prior']);
    expect(countForDaemonSet[0]?.message).toBe('must report the node selector of the daemonset the action was given');
    expect(selectorForDeployment).toEqual([{ path: 'prior', message: 'must report the replica count of the workload the action was given' }]);
  });

  it('refuse a selector that is not labels, an unknown field, or more than 64 labels, naming the field', () => {
    // Prepare
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`pool-${String(index)}`, 'x']));

    // Act
    const notText = reportProblems(scale, { prior: { nodeSelector: { 'kubernetes.io/os': 7 }, currentNumberScheduled: 3 } });
    const quoted = reportProblems(scale, { prior: { nodeSelector: { 'a"b': 'x' }, currentNumberScheduled: 3 } });
    const smuggled = reportProblems(scale, { prior: { nodeSelector: linux, currentNumberScheduled: 3, replicas: 3 } });
    const tooMany = reportProblems(scale, { prior: { nodeSelector: many, currentNumberScheduled: 3 } });

    // Assess
    expect(paths(notText)).toEqual(['prior.nodeSelector.kubernetes.io/os']);
    expect(paths(quoted)).toEqual(['prior.nodeSelector.a"b']);
    expect(paths(smuggled)).toEqual(['prior.replicas']);
    expect(tooMany).toEqual([{ path: 'prior.nodeSelector', message: 'must have at most 64 labels' }]);
  });

  it('refuse a stored DaemonSet record whose prior was forged, before an undo is built from it', () => {
    // Act
    const problems = storedReportProblems({
      ...scale,
      prior: { nodeSelector: { 'kubernetes.io/hostname': 'attacker' }, currentNumberScheduled: 3 },
      applied: scaleReport.applied,
      result: null,
    });

    // Assess
    expect(paths(problems)).toEqual(['applied.nodeSelector.from']);
  });
});
