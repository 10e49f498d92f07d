import { describe, expect, it } from 'vitest';
import { parseBootTime, parseProcStat, parseProcStatus, PF_KTHREAD, startTimeOf } from '../../../responders/host/procfs.ts';

describe('reading /proc', () => {
  it('reads the fields after the last parenthesis, whatever the command name holds', () => {
    // Prepare: a command named "a) (b c" (comm may hold spaces and parentheses)
    const line = '4242 (a) (b c) S 17 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 987654 8192000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0';

    // Act
    const stat = parseProcStat(line);

    // Assess
    expect(stat).toEqual({ pid: 4242, comm: 'a) (b c', state: 'S', ppid: 17, flags: 4194560, startTicks: 987654 });
  });

  it('sees the kernel-thread flag of kthreadd', () => {
    // Act
    const stat = parseProcStat('2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 25 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0');

    // Assess
    expect(stat.flags & PF_KTHREAD).not.toBe(0);
  });

  it('turns boot time and start ticks into wall-clock time', () => {
    // Act
    const boot = parseBootTime('cpu  1 2 3\nintr 5\nbtime 1763860000\nprocesses 77\n');

    // Assess
    expect(boot).toBe(1763860000);
    expect(startTimeOf(12345, boot, 100).toISOString()).toBe('2025-11-23T01:08:43.450Z');
  });

  it('reads the thread group and real uid from status', () => {
    // Act
    const status = parseProcStatus('Name:\tsleep\nTgid:\t77\nPid:\t78\nUid:\t1000\t0\t0\t0\n');

    // Assess
    expect(status).toEqual({ tgid: 77, uid: 1000 });
  });
});
