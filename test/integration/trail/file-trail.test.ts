/**
 * The local trail file (local/evidence/file-trail.ts): a thousand appends at once make one dense,
 * intact chain; a restart chains on from the last entry; a torn last line (a write the process
 * died in) is cut off; the file and its directory are the service user's only.
 */
import { mkdtemp, readFile, rm, stat, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTrail, trailDirOf, trailFileName } from '#local/evidence/file-trail.ts';
import { systemClock } from '#shared/clock.ts';
import type { TrailEvent } from '#shared/trail/entry.ts';
import { isIntact, verifyTrail, type StoredEntry } from '#shared/trail/verify.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'file-trail-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const event = (index: number): TrailEvent => ({
  kind: 'evidence.url-issued',
  subject: { type: 'evidence', id: `actions/a${String(index)}/log.json` },
  actor: `analyst-${String(index)}`,
  digest: null,
});

const file = (): string => join(trailDirOf(dataDir), trailFileName);

async function verifyFile(): Promise<Awaited<ReturnType<typeof verifyTrail>>> {
  const lines = (await readFile(file(), 'utf8')).split('\n').filter((line) => line !== '');
  return verifyTrail({
    entries: async function* () {
      for (const [index, stored] of lines.entries()) yield await Promise.resolve<StoredEntry>({ where: `line ${String(index + 1)}`, stored });
    },
    items: async function* () {},
    evidence: async function* () {},
  });
}

describe('FileTrail', () => {
  it('chains a thousand concurrent appends into one dense chain, each resolved once on disk', async () => {
    // Prepare
    const trail = await FileTrail.open(dataDir, systemClock);

    // Act
    await Promise.all(Array.from({ length: 1000 }, (_, index) => trail.append([event(index)])));
    const lines = (await readFile(file(), 'utf8')).trim().split('\n');
    await trail.close();

    // Assess
    expect(lines).toHaveLength(1000);
    const report = await verifyFile();
    expect(report.firstBrokenLink).toBeNull();
    expect(report.entries).toBe(1000);
    expect(new Set(lines.map((line) => (JSON.parse(line) as { actor: string }).actor)).size).toBe(1000);
  });

  it('chains on from the last entry after a restart, and cuts off a line a crash left half written', async () => {
    // Prepare
    const before = await FileTrail.open(dataDir, systemClock);
    await before.append([event(1), event(2)]);
    await before.close();
    await appendFile(file(), '{"actor":"half-writ');

    // Act
    const after = await FileTrail.open(dataDir, systemClock);
    await after.append([event(3)]);
    await after.close();

    // Assess
    const report = await verifyFile();
    expect(isIntact(report)).toBe(true);
    expect(report.entries).toBe(3);
    expect(await readFile(file(), 'utf8')).not.toContain('half-writ');
  });

  it('keeps the file 0600 in a 0700 directory', async () => {
    // Act
    const trail = await FileTrail.open(dataDir, systemClock);
    await trail.append([event(1)]);
    await trail.close();

    // Assess
    expect((await stat(trailDirOf(dataDir))).mode & 0o777).toBe(0o700);
    expect((await stat(file())).mode & 0o777).toBe(0o600);
  });
});
