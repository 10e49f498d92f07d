/** Percentile by nearest rank over a sample of durations (ms). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export async function timeEach(times: number, run: (iteration: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let iteration = 0; iteration < times; iteration += 1) {
    const start = performance.now();
    await run(iteration);
    samples.push(performance.now() - start);
  }
  return samples;
}

export const ms = (value: number): string => `${value.toFixed(2)} ms`;
