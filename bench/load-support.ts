/**
 * What `npm run bench -- load` is made of: the service in its own process (bench/load-service.ts),
 * clients that each create one action and poll it every second as SOC tools do, and an open-loop
 * GET load at a fixed rate.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ActionRecord } from '#shared/history/record.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

export interface ServiceProcess {
  readonly url: string;
  /** CPU seconds (user + system) the service process has used so far, from /proc: unlike wall time, not inflated by other processes on a shared machine. */
  cpuSeconds(): Promise<number>;
  /** The service's event-loop delay and GC pauses since the last call (the first call starts the window). */
  pauses(): Promise<ServicePauses>;
  stop(): Promise<void>;
}

/** Milliseconds: the event loop's delay (p50, p99, max, sampled every 5 ms) and garbage collection (count, total, longest). */
export interface ServicePauses {
  readonly loopP50: number;
  readonly loopP99: number;
  readonly loopMax: number;
  readonly gcCount: number;
  readonly gcTotalMs: number;
  readonly gcMaxMs: number;
  /** GETs of a record the service answered in the window, and how long it took over them (request parsed to response finished). */
  readonly servedCount: number;
  readonly servedP50: number;
  readonly servedP99: number;
  readonly servedMax: number;
}

/**
 * Starts bench/load-service.ts with `env` (DATA_DIR, AWS_*), waiting for its `listening on` line.
 * With BENCH_LOAD_PROFILE=<dir>, it runs under `--cpu-prof` and writes its profile there on stop;
 * with BENCH_LOAD_WINDOW_PROFILE=<file>, the profile of the GET window alone (bench/load-service.ts).
 */
export async function startServiceProcess(env: Readonly<Record<string, string>>): Promise<ServiceProcess> {
  const profileDir = process.env['BENCH_LOAD_PROFILE'];
  const child = spawn(process.execPath, [...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]), 'bench/load-service.ts'], {
    cwd: root,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn', BENCH_LOAD_WINDOW_PROFILE: process.env['BENCH_LOAD_WINDOW_PROFILE'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // BENCH_LOAD_LOG=<file>: the service's whole output goes there too (its errors, when a run shows 5xx).
  const logFile = process.env['BENCH_LOAD_LOG'];
  const keep = (chunk: Buffer): void => {
    if (logFile !== undefined) appendFileSync(logFile, chunk);
    // Only the start-up lines matter; the rest is dropped so a long run holds no log in memory.
    if (output.length < 64 * 1024) output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // The answers to SIGUSR2 (bench/load-service.ts), one `pauses <json>` line each.
  const pauseAnswers: ((pauses: ServicePauses) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('pauses ')) pauseAnswers.shift()?.(JSON.parse(line.slice('pauses '.length)) as ServicePauses);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match?.[1] !== undefined) {
      return {
        url: match[1],
        cpuSeconds: async () => {
          // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name): utime and stime in clock ticks (100 per second on Linux).
          const fields = (await readFile(`/proc/${String(child.pid)}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
          return (Number(fields[11]) + Number(fields[12])) / 100;
        },
        pauses: () =>
          new Promise<ServicePauses>((resolve) => {
            pauseAnswers.push(resolve);
            child.kill('SIGUSR2');
          }),
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the load service did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ClientOutcome {
  /** The action's id, when its POST was accepted (202). */
  readonly id: string | null;
  /** When the 202 arrived, ms since the run's start. */
  readonly acceptedAt: number;
  /** The record as last read; terminal unless the client gave up. */
  readonly record: ActionRecord | null;
  /** Responses with a 5xx status, POST and GETs. */
  readonly serverErrors: number;
  /** Requests that got no response at all (connection refused or reset). */
  readonly failedRequests: number;
  /** Other refusals of the POST (4xx): the status and body. */
  readonly refused: string | null;
  /** GETs of the action made while polling. */
  readonly polls: number;
}

const terminal = new Set(['Completed', 'Error']);

/**
 * One client: POSTs its action, then GETs it every `pollMs` until it ends or `deadlineMs` passes
 * (each poll starts `pollMs` after the previous answer, as a polling loop does).
 */
export async function runClient(url: string, token: string, body: unknown, started: number, pollMs: number, deadlineMs: number): Promise<ClientOutcome> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let serverErrors = 0;
  let failedRequests = 0;
  const request = async (path: string, init: RequestInit): Promise<{ status: number; text: string } | null> => {
    try {
      const response = await fetch(`${url}${path}`, init);
      const text = await response.text();
      if (response.status >= 500) serverErrors += 1;
      return { status: response.status, text };
    } catch {
      failedRequests += 1;
      return null;
    }
  };
  const created = await request('/v1/actions', { method: 'POST', headers, body: JSON.stringify(body) });
  const acceptedAt = performance.now() - started;
  if (created?.status !== 202) {
    return { id: null, acceptedAt, record: null, serverErrors, failedRequests, polls: 0, refused: created === null ? 'no response' : `${String(created.status)} ${created.text.slice(0, 200)}` };
  }
  let record = JSON.parse(created.text) as ActionRecord;
  const { id } = record;
  let polls = 0;
  while (!terminal.has(record.status) && performance.now() - started < deadlineMs) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const read = await request(`/v1/actions/${id}`, { headers });
    polls += 1;
    if (read?.status === 200) record = JSON.parse(read.text) as ActionRecord;
  }
  return { id, acceptedAt, record, serverErrors, failedRequests, polls, refused: null };
}

/** When `record` reached `status`, ms since the epoch (NaN if it never did). */
export function reachedAt(record: ActionRecord, status: string): number {
  return Date.parse(record.statusHistory.find((change) => change.status === status)?.at ?? 'NaN');
}

/**
 * GETs of records at a steady `rate` per second for `seconds`, open-loop: each request is sent at
 * its scheduled time whether or not earlier ones have answered, and its latency is counted from
 * that time (a slow answer cannot hide the requests queued behind it).
 */
/**
 * GETs at `rate`/s for `seconds`, open-loop: each latency counts from when the request was due, so
 * a slow answer cannot slow the requests after it. Also measured, to tell where a slow one waited:
 * how late this process sent each (its own lateness, counted in the latency) and the latency from
 * the send, and this process's own event-loop delay.
 */
export async function openLoopGets(url: string, token: string, ids: readonly string[], rate: number, seconds: number): Promise<OpenLoopGets> {
  const total = rate * seconds;
  const latencies: number[] = [];
  const fromSend: number[] = [];
  const sentLate: number[] = [];
  let serverErrors = 0;
  let failed = 0;
  let notOk = 0;
  const clientLoop = monitorEventLoopDelay({ resolution: 5 });
  clientLoop.enable();
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < total; index += 1) {
    const scheduled = start + (index * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = ids[index % ids.length] ?? '';
    const sent = performance.now();
    sentLate.push(Math.max(0, sent - scheduled));
    pending.push(
      fetch(`${url}/v1/actions/${id}`, { headers: { authorization: `Bearer ${token}` } }).then(
        async (response) => {
          await response.arrayBuffer();
          const now = performance.now();
          latencies.push(now - scheduled);
          fromSend.push(now - sent);
          if (response.status >= 500) serverErrors += 1;
          else if (response.status !== 200) notOk += 1;
        },
        () => {
          failed += 1;
        },
      ),
    );
  }
  await Promise.all(pending);
  clientLoop.disable();
  return { latencies, fromSend, sentLate, clientLoopP99: clientLoop.percentile(99) / 1e6, serverErrors, failed, notOk };
}

export interface OpenLoopGets {
  /** From when each was due (what a caller waits). */
  readonly latencies: number[];
  /** From when each was sent. */
  readonly fromSend: number[];
  /** How late this process sent each. */
  readonly sentLate: number[];
  /** This process's event-loop delay p99, ms. */
  readonly clientLoopP99: number;
  readonly serverErrors: number;
  readonly failed: number;
  readonly notOk: number;
}

/** `load 1.23 0.98 0.75` (1, 5, 15 minutes), printed beside every figure: the machine is shared. */
export function loadAverage(): string {
  return `load ${loadavg().map((value) => value.toFixed(2)).join(' ')}`;
}

export function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'MISS';
}
