/** The load bench's profile summary: self time by where the code lives, from a hand-written profile. */
import { describe, expect, it } from 'vitest';
import { describeSelfTime, placeOf, selfTimeByPlace, type CpuProfile } from '../../../bench/profile-summary.ts';

const frame = (url: string, functionName = 'f') => ({ url, functionName });

describe('the self time of a CPU profile by place', () => {
  it('names packages (scoped too), Node modules, repository folders and V8 entries', () => {
    // Assess
    expect(placeOf(frame('file:///w/node_modules/@smithy/core/dist-cjs/index.js'))).toBe('@smithy/core');
    expect(placeOf(frame('file:///w/node_modules/dynalite/db/index.js'))).toBe('dynalite');
    expect(placeOf(frame('node:internal/http/server'))).toBe('node:internal');
    expect(placeOf(frame('node:crypto'))).toBe('node:crypto');
    expect(placeOf(frame('file:///w/shared/history/reader.ts'))).toBe('shared/');
    expect(placeOf(frame('', '(garbage collector)'))).toBe('(garbage collector)');
    expect(placeOf(frame('', 'writev'))).toBe('(native)');
  });

  it("sums each sample's time delta into its node's place, largest first", () => {
    // Prepare: three nodes; samples 1, 2, 2, 3 with deltas 1000, 3000, 2000, 4000 µs
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('', '(idle)') },
        { id: 2, callFrame: frame('file:///w/node_modules/dynalite/index.js') },
        { id: 3, callFrame: frame('file:///w/local/http-server.ts') },
      ],
      samples: [1, 2, 2, 3],
      timeDeltas: [1000, 3000, 2000, 4000],
    };

    // Act
    const summary = selfTimeByPlace(profile);

    // Assess
    expect(summary.totalMs).toBe(10);
    expect(summary.places).toEqual([
      { place: 'dynalite', ms: 5, share: 0.5 },
      { place: 'local/', ms: 4, share: 0.4 },
      { place: '(idle)', ms: 1, share: 0.1 },
    ]);
    expect(describeSelfTime(profile, 2)).toBe('0.0 s sampled: dynalite 50.0%, local/ 40.0%');
  });
});
