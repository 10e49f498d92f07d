/**
 * What `npm run verify-trail` checks, wherever the trail, table and evidence are kept:
 * - the chain: entry n has seq n and holds the SHA-256 of entry n-1's stored bytes; the first
 *   link that does not hold is named (an entry altered, removed or inserted);
 * - every table record the trail covers (actions, approvals, automation decisions) against its
 *   last trail entry: a record whose current digest is not that entry's was changed outside the
 *   service (or its append failed, which the service logged); one with entries but gone from the
 *   table was deleted outside it;
 * - every evidence object: its bytes against the SHA-256 recorded with it, and that SHA-256
 *   against the one the trail recorded when it was stored, where the trail has one.
 */
import { entryHash, parseEntry } from './entry.ts';
import { recordDigest, subjectKey, subjectOfItem } from './record-digest.ts';

export interface StoredEntry {
  /** Where the entry was found: its line (local) or key (S3), for the message. */
  readonly where: string;
  readonly stored: string;
}

export interface EvidenceFinding {
  readonly key: string;
  /** The SHA-256 recorded with the object (its metadata). */
  readonly recordedSha256: string;
  /** The SHA-256 of its bytes now; null when the bytes are missing. */
  readonly actualSha256: string | null;
}

export interface TrailSources {
  /** Every stored entry, in seq order as the store keeps them. */
  entries(): AsyncIterable<StoredEntry>;
  /** Every item of the history table. */
  items(): AsyncIterable<Readonly<Record<string, unknown>>>;
  /** Every evidence object, hashed. */
  evidence(): AsyncIterable<EvidenceFinding>;
}

export interface Problem {
  readonly what: string;
  readonly why: string;
}

export interface TrailReport {
  readonly entries: number;
  readonly records: number;
  readonly evidenceObjects: number;
  /** The first link of the chain that does not hold, or null. */
  readonly firstBrokenLink: Problem | null;
  readonly changedRecords: readonly Problem[];
  readonly damagedEvidence: readonly Problem[];
}

export const isIntact = (report: TrailReport): boolean =>
  report.firstBrokenLink === null && report.changedRecords.length === 0 && report.damagedEvidence.length === 0;

export async function verifyTrail(sources: TrailSources): Promise<TrailReport> {
  let expectedSeq = 0;
  let prevHash: string | null = null;
  let firstBrokenLink: Problem | null = null;
  const lastOf = new Map<string, { seq: number; digest: string | null }>();
  const storedSha = new Map<string, { seq: number; digest: string | null }>();
  for await (const { where, stored } of sources.entries()) {
    const parsed = parseEntry(stored);
    if (!parsed.ok) {
      firstBrokenLink ??= { what: `entry ${String(expectedSeq)} (${where})`, why: parsed.reason };
    } else {
      const { entry } = parsed;
      if (firstBrokenLink === null && entry.seq !== expectedSeq) {
        firstBrokenLink = {
          what: `entry ${String(expectedSeq)} (${where})`,
          why:
            entry.seq > expectedSeq
              ? `holds seq ${String(entry.seq)}: entr${entry.seq - expectedSeq > 1 ? `ies ${String(expectedSeq)}-${String(entry.seq - 1)} are` : `y ${String(expectedSeq)} is`} missing`
              : `holds seq ${String(entry.seq)} again: an entry was inserted or copied`,
        };
      } else if (firstBrokenLink === null && entry.prev !== (prevHash ?? entry.prev)) {
        firstBrokenLink = {
          what: `entry ${String(entry.seq)} (${where})`,
          why: `its prev is not the SHA-256 of entry ${String(entry.seq - 1)}: entry ${String(entry.seq - 1)} was altered or replaced`,
        };
      } else if (firstBrokenLink === null && expectedSeq === 0 && entry.prev !== '0'.repeat(64)) {
        firstBrokenLink = { what: `entry 0 (${where})`, why: 'is not the first entry (its prev is not the genesis value): the trail was cut at its start' };
      }
      if (entry.subject.type === 'evidence') {
        if (entry.kind === 'evidence.stored') storedSha.set(entry.subject.id, { seq: entry.seq, digest: entry.digest });
      } else if (entry.digest !== null) {
        lastOf.set(subjectKey(entry.subject), { seq: entry.seq, digest: entry.digest });
      }
    }
    prevHash = entryHash(stored);
    expectedSeq += 1;
  }

  const records: Problem[] = [];
  const seen = new Set<string>();
  let recordCount = 0;
  for await (const item of sources.items()) {
    const subject = subjectOfItem(item);
    if (subject === null) continue;
    recordCount += 1;
    const key = subjectKey(subject);
    seen.add(key);
    const last = lastOf.get(key);
    const what = `${subject.type} ${subject.id}`;
    if (last === undefined) {
      records.push({ what, why: 'has no trail entry: written outside the service, or its trail append failed (the service logged that)' });
    } else if (last.digest !== recordDigest(item)) {
      records.push({ what, why: `differs from what the service last wrote (trail entry ${String(last.seq)}): changed outside the service` });
    }
  }
  for (const [key, last] of lastOf) {
    if (!seen.has(key)) records.push({ what: key.replace(':', ' '), why: `is in the trail (last entry ${String(last.seq)}) but not in the table: deleted outside the service` });
  }

  const evidence: Problem[] = [];
  let evidenceCount = 0;
  const evidenceSeen = new Set<string>();
  for await (const object of sources.evidence()) {
    evidenceCount += 1;
    evidenceSeen.add(object.key);
    const stored = storedSha.get(object.key);
    if (object.actualSha256 === null) {
      evidence.push({ what: `evidence ${object.key}`, why: 'its bytes are missing' });
    } else if (object.actualSha256 !== object.recordedSha256) {
      evidence.push({ what: `evidence ${object.key}`, why: `its bytes hash to ${object.actualSha256}, not the recorded ${object.recordedSha256}` });
    } else if (stored !== undefined && stored.digest !== object.recordedSha256) {
      evidence.push({ what: `evidence ${object.key}`, why: `its recorded SHA-256 is not the one the trail recorded when it was stored (entry ${String(stored.seq)}): replaced outside the service` });
    }
  }
  for (const [key, stored] of storedSha) {
    if (!evidenceSeen.has(key)) evidence.push({ what: `evidence ${key}`, why: `was stored (trail entry ${String(stored.seq)}) but is gone` });
  }
  return { entries: expectedSeq, records: recordCount, evidenceObjects: evidenceCount, firstBrokenLink, changedRecords: records, damagedEvidence: evidence };
}
