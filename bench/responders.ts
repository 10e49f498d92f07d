/**
 * `npm run bench -- responders`: how work reaches responders, before and after they pulled their
 * own queue (issue 10).
 * - Created→Running, p50/p99, for 50 concurrent host actions through `npm start`'s service and its
 *   in-process host responder (bench/responder-latency.ts). "Before" runs that same file in a git
 *   worktree of the commit before the change (BENCH_RESPONDERS_BEFORE, default below: the in-process
 *   responder long-polled the HTTP work route), "after" in a worktree of HEAD; node_modules is
 *   symlinked into both. Locally both queues are the embedded SQS.
 * - The idle-fleet cost model per idle responder per day, from the code's constants.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { serviceFunctionDefaults } from '#infra/constructs/service-function.ts';
import { defaultQueueCredentialSeconds } from '#shared/responders/config.ts';
import { defaultHeartbeatSeconds, defaultPollWaitSeconds } from '../responders/common/runner.ts';
import { refreshMarginMs } from '../responders/common/work-source.ts';
import { percentile } from './stats.ts';

const run = promisify(execFile);
/** The parent of cfa7bb1, the commit that moved responders onto their own queue. */
const defaultBefore = '03e93e0b7e073e3d5fe5b5460c154942e9f4c518';
const day = 86_400;

export async function benchResponders(): Promise<string[]> {
  const before = process.env['BENCH_RESPONDERS_BEFORE'] ?? defaultBefore;
  const lines = ['responders: Created→Running of 50 concurrent host actions (npm start, in-process host responder)'];
  for (const [label, commit] of [['before', before], ['after', 'HEAD']] as const) {
    const samples = await latencyAt(commit);
    lines.push(`  ${label.padEnd(6)} (${commit.slice(0, 10)}): p50 ${percentile(samples, 50).toFixed(0)} ms, p99 ${percentile(samples, 99).toFixed(0)} ms, max ${Math.max(...samples).toFixed(0)} ms (n=${samples.length})`);
  }
  lines.push(...idleCost());
  return lines;
}

/** Runs bench/responder-latency.ts in a fresh worktree of `commit`; its samples (ms). */
async function latencyAt(commit: string): Promise<number[]> {
  const repo = resolve(import.meta.dirname, '..');
  const tree = await mkdtemp(join(tmpdir(), 'bench-responders-tree-'));
  await run('git', ['-C', repo, 'worktree', 'add', '--detach', tree, commit]);
  try {
    await symlink(join(repo, 'node_modules'), join(tree, 'node_modules'));
    await copyFile(join(repo, 'bench', 'responder-latency.ts'), join(tree, 'bench', 'responder-latency.ts'));
    const { stdout } = await run(process.execPath, ['bench/responder-latency.ts'], { cwd: tree, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: 'error' } });
    const last = stdout.trim().split('\n').at(-1) ?? '';
    return (JSON.parse(last) as { samples: number[] }).samples;
  } finally {
    await run('git', ['-C', repo, 'worktree', 'remove', '--force', tree]);
    await rm(tree, { recursive: true, force: true });
  }
}

/**
 * Per idle responder per day. Before: every long-poll was a Lambda invocation held for the whole
 * wait (the function's memory × 86,400 s) plus its API request and its SQS ReceiveMessage. After:
 * the responder long-polls SQS itself; the API sees heartbeats and credential refreshes only.
 * Heartbeats are the same before and after; their own duration is not modelled (short calls).
 */
function idleCost(): string[] {
  const memoryGb = serviceFunctionDefaults.memorySize / 1024;
  const polls = day / defaultPollWaitSeconds;
  const heartbeats = day / defaultHeartbeatSeconds;
  const refreshEvery = defaultQueueCredentialSeconds - Math.min(refreshMarginMs / 1000, defaultQueueCredentialSeconds / 4);
  const refreshes = day / refreshEvery;
  const fmt = (value: number): string => value.toLocaleString('en-US', { maximumFractionDigits: 1 });
  return [
    `responders: idle-fleet cost per idle responder per day (poll wait ${defaultPollWaitSeconds} s, heartbeat ${defaultHeartbeatSeconds} s, function memory ${serviceFunctionDefaults.memorySize} MB, credentials ${defaultQueueCredentialSeconds} s refreshed ${refreshMarginMs / 1000} s early)`,
    `  before: Lambda GB-s held by long-polls ${fmt(day * memoryGb)}; Lambda invocations ${fmt(polls + heartbeats)} (${fmt(polls)} work polls + ${fmt(heartbeats)} heartbeats); API requests ${fmt(polls + heartbeats)}; SQS requests ${fmt(polls)} (ReceiveMessage by the Lambda); Lambda concurrency held 1`,
    `  after:  Lambda GB-s held by long-polls 0; Lambda invocations ${fmt(refreshes + heartbeats)} (${fmt(refreshes)} credential refreshes + ${fmt(heartbeats)} heartbeats); API requests ${fmt(refreshes + heartbeats)}; SQS requests ${fmt(polls)} (ReceiveMessage by the responder); STS AssumeRole ${fmt(refreshes)}; Lambda concurrency held 0`,
    `  1,000 idle responders: before ${fmt(1000 * day * memoryGb)} GB-s/day and 1,000 concurrent executions held (the default account limit); after 0 GB-s waiting and none held`,
  ];
}
