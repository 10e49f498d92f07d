/**
 * The local console site (`local/console/console-site.ts`) alone on a real HTTP server on loopback,
 * over a build directory a test wrote: for the tests of what it serves, without the whole service.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConsoleSite, type ConsoleSiteOptions } from '#local/console/console-site.ts';

export interface ServedConsoleSite {
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  readonly close: () => Promise<void>;
}

/** Serves the build in `options.dir` with `options.auth` until `close`. */
export async function serveConsoleSite(options: ConsoleSiteOptions): Promise<ServedConsoleSite> {
  const site = createConsoleSite(options);
  const server = createServer((request, response) => void site.serve(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      }),
  };
}
