/**
 * The service under `npm run bench -- load`, in its own process as `npm start` runs it
 * (local/main.ts's startLocalService, DATA_DIR and AWS_* from the environment), so the clients'
 * and the instant AWS's CPU is not counted as the service's. One difference: this machine's host
 * responder answers file-quarantine at once with a valid report (the figure is the path through
 * the service, not a file moved). Prints `listening on <url>`; SIGTERM closes it (a --cpu-prof
 * profile is then written). SIGUSR2 prints `pauses <json>`: how long its event loop was held up
 * (and by garbage collection) since the last SIGUSR2, which tells a slow request waiting for the
 * process from one waiting for its stores. With BENCH_LOAD_WINDOW_PROFILE=<file>, the CPU profile of
 * the first window is written there (the first SIGUSR2 starts it, the second writes it).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { subscribe } from 'node:diagnostics_channel';
import { createHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { startLocalService } from '#local/service.ts';
import { quarantineReport } from '#test/support/responder-harness.ts';

const loadHostName = process.env['LOAD_HOST_NAME'] ?? 'bench-load-host';

const dataDir = process.env['DATA_DIR'];
if (dataDir === undefined) throw new Error('bench/load-service.ts needs DATA_DIR');
const service = await startLocalService({
  dataDir,
  port: 0,
  env: process.env,
  console: false,
  hostResponder: {
    name: loadHostName,
    actions: [{ type: 'file-quarantine', execute: (context) => Promise.resolve(quarantineReport(String(context.work.inputs['path.absolute']), context.work.actionId)) }],
  },
});
console.log(`listening on ${service.url}`);

// Event-loop delay sampled every 5 ms (a timer's lateness: the time the process could not answer
// anything), and each garbage collection's pause.
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
let gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gc = { count: gc.count + 1, totalMs: gc.totalMs + entry.duration, maxMs: Math.max(gc.maxMs, entry.duration) };
}).observe({ entryTypes: ['gc'] });
// How long the service took over each GET of a record, from its request parsed to its response
// finished (Node's own HTTP diagnostics channels; dynalite's requests in this process left out).
let served = createHistogram();
const startedAt = new WeakMap<object, bigint>();
subscribe('http.server.request.start', (message) => {
  const { request, response } = message as { request: { method?: string; url?: string }; response: object };
  if (request.method === 'GET' && request.url?.startsWith('/v1/actions/') === true) startedAt.set(response, process.hrtime.bigint());
});
subscribe('http.server.response.finish', (message) => {
  const { response } = message as { response: object };
  const started = startedAt.get(response);
  if (started !== undefined) served.record(Math.max(1, Number(process.hrtime.bigint() - started)));
});

const windowProfile = process.env['BENCH_LOAD_WINDOW_PROFILE'];
const profiler = windowProfile === undefined ? undefined : new Session();
profiler?.connect();
let profiling: 'not yet' | 'running' | 'written' = 'not yet';
process.on('SIGUSR2', () => {
  const ms = (nanoseconds: number): number => nanoseconds / 1e6;
  const pauses = {
    loopP50: ms(delay.percentile(50)),
    loopP99: ms(delay.percentile(99)),
    loopMax: ms(delay.max),
    gcCount: gc.count,
    gcTotalMs: gc.totalMs,
    gcMaxMs: gc.maxMs,
    servedCount: served.count,
    servedP50: ms(served.percentile(50)),
    servedP99: ms(served.percentile(99)),
    servedMax: ms(served.max),
  };
  delay.reset();
  served = createHistogram();
  gc = { count: 0, totalMs: 0, maxMs: 0 };
  void toggleProfile().then(() => {
    console.log(`pauses ${JSON.stringify(pauses)}`);
  });
});

/** The first window only: its first SIGUSR2 starts the profiler, the second writes the profile. */
async function toggleProfile(): Promise<void> {
  if (profiler === undefined || windowProfile === undefined) return;
  if (profiling === 'not yet') {
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    profiling = 'running';
  } else if (profiling === 'running') {
    const { profile } = await profiler.post('Profiler.stop');
    await writeFile(windowProfile, JSON.stringify(profile));
    profiling = 'written';
  }
}
