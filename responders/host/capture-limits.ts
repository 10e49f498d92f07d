/** How much capture-process-state reads and stores at most; past a bound the result says what was left out. */

export interface ProcessLimits {
  /** Processes listed in full; the rest are counted. */
  readonly maxProcesses: number;
  /** Bytes of one process's command line kept (the rest is cut and flagged). */
  readonly maxCommandLineBytes: number;
}

export interface CaptureLimits extends ProcessLimits {
  /** Sockets listed; the rest are counted. */
  readonly maxSockets: number;
  /** /proc/<pid>/fd links read in all to find socket owners; past it, owners are left unknown. */
  readonly maxFdLinks: number;
  /** Bytes of one socket table read (/proc/<pid>/net/tcp ...). */
  readonly maxTableBytes: number;
  /** Bytes of each evidence object; entries past it are left out and the object says so. */
  readonly maxObjectBytes: number;
}

export const defaultCaptureLimits: CaptureLimits = {
  maxProcesses: 10_000,
  maxCommandLineBytes: 4096,
  maxSockets: 20_000,
  maxFdLinks: 200_000,
  maxTableBytes: 16 * 1024 * 1024,
  maxObjectBytes: 16 * 1024 * 1024,
};
