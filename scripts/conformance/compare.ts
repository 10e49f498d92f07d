/**
 * Comparisons of what a scenario expects with what the service answered and the targets show;
 * each difference is a sentence naming the part, the expected and the actual value.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ActionRecord } from '#shared/history/record.ts';
import type { ActionExpectation, StateExpectation } from './scenario.ts';
import type { Target, TargetState } from './targets.ts';

export type States = ReadonlyMap<string, TargetState>;

export const shown = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));

/** Reads every target now. */
export async function readStates(targets: readonly Target[]): Promise<Map<string, TargetState>> {
  const states = new Map<string, TargetState>();
  for (const target of targets) states.set(target.name, await target.read());
  return states;
}

export function unchanged(states: States, original: States): boolean {
  return [...original].every(([name, state]) => isDeepStrictEqual(states.get(name), state));
}

/** Each target against its expectation: `unchanged`, or the fields given. */
export function compareStates(where: string, expected: StateExpectation, states: States, original: States): string[] {
  const mismatches: string[] = [];
  for (const [name, expectation] of Object.entries(expected)) {
    const state = states.get(name);
    if (state === undefined) {
      mismatches.push(`${where}: no target named ${name}`);
      continue;
    }
    if (expectation === 'unchanged') {
      if (!isDeepStrictEqual(state, original.get(name))) mismatches.push(`${where}: ${name} changed: was ${shown(original.get(name))}, now ${shown(state)}`);
      continue;
    }
    for (const [field, value] of Object.entries(expectation)) {
      if (!isDeepStrictEqual(state[field], value)) mismatches.push(`${where}: ${name}.${field} expected ${shown(value)}, got ${shown(state[field])}`);
    }
  }
  return mismatches;
}

/** What the answers said, to check each record's trigger against. */
export interface Posted {
  readonly eventIds: ReadonlySet<string>;
  readonly findingIds: ReadonlySet<string>;
}

/** Every action record (oldest first) against the list expected, one by one. */
export function compareActions(
  expected: readonly ActionExpectation[],
  records: readonly ActionRecord[],
  targets: ReadonlyMap<string, Target>,
  hostname: string,
  posted: Posted,
): string[] {
  const mismatches: string[] = [];
  if (records.length !== expected.length) {
    mismatches.push(`actions: expected ${expected.length} (${expected.map((action) => action.type).join(', ') || 'none'}), got ${records.length} (${records.map((record) => `${record.type} ${record.status}`).join(', ') || 'none'})`);
  }
  expected.forEach((expectation, index) => {
    const record = records[index];
    if (record === undefined) return;
    const where = `action ${index + 1} (${record.type} ${record.id})`;
    const check = (field: string, want: unknown, got: unknown): void => {
      if (!isDeepStrictEqual(want, got)) mismatches.push(`${where}: ${field} expected ${shown(want)}, got ${shown(got)}`);
    };
    check('type', expectation.type, record.type);
    check('status', expectation.status, record.status);
    if (record.status === 'Error') mismatches.push(`${where}: ended in Error: ${shown(record.error)}`);
    check('createdBy', expectation.createdBy, record.createdBy);
    const target = targets.get(expectation.target);
    check('resource.key', target?.resourceKey(hostname) ?? `(no target ${expectation.target})`, record.resource.key);
    if (expectation.trigger === null) {
      check('trigger', null, record.trigger);
      return;
    }
    if (record.trigger === null) {
      mismatches.push(`${where}: trigger expected ${shown(expectation.trigger)}, got null`);
      return;
    }
    const trigger = record.trigger as unknown as Record<string, unknown>;
    for (const [field, want] of Object.entries(expectation.trigger)) check(`trigger.${field}`, want, trigger[field]);
    if (record.trigger.source !== 'person') {
      if (!posted.eventIds.has(record.trigger.eventId ?? '')) mismatches.push(`${where}: trigger.eventId ${shown(record.trigger.eventId)} is no event this scenario posted`);
      if (!posted.findingIds.has(record.trigger.findingId ?? '')) mismatches.push(`${where}: trigger.findingId ${shown(record.trigger.findingId)} is no finding this scenario posted`);
    }
  });
  return mismatches;
}

/** `executed, deduplicated ×2, restart, deduplicated`: what happened in order, repeats in a row counted. */
export function summarise(outcomes: readonly string[]): string {
  const runs: { outcome: string; count: number }[] = [];
  for (const outcome of outcomes) {
    const last = runs.at(-1);
    if (last?.outcome === outcome) last.count++;
    else runs.push({ outcome, count: 1 });
  }
  return runs.map(({ outcome, count }) => (count === 1 ? outcome : `${outcome} ×${count}`)).join(', ') || 'none';
}
