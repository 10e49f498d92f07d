/**
 * Which processes capture-process-state lists for one container: the runtime's placement, never
 * a cgroup a process inside a container made beneath its own and named after another container.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponderActionContext } from '#shared/responders/protocol.ts';
import { captureProcessState } from '../../../responders/host/capture-process-state.ts';
import type { HostEnvironment } from '../../../responders/host/environment.ts';
import { placedContainerIds, placedInContainer } from '../../../responders/host/proc-container.ts';

const attacker = 'a'.repeat(64);
const victim = 'b'.repeat(64);

describe('placedInContainer', () => {
  it.each([
    ['a Docker systemd scope', `0::/system.slice/docker-${victim}.scope\n`, victim, []],
    ['a Docker cgroupfs path, by short id', `0::/docker/${victim}\n`, victim.slice(0, 12), []],
    ['a CRI pod path', `0::/kubepods/burstable/pod0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/${victim}\n`, victim, []],
    ['a containerd namespace path', '0::/default/web\n', 'web', ['default']],
    ['a nested cgroup the container made inside its own, for its own id', `0::/system.slice/docker-${attacker}.scope/docker-${victim}.scope\n`, attacker, []],
  ])('places a process in %s', (_name, cgroup, id, namespaces) => {
    // Assess
    expect(placedInContainer(cgroup, id, namespaces)).toBe(true);
  });

  it.each([
    ['a Docker scope nested in another container’s', `0::/system.slice/docker-${attacker}.scope/docker-${victim}.scope\n`, victim, []],
    ['a cgroupfs path nested in another container’s', `0::/docker/${attacker}/docker/${victim}\n`, victim, []],
    ['a cgroup v1 line nested in another container’s', `12:pids:/docker/${attacker}\n0::/docker/${attacker}/cri-containerd-${victim}.scope\n`, victim, []],
    ['a containerd namespace path nested in another container’s', '0::/default/box/default/web\n', 'web', ['default']],
  ])('does not place a process in %s', (_name, cgroup, id, namespaces) => {
    // Assess
    expect(placedInContainer(cgroup, id, namespaces)).toBe(false);
  });
});

describe('capture-process-state of a container', () => {
  let root: string;
  const fixture = (name: string): Promise<Buffer> => readFile(new URL(`../../fixtures/procfs/${name}`, import.meta.url));

  async function plantProcess(pid: number, cgroup: string): Promise<void> {
    const dir = join(root, String(pid));
    await mkdir(join(dir, 'ns'), { recursive: true });
    await writeFile(join(dir, 'stat'), (await fixture('sh-stat')).toString('latin1').replace(/^\d+ /, `${String(pid)} `));
    await writeFile(join(dir, 'status'), await fixture('sh-status'));
    await writeFile(join(dir, 'cmdline'), await fixture('sh-cmdline'));
    await writeFile(join(dir, 'cgroup'), cgroup);
    await symlink('/usr/bin/dash', join(dir, 'exe'));
    await symlink('/srv', join(dir, 'cwd'));
    await symlink('net:[4026531833]', join(dir, 'ns', 'net'));
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'fake-proc-'));
    await writeFile(join(root, 'stat'), 'cpu  1 2 3\nbtime 1764921909\n');
    await plantProcess(10, `0::/system.slice/docker-${attacker}.scope\n`);
    // The attacker's container made a cgroup beneath its own, named after the victim, and moved a process in.
    await plantProcess(20, `0::/system.slice/docker-${attacker}.scope/docker-${victim}.scope\n`);
    await plantProcess(30, `0::/system.slice/docker-${victim}.scope\n`);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** capture-process-state over the planted tree, the victim container running as pid 30; the listed processes. */
  async function capture(inputs: Record<string, string>) {
    const container = { runtime: 'docker', id: victim, name: 'victim', namespace: null, status: 'running', running: true, paused: false, pid: 30, image: null, startedAt: null, restartPolicy: null };
    const env = {
      procRoot: root,
      clock: { now: () => new Date('2026-12-05T12:00:00Z') },
      containerdNamespaces: [],
      runtimes: { locate: () => Promise.resolve({ container }) },
    } as unknown as HostEnvironment;
    const uploads = new Map<string, Buffer>();
    const context = {
      work: { inputs, target: { name: 'h1' } },
      signal: new AbortController().signal,
      uploadEvidence: (name: string, _type: string, body: Uint8Array) => {
        uploads.set(name, Buffer.from(body));
        return Promise.resolve({ name, sha256: createHash('sha256').update(body).digest('hex'), size: body.length });
      },
      recordProgress: () => Promise.resolve(),
    } as unknown as ResponderActionContext;
    const outcome = await captureProcessState(env).execute(context);
    const body = [...uploads].find(([name]) => name.endsWith('.json') && name.includes('processes'))?.[1];
    return { outcome, processes: (JSON.parse(body?.toString('utf8') ?? '{}') as { processes: { pid: number; containerIds: string[] }[] }).processes };
  }

  it("lists only the victim's own process, not the one the attacker's container nested under the victim's name", async () => {
    // Act
    const { outcome, processes } = await capture({ 'host.id': 'h1', 'container.id': victim });

    // Assess
    expect(processes.map((entry) => entry.pid)).toEqual([30]);
    expect(outcome.result).toMatchObject({ processes: { count: 1, listed: 1 } });
  });

  it('names only the container the runtime placed a process in, in a capture of the whole host', async () => {
    // Act
    const { processes } = await capture({ 'host.id': 'h1' });

    // Assess
    expect(processes.map((entry) => [entry.pid, entry.containerIds])).toEqual([
      [10, [attacker]],
      [20, [attacker]],
      [30, [victim]],
    ]);
    expect(placedContainerIds(`0::/docker/${attacker}/docker/${victim}\n`)).toEqual([attacker]);
  });
});
