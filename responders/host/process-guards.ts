/**
 * Processes no host action may signal: pid 1 (the host goes down with it), kernel threads,
 * the responder itself and its parent (its supervisor: systemd is pid 1 in production, but
 * under `npm start` the parent is the local service), and any pid the operator adds.
 */
import { hostError } from './errors.ts';
import type { ProcessFacts } from './procfs.ts';

export interface ProcessProtection {
  /** Protected pids and why each is protected. */
  readonly pids: ReadonlyMap<number, string>;
}

export interface ProcessProtectionOptions {
  readonly ownPid: number;
  readonly parentPid: number;
  /** More pids to refuse (configuration, e.g. an EDR agent's). */
  readonly extraPids?: readonly number[];
}

export function processProtection(options: ProcessProtectionOptions): ProcessProtection {
  const pids = new Map<number, string>();
  for (const pid of options.extraPids ?? []) pids.set(pid, 'it is on the responder\'s list of protected processes');
  if (options.parentPid > 1) pids.set(options.parentPid, "it is the host responder's parent process (its supervisor)");
  pids.set(options.ownPid, 'it is the host responder itself');
  pids.set(1, 'it is pid 1, the init process: the host (or its pid namespace) would go down with it');
  return { pids };
}

/** Refuses a protected pid before anything is read or signalled. */
export function refuseProtectedPid(protection: ProcessProtection, pid: number, as = `process ${pid}`): void {
  const why = protection.pids.get(pid);
  if (why !== undefined) throw hostError('ProtectedProcess', `refusing to kill ${as}: ${why}`);
}

/** Refuses kernel threads (and, for a thread id, the process it belongs to when protected). */
export function refuseProtectedProcess(protection: ProcessProtection, facts: ProcessFacts): void {
  if (facts.tgid !== facts.pid) refuseProtectedPid(protection, facts.tgid, `thread ${facts.pid} of process ${facts.tgid}`);
  if (facts.kernelThread) {
    throw hostError(
      'ProtectedProcess',
      `refusing to kill process ${facts.pid} (${facts.comm}): it is a kernel thread, which signals cannot stop and the kernel needs`,
    );
  }
}
