import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localSecret } from '#local/data-dir.ts';
import { evidenceRoute } from '#local/evidence/evidence-route.ts';
import { FileEvidenceStore } from '#local/evidence/file-evidence-store.ts';
import { EvidenceUrlSigner } from '#local/evidence/signed-urls.ts';
import { createLocalApiServer, listen } from '#local/http-server.ts';
import { systemClock, type Clock } from '#shared/clock.ts';

export interface EvidenceBackend {
  /** The local evidence store on `dataDir`, its URLs served by a local HTTP server. */
  readonly store: FileEvidenceStore;
  /** The HTTP server's `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly dataDir: string;
  /** Another store on the same files and URL secret, on `clock`. */
  reopen(clock: Clock): Promise<FileEvidenceStore>;
  /** Stops the HTTP server (the data dir stays). */
  stop(): Promise<void>;
}

/** A fresh DATA_DIR under the OS temp dir; remove it with `removeDataDir`. */
export async function freshDataDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'evidence-'));
}

export async function removeDataDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
}

/** The local evidence store on `dataDir` and the HTTP server for its URLs, wired as the local service wires them (no API routes). */
export async function startEvidenceBackend(dataDir: string, options: { clock?: Clock } = {}): Promise<EvidenceBackend> {
  const clock = options.clock ?? systemClock;
  const listening: { url?: string } = {};
  const urls = new EvidenceUrlSigner(await localSecret(dataDir, 'evidence-signing-key'), () => listening.url ?? '');
  const store = await FileEvidenceStore.open({ root: path.join(dataDir, 'evidence'), clock, urls });
  const server = createLocalApiServer([], () => Promise.reject(new Error('no API routes here')), [evidenceRoute(store, urls, clock)]);
  listening.url = await listen(server, 0);
  return {
    store,
    url: listening.url,
    dataDir,
    reopen: (other) => FileEvidenceStore.open({ root: path.join(dataDir, 'evidence'), clock: other, urls }),
    stop: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** SHA-256 by WebCrypto, independent of the node:crypto hashing the store uses. */
export async function independentSha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', Uint8Array.from(bytes));
  return Buffer.from(digest).toString('hex');
}

/** Every byte value, then some text: catches any encoding or truncation on the way. */
export function binaryEvidence(label: string): Uint8Array {
  return Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, index) => index)), Buffer.from(`\n${label}\n`)]);
}
