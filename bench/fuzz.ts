/**
 * `npm run bench -- fuzz`: the API fuzzer of test/integration/fuzz with many more runs per route
 * (FUZZ_RUNS, default 150; FUZZ_SEED to replay), against the real local service and a moto_server
 * of its own. It does not stop at a failure: it prints every kind of fault found with one request
 * that shows it, the requests per route, the status histogram, the 5xx count (must be 0) and
 * requests per second.
 */
import fc from 'fast-check';
import { apiRoutes } from '#functions/api/routes.ts';
import { startMotoServer } from '#local/moto-server.ts';
import { FuzzRunner, requestHeaders, tokenChoice } from '#test/support/fuzz-check.ts';
import { prototypeState } from '#test/support/fuzz-prototypes.ts';
import { requestFor, routeModels, unmodelled } from '#test/support/fuzz-routes.ts';
import { startFuzzService } from '#test/support/fuzz-service.ts';

export async function benchFuzz(): Promise<string[]> {
  const runs = Number(process.env['FUZZ_RUNS'] ?? 150);
  const seed = process.env['FUZZ_SEED'] === undefined ? Date.now() % 2 ** 31 : Number(process.env['FUZZ_SEED']);
  const prototypes = JSON.stringify(prototypeState());
  const moto = await startMotoServer();
  const fuzz = await startFuzzService(moto.endpoint);
  const faults = new Map<string, { count: number; example: string }>();
  const runner = new FuzzRunner(fuzz);
  const started = performance.now();
  try {
    const models = routeModels(fuzz.seeds);
    const gaps = unmodelled(apiRoutes, models);
    if (gaps.length > 0) throw new Error(`routes without a fuzz model in test/support/fuzz-routes.ts: ${gaps.join(', ')}`);
    for (const [index, route] of apiRoutes.entries()) {
      const model = models[`${route.method} ${route.path}`];
      if (model === undefined) continue;
      const cases = fc.sample(fc.tuple(tokenChoice, requestFor(route, model, requestHeaders)), { numRuns: runs, seed: seed + index });
      for (const [choice, request] of cases) {
        for (const fault of await runner.exercise(route, model, choice, request)) {
          // Grouped by the fault's words without its numbers and quotes, so one bug is one line.
          const kind = `${request.route}: ${fault.replace(/"[^"]*"|\d+/g, '…').slice(0, 160)}`;
          const known = faults.get(kind);
          if (known === undefined) faults.set(kind, { count: 1, example: `${fault.slice(0, 300)} <- ${JSON.stringify(choice)} ${(request as unknown as { [fc.toStringMethod]: () => string })[fc.toStringMethod]().slice(0, 300)}` });
          else known.count += 1;
        }
      }
    }
  } finally {
    await fuzz.close();
    await moto.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const { stats } = runner;
  const polluted = JSON.stringify(prototypeState()) !== prototypes;
  return [
    `fuzz: ${stats.requests} requests over ${apiRoutes.length} routes (${runs} per route, seed ${seed}) in ${seconds.toFixed(1)} s: ${(stats.requests / seconds).toFixed(1)} requests/s, one at a time with a snapshot of the stores around each`,
    `fuzz: status histogram ${[...stats.statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}:${count}`).join(' ')}`,
    `fuzz: 5xx answers ${stats.serverErrors} (must be 0); prototypes polluted: ${polluted ? 'YES' : 'no'}; kinds of fault ${faults.size} (must be 0)`,
    ...[...stats.perRoute.entries()].map(([route, count]) => `fuzz:   ${route.padEnd(52)} ${count} requests`),
    ...[...faults.entries()].map(([kind, { count, example }]) => `fuzz: FAULT x${count} ${kind}\n      e.g. ${example}`),
  ];
}
