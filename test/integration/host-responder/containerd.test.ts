/**
 * Faults a real containerd cannot be made to produce (the container actions themselves run
 * against a real containerd in containerd-real.test.ts): a daemon that accepts the call but never
 * answers, and an answer whose fields do not have the types containerd's API reference gives
 * them. The h2c test server's answers are bytes written out here by hand, not encoded with the
 * responder's protobuf types.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerdRuntime } from '../../../responders/host/containers/containerd.ts';
import { startContainerdTestServer } from './support/containerd-test-server.ts';
import type { ContainerdTestServer } from './support/containerd-test-server.ts';
import { temporaryDirectory } from './support/files.ts';

let work: { path: string; remove: () => Promise<void> };
let containerd: ContainerdTestServer;
const id = randomBytes(32).toString('hex');

beforeEach(async () => {
  work = await temporaryDirectory('containerd-faults');
});

afterEach(async () => {
  await containerd.close();
  await work.remove();
});

describe('containerd faults', () => {
  it('fails with ContainerRuntimeError when an answer puts a number where the reference has a message', async () => {
    // Prepare: GetContainerResponse with field 1 (Container) sent as varint 7: tag (1 << 3) | 0, value 7
    containerd = await startContainerdTestServer(work.path, () => ({ message: Buffer.from([0x08, 0x07]) }));
    const runtime = new ContainerdRuntime({ socketPath: containerd.socketPath, namespaces: ['default'] });

    // Act
    const attempt = runtime.find({ id }, new AbortController().signal);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ContainerRuntimeError', message: expect.stringContaining('Containers/Get in namespace default') as unknown });
    expect(containerd.calls.map((call) => call.path)).toEqual(['/containerd.services.containers.v1.Containers/Get']);
  });

  it('fails with ContainerRuntimeError, not a hang, when containerd does not answer in time', async () => {
    // Prepare: a server that takes the call and never answers
    containerd = await startContainerdTestServer(work.path, () => ({ silent: true }));
    const runtime = new ContainerdRuntime({ socketPath: containerd.socketPath, namespaces: ['default'], requestTimeoutMs: 300 });

    // Act
    const attempt = runtime.find({ id }, new AbortController().signal);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ContainerRuntimeError', message: `containerd on ${containerd.socketPath} did not answer Containers/Get in namespace default within 300 ms` });
  });
});
