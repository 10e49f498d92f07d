import type { TestProject } from 'vitest/node';
import { startRealRuntimes } from './container-runtimes.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    containerdSocket: string;
    dockerSocket: string;
  }
}

/**
 * One containerd and one dockerd (on that containerd) for the whole integration run, on sockets
 * in a temporary directory; tests reach them through inject(). A missing runtime package fails
 * the run with a sentence naming it, never skips.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runtimes = await startRealRuntimes();
  project.provide('containerdSocket', runtimes.containerdSocket);
  project.provide('dockerSocket', runtimes.dockerSocket);
  return () => runtimes.stop();
}
