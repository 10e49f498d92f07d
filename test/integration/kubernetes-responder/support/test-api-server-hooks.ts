import { afterAll, afterEach, beforeAll } from 'vitest';
import { harness, type Harness } from './harness.ts';
import { TestApiServer } from './test-api-server.ts';

// Set by the hooks useTestApiServer registers; each test file gets its own (vitest isolates files).
export let server: TestApiServer;
export let h: Harness;

/** The calling file's Kubernetes API server and responder harness: started once, reset after each test, closed at the end. */
export function useTestApiServer(): void {
  beforeAll(async () => {
    server = await TestApiServer.start();
    h = harness(server);
  });
  afterEach(() => {
    server.reset();
  });
  afterAll(async () => {
    await server.close();
  });
}
