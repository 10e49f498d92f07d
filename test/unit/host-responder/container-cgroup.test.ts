import { describe, expect, it } from 'vitest';
import { cgroupNamesContainer, containerIdsInCgroup } from '../../../responders/host/container-cgroup.ts';

const id = '3f4e1c9a0b7d2e6f5a8c9b0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f';
const namespaces = ['k8s.io', 'default'];

describe('which container a process is in, from /proc/<pid>/cgroup', () => {
  it.each([
    ['Docker, cgroup v1 (cgroupfs)', `12:memory:/docker/${id}\n11:pids:/docker/${id}\n0::/\n`],
    ['Docker, cgroup v2 (systemd)', `0::/system.slice/docker-${id}.scope\n`],
    ['Docker, a sub-cgroup inside the container', `0::/system.slice/docker-${id}.scope/init.scope\n`],
    ['containerd via CRI (cgroupfs)', `0::/kubepods/burstable/pod0d6a3c47-6a3a-4bb6-a6a5-5f1a2b3c4d5e/${id}\n`],
    ['containerd via CRI (systemd)', `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0d6a3c47.slice/cri-containerd-${id}.scope\n`],
    ['CRI-O', `0::/kubepods.slice/kubepods-pod1.slice/crio-${id}.scope\n`],
    ['Podman', `0::/machine.slice/libpod-${id}.scope/container\n`],
  ])('finds the container in the %s form', (_form, cgroup) => {
    // Act, Assess
    expect(containerIdsInCgroup(cgroup)).toEqual([id]);
    expect(cgroupNamesContainer(cgroup, id, namespaces)).toBe(true);
    expect(cgroupNamesContainer(cgroup, id.slice(0, 12), namespaces)).toBe(true);
  });

  it('takes no prefix shorter than 12 characters, and no other container', () => {
    // Prepare
    const cgroup = `0::/system.slice/docker-${id}.scope\n`;

    // Act, Assess
    expect(cgroupNamesContainer(cgroup, id.slice(0, 11), namespaces)).toBe(false);
    expect(cgroupNamesContainer(cgroup, `${'0'.repeat(63)}1`, namespaces)).toBe(false);
  });

  it("does not count Podman's conmon, which runs beside the container", () => {
    // Act, Assess
    expect(containerIdsInCgroup(`0::/machine.slice/libpod-conmon-${id}.scope\n`)).toEqual([]);
  });

  it('matches a freely named containerd container only in the <namespace>/<id> form', () => {
    // Act, Assess
    expect(cgroupNamesContainer('0::/default/web-1\n', 'web-1', namespaces)).toBe(true);
    expect(cgroupNamesContainer('0::/user.slice/web-1\n', 'web-1', namespaces)).toBe(false);
    expect(cgroupNamesContainer('0::/user.slice/user-0.slice/session-1.scope\n', 'user.slice', namespaces)).toBe(false);
  });

  it('names no container for a host process', () => {
    // Act, Assess
    expect(containerIdsInCgroup('0::/user.slice/user-1000.slice/session-2.scope\n')).toEqual([]);
  });
});
