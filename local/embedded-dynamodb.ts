import { once } from 'node:events';
import type { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { unixSocketAgent } from './data-dir.ts';

/**
 * Connections the service keeps to its embedded store at most, below the socket's listen backlog.
 * Not much fewer: a call waiting in the agent for a socket waits a turn of the event loop per
 * call ahead of it on that socket, and under load (64 sockets) POSTs took half again as long.
 */
export const storeSockets = 512;
const storeBacklog = 1024;

export interface EmbeddedDynamoDb {
  /**
   * The endpoint to pass to the SDK: `http://127.0.0.1:<port>` on TCP; on a unix socket only a
   * placeholder, since `httpAgent` makes every connection.
   */
  readonly endpoint: string;
  /** On a unix socket: the agent that connects to it, for `requestHandler: { httpAgent }`. */
  readonly httpAgent?: Agent;
  close(): Promise<void>;
}

/**
 * DynamoDB's API served in-process by dynalite: in memory, or persisted in LevelDB under `path`
 * so a restart loses nothing. dynalite checks no credentials, so the service's store listens on
 * `socketPath` (a unix socket in a 0700 directory: only this user can connect); a free loopback
 * TCP port is for tests' throwaway in-memory tables only.
 */
export async function startEmbeddedDynamoDb(options: { path?: string; port?: number; socketPath?: string } = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  if (options.socketPath === undefined) server.listen(options.port ?? 0, '127.0.0.1');
  else server.listen({ path: options.socketPath, backlog: storeBacklog });
  await once(server, 'listening');
  const httpAgent = options.socketPath === undefined ? undefined : unixSocketAgent(options.socketPath);
  // A unix socket refuses a connection at once (EAGAIN) when more wait than its listen backlog
  // holds; an agent without a bound opened one per call in flight, and at 1,000 concurrent
  // actions calls failed. Fewer sockets than the backlog, and calls beyond them wait in the agent.
  if (httpAgent !== undefined) httpAgent.maxSockets = storeSockets;
  const endpoint = httpAgent === undefined ? `http://127.0.0.1:${(server.address() as AddressInfo).port}` : 'http://dynamodb.local-socket';
  return {
    endpoint,
    ...(httpAgent === undefined ? {} : { httpAgent }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        httpAgent?.destroy();
        // dynalite calls back with null on success
        server.close((error?: Error | null) => {
          if (error instanceof Error) reject(error);
          else resolve();
        });
      }),
  };
}
