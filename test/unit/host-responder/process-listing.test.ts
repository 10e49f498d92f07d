/**
 * The listing over a procfs laid out in a temporary directory from files copied off this
 * machine's /proc (test/fixtures/procfs): what a real /proc cannot be made to do on demand — a
 * process gone between its cgroup and its stat, a stat line that is garbage, a process of
 * another container — must be counted, not fatal, and not listed.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCaptureLimits } from '../../../responders/host/capture-limits.ts';
import { cgroupNamesContainer } from '../../../responders/host/container-cgroup.ts';
import { listProcesses } from '../../../responders/host/proc-listing.ts';
import type { ListingOptions } from '../../../responders/host/proc-listing.ts';
import { listSockets } from '../../../responders/host/proc-sockets.ts';

const fixture = (name: string): Promise<Buffer> => readFile(new URL(`../../fixtures/procfs/${name}`, import.meta.url));
const containerId = 'c0ffee'.padEnd(64, '0');
let root: string;

/** A process directory like /proc/<pid>: the real sh's files, with its own pid, cgroup and socket fds. */
async function plantProcess(pid: number, cgroup: string, sockets: readonly string[]): Promise<void> {
  const dir = join(root, String(pid));
  await mkdir(join(dir, 'fd'), { recursive: true });
  await mkdir(join(dir, 'ns'));
  await mkdir(join(dir, 'net'));
  const stat = (await fixture('sh-stat')).toString('latin1').replace(/^\d+ /, `${String(pid)} `);
  await writeFile(join(dir, 'stat'), stat);
  await writeFile(join(dir, 'status'), await fixture('sh-status'));
  await writeFile(join(dir, 'cmdline'), await fixture('sh-cmdline'));
  await writeFile(join(dir, 'cgroup'), cgroup);
  await symlink('/usr/bin/dash', join(dir, 'exe'));
  await symlink('/srv', join(dir, 'cwd'));
  await symlink('net:[4026531833]', join(dir, 'ns', 'net'));
  for (const [index, inode] of sockets.entries()) await symlink(`socket:[${inode}]`, join(dir, 'fd', String(index + 3)));
  await symlink('pipe:[1]', join(dir, 'fd', '0'));
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) await writeFile(join(dir, 'net', table), await fixture(`net-${table}`));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fake-proc-'));
  await writeFile(join(root, 'stat'), 'cpu  1 2 3\nbtime 1764921909\nprocesses 77\n');
  await plantProcess(10, `0::/docker/${containerId}\n`, ['1560791', '1560792']);
  await plantProcess(13, '0::/\n', ['1560800']);
  // Gone between its cgroup and its stat.
  await mkdir(join(root, '11'));
  await writeFile(join(root, '11', 'cgroup'), '0::/\n');
  // A stat line no parser can read.
  await plantProcess(12, '0::/\n', []);
  await writeFile(join(root, '12', 'stat'), 'garbage');
  // Not processes: /proc's other entries.
  await mkdir(join(root, 'sys'));
  await mkdir(join(root, '0x10'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const options = (overrides: Partial<ListingOptions> = {}): ListingOptions => ({
  procRoot: root,
  bootTimeSeconds: 1764921909,
  clockTicksPerSecond: 100,
  users: new Map([[0, 'root']]),
  limits: defaultCaptureLimits,
  signal: new AbortController().signal,
  ...overrides,
});

describe('listProcesses over a procfs tree', () => {
  it('lists what it can read, counting the process that vanished and the one it could not read', async () => {
    // Act
    const listing = await listProcesses(options());

    // Assess
    expect(listing.processes.map((entry) => entry.pid)).toEqual([10, 13]);
    expect(listing).toMatchObject({ matched: 4, vanished: 1, unreadable: 1, truncated: false });
    expect(listing.processes[0]).toMatchObject({
      ppid: 12675,
      uid: 0,
      euid: 0,
      user: 'root',
      state: 'S',
      comm: 'sh',
      argv: ['sh', '-c', 'sleep 300; :', '\\xff\\xfe'],
      exe: '/usr/bin/dash',
      cwd: '/srv',
      containerIds: [containerId],
      netns: '4026531833',
      unreadable: [],
    });
    expect(listing.processes[0]?.startTime).toBe(new Date((1764921909 + 3005676 / 100) * 1000).toISOString());
  });

  it("keeps only a container's processes when asked", async () => {
    // Act
    const listing = await listProcesses(options({ accept: (cgroup) => cgroupNamesContainer(cgroup, containerId, []) }));

    // Assess
    expect(listing.processes.map((entry) => entry.pid)).toEqual([10]);
    expect(listing.matched).toBe(1);
  });

  it('lists no more than the limit and says it left some out', async () => {
    // Act
    const listing = await listProcesses(options({ limits: { ...defaultCaptureLimits, maxProcesses: 1 } }));

    // Assess
    expect(listing.processes.map((entry) => entry.pid)).toEqual([10]);
    expect(listing.truncated).toBe(true);
  });
});

describe('listSockets over a procfs tree', () => {
  it('reads each namespace once and names the pids whose fds hold each socket', async () => {
    // Prepare
    const { processes } = await listProcesses(options());

    // Act
    const listing = await listSockets(root, processes, defaultCaptureLimits, new AbortController().signal);

    // Assess
    expect(listing.namespaces).toBe(1);
    expect(listing.sockets.find((socket) => socket.inode === '1560791')).toMatchObject({ netid: 'tcp', state: 'LISTEN', localAddress: '127.0.0.1', pids: [10] });
    expect(listing.sockets.find((socket) => socket.inode === '1560792')).toMatchObject({ netid: 'tcp6', localAddress: '::1', pids: [10] });
    expect(listing.sockets.find((socket) => socket.inode === '1560800')).toMatchObject({ netid: 'udp', state: 'UNCONN', pids: [13] });
    expect(listing.sockets.filter((socket) => socket.state === 'TIME-WAIT').every((socket) => socket.pids.length === 0)).toBe(true);
    expect(listing.count).toBe(listing.sockets.length);
    expect(listing.ownerGaps).toEqual([]);
  });

  it('does not give a socket to a process whose pid went to another process after it was listed', async () => {
    // Prepare: pid 14 is listed, then its pid is reused (another start time) before its fds are read
    await plantProcess(14, '0::/\n', ['1560801']);
    const { processes } = await listProcesses(options());
    const stat = await readFile(join(root, '14', 'stat'), 'latin1');
    await writeFile(join(root, '14', 'stat'), stat.replace(' 3005676 ', ' 3009999 '));

    // Act
    const listing = await listSockets(root, processes, defaultCaptureLimits, new AbortController().signal);
    await rm(join(root, '14'), { recursive: true });

    // Assess
    expect(processes.map((entry) => entry.pid)).toContain(14);
    expect(listing.sockets.find((socket) => socket.inode === '1560801')).toMatchObject({ netid: 'udp6', pids: [] });
    expect(listing.sockets.find((socket) => socket.inode === '1560800')?.pids).toEqual([13]);
  });

  it('stops at the socket and fd-link limits and says why owners may be missing', async () => {
    // Prepare
    const { processes } = await listProcesses(options());

    // Act
    const listing = await listSockets(root, processes, { ...defaultCaptureLimits, maxSockets: 3, maxFdLinks: 2 }, new AbortController().signal);

    // Assess
    expect(listing.sockets).toHaveLength(3);
    expect(listing.count).toBeGreaterThan(3);
    expect(listing.truncated).toBe(true);
    expect(listing.ownerGaps).toEqual(['stopped after 2 fd links: sockets of the processes after that show no owner']);
  });
});
