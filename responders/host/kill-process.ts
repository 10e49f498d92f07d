/**
 * kill-process: SIGKILL to one process, after the guards (never pid 1, a kernel thread or the
 * responder itself), and only when it is the process the action means: its start time matches
 * `process.start_time` within one second, and with `container.id` its cgroups name that
 * container. Nothing to undo; `prior` keeps what the process was.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonObject } from '#shared/json.ts';
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import { containerIdsInCgroup } from './container-cgroup.ts';
import { placedInContainer } from './proc-container.ts';
import type { HostEnvironment } from './environment.ts';
import { errnoOf, hostError } from './errors.ts';
import { optionalText, requiredInteger } from './inputs.ts';
import { refuseProtectedPid, refuseProtectedProcess } from './process-guards.ts';
import { refuseResponderProcess } from './responder-guards.ts';
import type { ProcessFacts, ProcStat } from './procfs.ts';

/** A start time given may differ from the kernel's (10 ms ticks, whole-second boot time) by this much. */
export const startTimeTolerance = 1000;
const maxCommandLine = 1024;

function truncate(text: string, length: number): { text: string; truncated: boolean } {
  return text.length <= length ? { text, truncated: false } : { text: `${text.slice(0, length)}…`, truncated: true };
}

function describe(facts: ProcessFacts): JsonObject {
  const command = truncate(facts.commandLine, maxCommandLine);
  return {
    pid: facts.pid,
    startTime: facts.startTime.toISOString(),
    comm: facts.comm,
    commandLine: command.text,
    commandLineTruncated: command.truncated,
    exe: facts.exe,
    uid: facts.uid,
    ppid: facts.ppid,
    state: facts.state,
  };
}

/** How the process was seen to be gone, or null while it still runs. */
function goneBy(stat: ProcStat | null, startTicks: number): string | null {
  if (stat === null) return 'it is no longer in /proc';
  if (stat.startTicks !== startTicks) return 'its pid now belongs to another process';
  if (stat.state === 'Z' || stat.state === 'X') return 'it is dead (a zombie until its parent reaps it)';
  return null;
}

async function waitGone(env: HostEnvironment, facts: ProcessFacts, signal: AbortSignal): Promise<{ by: string; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const by = goneBy(await env.proc.readStat(facts.pid), facts.startTicks);
    const afterMs = Date.now() - started;
    if (by !== null) return { by, afterMs };
    if (afterMs >= env.killWaitMs) {
      const state = (await env.proc.readStat(facts.pid))?.state ?? '?';
      throw hostError(
        'ProcessStillRunning',
        `SIGKILL was sent to process ${facts.pid} (${facts.comm}) but it was still there ${afterMs} ms later, in state ${state}${state === 'D' ? ' (uninterruptible sleep: it dies when its I/O returns)' : ''}`,
      );
    }
    await sleep(10, undefined, { signal });
  }
}

export function killProcess(env: HostEnvironment): ResponderAction {
  return {
    type: 'kill-process',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const { inputs } = context.work;
      const pid = requiredInteger(inputs, 'process.id');
      const startTimeGiven = optionalText(inputs, 'process.start_time');
      const containerId = optionalText(inputs, 'container.id');

      refuseProtectedPid(env.protection, pid);
      const facts = await env.proc.readProcess(pid);
      if (facts === null) throw hostError('ProcessNotFound', `no process ${pid} on this host`);
      refuseProtectedProcess(env.protection, facts);
      refuseResponderProcess(pid, facts.commandLine);
      if (facts.tgid !== pid) {
        throw hostError('NotAProcess', `${pid} is a thread of process ${facts.tgid}, not a process; give process.id ${facts.tgid} to kill the process`);
      }
      if (facts.state === 'Z' || facts.state === 'X') {
        throw hostError('ProcessNotFound', `process ${pid} (${facts.comm}) has already exited; it is a zombie until its parent ${facts.ppid} reaps it, and nothing is left to kill`);
      }
      if (startTimeGiven !== undefined) {
        const given = new Date(startTimeGiven);
        if (Math.abs(given.getTime() - facts.startTime.getTime()) > startTimeTolerance) {
          throw hostError(
            'StartTimeMismatch',
            `process ${pid} (${facts.comm}) started at ${facts.startTime.toISOString()}, not at ${given.toISOString()} as process.start_time says (more than one second apart): the pid may belong to another process now; nothing was killed`,
          );
        }
      }
      // The container the runtime placed it in: a process that nests a cgroup named after another container is not in that one.
      if (containerId !== undefined && !placedInContainer(facts.cgroup, containerId, env.containerdNamespaces)) {
        const ids = containerIdsInCgroup(facts.cgroup);
        throw hostError(
          'ContainerMismatch',
          `process ${pid} (${facts.comm}) is not in container ${containerId}: its cgroups ${ids.length === 0 ? 'name no container' : `name container ${ids.join(', ')}`}; nothing was killed`,
        );
      }
      const prior = describe(facts);

      context.signal.throwIfAborted();
      // Read the start again right before the signal: the narrowest window for a recycled pid.
      const again = await env.proc.readStat(pid);
      if (again === null || again.startTicks !== facts.startTicks) {
        throw hostError('ProcessNotFound', `process ${pid} (${facts.comm}) exited before it could be killed`);
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ESRCH') throw hostError('ProcessNotFound', `process ${pid} (${facts.comm}) exited before it could be killed`, error);
        if (code === 'EPERM') {
          throw hostError(
            'PermissionDenied',
            `cannot send SIGKILL to process ${pid} (${facts.comm}, uid ${facts.uid ?? '?'}) as uid ${env.euid}: permission denied; needs root or CAP_KILL`,
            error,
          );
        }
        throw error;
      }
      const gone = await waitGone(env, facts, context.signal);
      return {
        prior,
        applied: { pid, startTime: facts.startTime.toISOString(), signal: 'SIGKILL' },
        result: {
          ...prior,
          containerId: containerId ?? null,
          signal: 'SIGKILL',
          gone: true,
          confirmation: `${gone.by} (checked ${gone.afterMs} ms after the signal)`,
        },
      };
    },
  };
}
