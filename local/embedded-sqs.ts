/**
 * SQS for the local runtime: fauxqs served in-process, in memory (queues are made again by the
 * code that uses them). fauxqs takes any credentials, so it listens only on a unix socket in the
 * 0700 `DATA_DIR/sockets` directory: no other user of the machine can connect, and it has no TCP
 * port. (Evidence is not here: the local evidence store is files, local/evidence/.)
 */
import type { Agent } from 'node:http';
import { buildApp } from 'fauxqs';
import { unixSocketAgent } from './data-dir.ts';

export interface EmbeddedSqs {
  /** A placeholder endpoint for the SDK: `httpAgent` makes every connection, to the socket. */
  readonly endpoint: string;
  readonly httpAgent: Agent;
  readonly region: string;
  /** fauxqs checks none; SDK clients still need some to sign with. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  close(): Promise<void>;
}

export async function startEmbeddedSqs(options: { readonly socketPath: string; readonly region?: string }): Promise<EmbeddedSqs> {
  const region = options.region ?? 'us-east-1';
  const app = buildApp({ logger: false, defaultRegion: region });
  await app.listen({ path: options.socketPath });
  const httpAgent = unixSocketAgent(options.socketPath);
  return {
    endpoint: 'http://sqs.local-socket',
    httpAgent,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    close: async () => {
      httpAgent.destroy();
      await app.close();
    },
  };
}
