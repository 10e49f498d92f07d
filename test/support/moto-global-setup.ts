import type { TestProject } from 'vitest/node';
import { startMotoServer } from '#local/moto-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/** One moto_server for the whole integration run; its endpoint reaches tests through inject('motoEndpoint'). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMotoServer();
  project.provide('motoEndpoint', moto.endpoint);
  return () => moto.stop();
}
