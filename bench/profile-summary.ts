/**
 * Self time of a V8 CPU profile (`.cpuprofile`, as --cpu-prof and the inspector write it) by where
 * the code lives: a package under node_modules, Node's own modules, this repository's top-level
 * folder, or V8's idle, GC and program entries. What `npm run bench -- load` prints for a profiled
 * phase, so a figure that misses its target comes with what bounds it.
 */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly url: string; readonly functionName: string };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's code lives, as the summary names it. */
export function placeOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') return /^\(.*\)$/.test(functionName) ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  const local = /\/(bench|functions|local|shared|test|scripts)\//.exec(url)?.[1];
  return local === undefined ? '(other)' : `${local}/`;
}

/** Each place's share of the sampled time, largest first, with the time sampled in ms. */
export function selfTimeByPlace(profile: CpuProfile): { totalMs: number; places: { place: string; ms: number; share: number }[] } {
  const placeOfNode = new Map(profile.nodes.map((node) => [node.id, placeOf(node.callFrame)]));
  const byPlace = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const place = placeOfNode.get(id) ?? '(other)';
    byPlace.set(place, (byPlace.get(place) ?? 0) + micros);
    total += micros;
  });
  const places = [...byPlace].map(([place, micros]) => ({ place, ms: micros / 1000, share: total === 0 ? 0 : micros / total })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, places };
}

/** `place 12.3%` for the `most` largest. */
export function describeSelfTime(profile: CpuProfile, most = 10): string {
  const { totalMs, places } = selfTimeByPlace(profile);
  return `${(totalMs / 1000).toFixed(1)} s sampled: ${places.slice(0, most).map((each) => `${each.place} ${(each.share * 100).toFixed(1)}%`).join(', ')}`;
}
