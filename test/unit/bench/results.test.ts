/**
 * `npm run bench -- <part>` keeps the figures of the parts it did not run (bench/results.ts):
 * docs quote figures by the command that printed them, and running one part used to wipe the
 * others' figures from .bench/results.txt.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepResults } from '../../../bench/results.ts';

const order = ['e2e', 'load', 'capacity'];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the benchmark results kept', () => {
  it('replaces the figures of the part run and keeps the others, in the parts\' order', async () => {
    // Arrange: every part ran once
    await keepResults(dir, 'run 1', new Map([['e2e', ['e2e: 1 s']], ['load', ['load: 2 s']], ['capacity', ['capacity: $1']]]), order);

    // Act: the capacity part alone, later
    await keepResults(dir, 'run 2', new Map([['capacity', ['capacity: $2']]]), order);

    // Assess
    expect(await readFile(join(dir, 'results.txt'), 'utf8')).toBe('run 1\ne2e: 1 s\nrun 1\nload: 2 s\nrun 2\ncapacity: $2\n');
    expect(await readFile(join(dir, 'capacity.txt'), 'utf8')).toBe('run 2\ncapacity: $2\n');
  });

  it('writes only the parts that have run so far', async () => {
    // Act
    await keepResults(dir, 'run 1', new Map([['load', ['load: 2 s']]]), order);

    // Assess
    expect(await readFile(join(dir, 'results.txt'), 'utf8')).toBe('run 1\nload: 2 s\n');
  });
});
