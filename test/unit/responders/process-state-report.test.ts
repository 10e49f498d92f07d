/**
 * capture-process-state's report schema: the result the host responder builds passes; a report
 * that a stolen responder token shaped otherwise (another container, extra fields, counts that
 * cannot be, a prior or applied it never reports) is refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '#shared/json.ts';
import { responderChanges } from '#shared/plans/responder-plans.ts';
import { validateActionRequest } from '#shared/catalogue/index.ts';
import { reportProblems } from '#shared/responders/report-schemas/index.ts';
import type { ContainerInfo } from '../../../responders/host/containers/runtime.ts';
import { docker, processStateResult as result } from './genuine-reports.ts';

const object = (name: string) => ({ name, sha256: 'a'.repeat(64), size: 1200 });

const hostAction = { type: 'capture-process-state', executor: 'host', inputs: { 'host.id': 'node-7' } };
const containerAction = { ...hostAction, inputs: { 'host.id': 'node-7', 'container.id': 'c0ffee' } };
const paths = (problems: readonly { path: string }[]) => problems.map((problem) => problem.path);

describe('the capture-process-state report', () => {
  it('passes as the responder builds it, for the host and for a container', () => {
    // Act
    const forHost = reportProblems(hostAction, { result: result(null) });
    const forContainer = reportProblems(containerAction, { result: result(docker) });

    // Assess
    expect([forHost, forContainer]).toEqual([[], []]);
  });

  it.each([
    ['an unknown field', { ...result(null), environ: { AWS_SECRET_ACCESS_KEY: 'x' } }, 'result.environ'],
    ['the listing itself in the result', { ...result(null), processes: { ...(result(null)['processes'] as JsonObject), items: [] } }, 'result.processes.items'],
    ['a count as text', { ...result(null), sockets: { ...(result(null)['sockets'] as JsonObject), count: '12' } }, 'result.sockets.count'],
    ['more listed than found', { ...result(null), processes: { count: 1, listed: 5, vanished: 0, unreadable: 0, truncated: false } }, 'result.processes'],
    ['an evidence hash that is no SHA-256', { ...result(null), evidence: { ...(result(null)['evidence'] as JsonObject), sockets: { ...object('s.json'), sha256: 'abc' } } }, 'result.evidence.sockets.sha256'],
    ['an evidence object left out', { ...result(null), evidence: { processes: object('p.json') } }, 'result.evidence.sockets'],
    ['a host capture naming a container', { ...result(null), containerId: docker.id }, 'result.containerId'],
    ['a scope that is neither', { ...result(null), scope: 'cluster' }, 'result.scope'],
    ['too many notes', { ...result(null), notes: Array.from({ length: 17 }, () => 'n') }, 'result.notes'],
    ['a note too long', { ...result(null), notes: ['n'.repeat(1001)] }, 'result.notes.0'],
  ] as const)('is refused with %s, naming the field', (_, forged, field) => {
    // Act
    const problems = reportProblems(hostAction, { result: forged });

    // Assess
    expect(paths(problems)).toContain(field);
  });

  it('is refused when it describes another container than the action names', () => {
    // Prepare
    const other: ContainerInfo = { ...docker, id: `beef${'1'.repeat(60)}` };

    // Act
    const problems = reportProblems(containerAction, { result: result(other) });

    // Assess
    expect(paths(problems)).toContain('result.containerId');
  });

  it('is refused with a prior or applied, which a capture never reports', () => {
    // Act
    const problems = reportProblems(hostAction, { prior: { pid: 1 }, applied: { killed: true }, result: result(null) });

    // Assess
    expect(paths(problems)).toEqual(['prior', 'applied']);
  });
});

describe('the capture-process-state plan', () => {
  it.each([
    [{ 'host.id': 'node-7' }, 'every process of host node-7', 'host/node-7'],
    [{ 'host.id': 'node-7', 'container.id': 'c0ffee' }, 'the processes of container c0ffee on host node-7', 'host/node-7/container/c0ffee'],
  ])('says what it reads from %j and that it changes nothing', (inputs, what, key) => {
    // Prepare
    const valid = validateActionRequest({ type: 'capture-process-state', inputs }, { now: new Date() });
    if (!valid.ok) throw new Error(JSON.stringify(valid.errors));

    // Act
    const changes = responderChanges(valid, null);

    // Assess
    expect(changes).toEqual([{ call: 'host:capture-process-state', target: key, detail: expect.stringContaining(what) as unknown }]);
    expect(changes[0]?.detail).toMatch(/never a process's environment.*changes nothing$/);
  });
});
