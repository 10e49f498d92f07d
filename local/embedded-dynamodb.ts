import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface EmbeddedDynamoDb {
  /** `http://127.0.0.1:<port>`, to pass as an explicit endpoint. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * DynamoDB's API served in-process by dynalite on a free loopback port: in memory, or
 * persisted in LevelDB under `path` so a restart loses nothing.
 */
export async function startEmbeddedDynamoDb(options: { path?: string; port?: number } = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // dynalite calls back with null on success
        server.close((error?: Error | null) => {
          if (error instanceof Error) reject(error);
          else resolve();
        });
      }),
  };
}
