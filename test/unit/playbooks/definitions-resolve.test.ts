import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '#shared/json.ts';
import { builtInPlaybooks, resolveStep } from '#shared/playbooks/definitions/index.ts';
import type { EarlierStep, PlaybookStepDefinition, PlaybookStepStatus } from '#shared/playbooks/types.ts';

type Step = Pick<PlaybookStepDefinition, 'inputs' | 'when'>;
const none = new Map<string, EarlierStep>();

function step(inputs: Step['inputs'], when: Step['when'] = []): Step {
  return { inputs, when };
}

function earlier(id: string, status: PlaybookStepStatus, result: JsonValue | null): Map<string, EarlierStep> {
  return new Map([[id, { status, result }]]);
}

const fromState = step({ 'kubernetes.persistentvolume.claim.name': { step: 'pod-state', result: 'persistentVolumeClaims' } });

describe('resolveStep: conditions', () => {
  const run = (when: Step['when'], inputs: Record<string, JsonValue>, steps = none) => resolveStep(step({}, when), inputs, steps, { dryRun: false });

  it('present holds for a given value, not for an absent, empty or listless one; absent is its opposite', () => {
    expect(run([{ present: 'path.absolute' }], { 'path.absolute': '/tmp/x' })).toEqual({ kind: 'run', inputs: {} });
    for (const inputs of [{}, { 'path.absolute': '' }, { 'path.absolute': [] }, { 'path.absolute': null }] as Record<string, JsonValue>[]) {
      expect(run([{ present: 'path.absolute' }], inputs)).toEqual({ kind: 'skip', reason: 'path.absolute is not given' });
      expect(run([{ absent: 'path.absolute' }], inputs).kind).toBe('run');
    }
    expect(run([{ absent: 'process.id' }], { 'process.id': 7 })).toEqual({ kind: 'skip', reason: 'process.id is given' });
  });

  it('equals compares the run input with the value', () => {
    const when = [{ equals: { input: 'container.action', value: 'kill' } }];
    expect(run(when, { 'container.action': 'kill' }).kind).toBe('run');
    expect(run(when, { 'container.action': 'pause' })).toEqual({ kind: 'skip', reason: 'container.action is not "kill"' });
    expect(run([{ equals: { input: 'kubernetes.workload.replicas', value: 0 } }], { 'kubernetes.workload.replicas': 0 }).kind).toBe('run');
  });

  it('matches globs the run input, and a non-string never matches', () => {
    const user = [{ matches: { input: 'aws.resource.arn', glob: 'arn:*:iam::*:user/*' } }];
    expect(run(user, { 'aws.resource.arn': 'arn:aws:iam::123456789012:user/ops/alice' }).kind).toBe('run');
    expect(run(user, { 'aws.resource.arn': 'arn:aws:iam::123456789012:role/admin' })).toEqual({
      kind: 'skip',
      reason: 'aws.resource.arn does not match arn:*:iam::*:user/*',
    });
    expect(run(user, { 'aws.resource.arn': 42 }).kind).toBe('skip');
  });

  it('resultPresent needs the earlier step Completed with the result there, and says which is missing', () => {
    const when = [{ resultPresent: { step: 'pod-state', result: 'persistentVolumeClaims' } }];
    expect(run(when, {}, earlier('pod-state', 'Completed', { persistentVolumeClaims: ['data'] })).kind).toBe('run');
    expect(run(when, {}, earlier('pod-state', 'Completed', { persistentVolumeClaims: [] }))).toEqual({
      kind: 'skip',
      reason: "step pod-state's result has no persistentVolumeClaims",
    });
    expect(run(when, {}, earlier('pod-state', 'Error', { persistentVolumeClaims: ['data'] }))).toEqual({ kind: 'skip', reason: 'step pod-state is Error, not Completed' });
    expect(run(when, {}, none)).toEqual({ kind: 'skip', reason: 'step pod-state is not run, not Completed' });
  });

  it('anyOf holds when one alternative does, and names every failing one otherwise', () => {
    const when = [{ anyOf: [{ present: 'path.absolute' }, { equals: { input: 'container.action', value: 'kill' } }] }];
    expect(run(when, { 'container.action': 'kill' }).kind).toBe('run');
    expect(run(when, {})).toEqual({ kind: 'skip', reason: 'none of its alternatives holds (path.absolute is not given; container.action is not "kill")' });
  });

  it('every condition must hold; the first that fails is the reason', () => {
    expect(run([{ present: 'host.id' }, { present: 'path.absolute' }, { absent: 'host.id' }], { 'host.id': 'h' })).toEqual({
      kind: 'skip',
      reason: 'path.absolute is not given',
    });
  });
});

describe('resolveStep: sources', () => {
  it('takes run inputs, ARN parts and literals, and leaves out what yields nothing', () => {
    const resolved = resolveStep(
      step({
        'aws.account.id': { input: 'aws.resource.arn', part: 'arn.account' },
        'aws.region': { input: 'aws.resource.arn', part: 'arn.region' },
        'ct.user.arn': { input: 'aws.resource.arn' },
        fromTimestamp: { input: 'fromTimestamp' },
        'kubernetes.workload.replicas': { value: 0 },
      }),
      { 'aws.resource.arn': 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0' },
      none,
      { dryRun: false },
    );
    expect(resolved).toEqual({
      kind: 'run',
      inputs: {
        'aws.account.id': '123456789012',
        'aws.region': 'eu-west-1',
        'ct.user.arn': 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0',
        'kubernetes.workload.replicas': 0,
      },
    });
    // An IAM ARN has no region, and a value that is no ARN has no parts at all.
    const iam = resolveStep(step({ 'aws.region': { input: 'a', part: 'arn.region' } }), { a: 'arn:aws:iam::123456789012:user/x' }, none, { dryRun: false });
    expect(iam).toEqual({ kind: 'run', inputs: {} });
    const junk = resolveStep(step({ 'aws.account.id': { input: 'a', part: 'arn.account' } }), { a: 'not-an-arn:1:2:3:4:5' }, none, { dryRun: false });
    expect(junk).toEqual({ kind: 'run', inputs: {} });
  });

  it('follows a dotted path into an earlier Completed step, and takes nothing from one that did not complete', () => {
    const nested = resolveStep(step({ 'path.absolute': { step: 'find', result: 'file.path' } }), {}, earlier('find', 'Completed', { file: { path: '/etc/x' } }), { dryRun: false });
    expect(nested).toEqual({ kind: 'run', inputs: { 'path.absolute': '/etc/x' } });
    for (const status of ['Error', 'Skipped', 'Running', 'Pending'] as const) {
      expect(resolveStep(fromState, {}, earlier('pod-state', status, { persistentVolumeClaims: ['data'] }), { dryRun: false })).toEqual({ kind: 'run', inputs: {} });
    }
  });

  it('firstOf takes the first alternative that yields', () => {
    const source = step({ pvc: { firstOf: [{ input: 'pvc' }, { step: 'pod-state', result: 'persistentVolumeClaims' }] } });
    const state = earlier('pod-state', 'Completed', { persistentVolumeClaims: ['from-state'] });
    expect(resolveStep(source, { pvc: ['given'] }, state, { dryRun: false })).toEqual({ kind: 'run', inputs: { pvc: ['given'] } });
    expect(resolveStep(source, {}, state, { dryRun: false })).toEqual({ kind: 'run', inputs: { pvc: ['from-state'] } });
    expect(resolveStep(source, {}, none, { dryRun: false })).toEqual({ kind: 'run', inputs: {} });
    // A dry run cannot know what a step that has not run will find, unless an earlier alternative yields.
    expect(resolveStep(source, { pvc: 'given' }, earlier('pod-state', 'Pending', null), { dryRun: true }).kind).toBe('run');
    expect(resolveStep(source, {}, earlier('pod-state', 'Pending', null), { dryRun: true }).kind).toBe('unresolved');
  });

  it('in a dry run, a step not yet run leaves the step unresolved, naming it; a failing input condition still skips', () => {
    const pending = earlier('pod-state', 'Pending', null);
    const expected = { kind: 'unresolved', reason: 'needs the result of step pod-state, which has not run yet' };
    expect(resolveStep(fromState, {}, pending, { dryRun: true })).toEqual(expected);
    expect(resolveStep(fromState, {}, none, { dryRun: true })).toEqual(expected);
    expect(resolveStep(step({}, [{ resultPresent: { step: 'pod-state', result: 'x' } }]), {}, pending, { dryRun: true })).toEqual(expected);
    const both = step({}, [{ resultPresent: { step: 'pod-state', result: 'x' } }, { present: 'path.absolute' }]);
    expect(resolveStep(both, {}, pending, { dryRun: true })).toEqual({ kind: 'skip', reason: 'path.absolute is not given' });
  });

  it('resolves network-exfiltration volumes from the input, else from pod-state, and skips when neither names PVCs', () => {
    const volumes = builtInPlaybooks.find((each) => each.name === 'network-exfiltration')?.steps.find((each) => each.id === 'volumes');
    if (volumes === undefined) throw new Error('no volumes step');
    const base = { 'kubernetes.cluster.name': 'c', 'kubernetes.namespace.name': 'n' };
    const state = (result: JsonValue) => earlier('pod-state', 'Completed', result);
    const pvc = 'kubernetes.persistentvolume.claim.name';
    expect(resolveStep(volumes, { ...base, [pvc]: 'given' }, state({ persistentVolumeClaims: ['seen'] }), { dryRun: false })).toEqual({ kind: 'run', inputs: { ...base, [pvc]: 'given' } });
    expect(resolveStep(volumes, base, state({ persistentVolumeClaims: ['seen'] }), { dryRun: false })).toEqual({ kind: 'run', inputs: { ...base, [pvc]: ['seen'] } });
    expect(resolveStep(volumes, base, state({ persistentVolumeClaims: [] }), { dryRun: false }).kind).toBe('skip');
  });
});

describe('resolveStep: hostile results', () => {
  const take = (result: unknown) => resolveStep(fromState, {}, earlier('pod-state', 'Completed', result as JsonValue), { dryRun: false });

  it('takes nothing that is not a scalar or a bounded list of scalars', () => {
    for (const value of [{ a: 1 }, [{ a: 1 }], [['x']], null, [null], Array.from({ length: 129 }, () => 'x'), 'x'.repeat(4097), Number.NaN, [], '']) {
      expect(take({ persistentVolumeClaims: value })).toEqual({ kind: 'run', inputs: {} });
    }
    expect(take({ persistentVolumeClaims: Array.from({ length: 128 }, (_, index) => `pvc-${index}`) }).kind).toBe('run');
  });

  it('never reads through a prototype, an array index or an inherited key', () => {
    const poisoned = JSON.parse('{"__proto__": {"persistentVolumeClaims": ["stolen"]}}') as JsonValue;
    expect(take(poisoned)).toEqual({ kind: 'run', inputs: {} });
    expect(take(Object.create({ persistentVolumeClaims: ['inherited'] }) as JsonValue)).toEqual({ kind: 'run', inputs: {} });
    expect(take(['data'])).toEqual({ kind: 'run', inputs: {} });
    const viaProto = resolveStep(step({ x: { step: 's', result: 'constructor' } }), {}, earlier('s', 'Completed', {}), { dryRun: false });
    expect(viaProto).toEqual({ kind: 'run', inputs: {} });
  });

  it('copies a list it takes, so the action never shares it with the stored result', () => {
    const list = ['data'];
    const resolved = take({ persistentVolumeClaims: list });
    if (resolved.kind !== 'run') throw new Error('expected run');
    list.push('added');
    expect(resolved.inputs['kubernetes.persistentvolume.claim.name']).toEqual(['data']);
  });

  it('for any JSON result, yields only scalars or lists of at most 128 scalars, never objects', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (result, value) => {
        const resolved = take({ persistentVolumeClaims: value, other: result });
        if (resolved.kind !== 'run') return false;
        const taken = resolved.inputs['kubernetes.persistentvolume.claim.name'];
        if (taken === undefined) return true;
        const scalar = (entry: unknown) => ['string', 'number', 'boolean'].includes(typeof entry);
        return scalar(taken) || (Array.isArray(taken) && taken.length > 0 && taken.length <= 128 && taken.every(scalar));
      }),
    );
  });
});
