/**
 * The trail in AWS: one object per entry, `trail/<seq, 12 digits>.json`, in the evidence bucket
 * (so its Object Lock default retention covers every entry). Many functions append at once; the
 * chain stays one chain because each entry is written with `If-None-Match: *`: of two writers
 * that read the same head, S3 takes exactly one entry for the next seq and answers the other 412
 * (or 409 while the first write is in flight), and the loser reads the new head and chains on.
 *
 * The head is found without listing the whole prefix: a process remembers the last head it saw
 * and lists only what follows it (ListObjectsV2 StartAfter); a cold one finds it by doubling and
 * bisecting with HeadObject (seqs are dense: entry n is written only on top of entry n-1).
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { createEvidenceS3Client } from '#shared/adapters/s3-evidence-store.ts';
import { systemClock, type Clock } from '#shared/clock.ts';
import type { TrailAppender } from './trail-appender.ts';
import { chainEntries, entryHash, type TrailEvent } from './entry.ts';

export const trailPrefix = 'trail/';
const seqDigits = 12;

export const trailKeyOf = (seq: number): string => `${trailPrefix}${String(seq).padStart(seqDigits, '0')}.json`;

/** The seq of a trail key, or null for any other key. */
export function seqOfTrailKey(key: string): number | null {
  const match = /^trail\/(\d{12})\.json$/.exec(key);
  return match?.[1] === undefined ? null : Number(match[1]);
}

export interface S3TrailOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly clock?: Clock;
  /** Tries per entry when other writers keep taking the next seq. */
  readonly maxAttempts?: number;
}

type Head = { seq: number; hash: string } | null;

export class S3Trail implements TrailAppender {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #clock: Clock;
  readonly #maxAttempts: number;
  /** The last head this process saw (a lower bound of the real one), undefined before the first look. */
  #known: Head | undefined;
  /** Appends of this process, one after another: they chain on each other. */
  #tail: Promise<void> = Promise.resolve();

  constructor(options: S3TrailOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#clock = options.clock ?? systemClock;
    this.#maxAttempts = options.maxAttempts ?? 50;
  }

  static fromEnvironment(bucket: string): S3Trail {
    return new S3Trail({ client: createEvidenceS3Client(), bucket });
  }

  append(events: readonly TrailEvent[]): Promise<void> {
    const run = this.#tail.then(() => this.#appendAll(events));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #appendAll(events: readonly TrailEvent[]): Promise<void> {
    for (const event of events) await this.#appendOne(event);
  }

  async #appendOne(event: TrailEvent): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const head = await this.#head();
      const { entries, head: next } = chainEntries(head, [event], this.#clock.now().toISOString());
      const [first] = entries;
      if (first === undefined) return;
      try {
        await this.#client.send(
          new PutObjectCommand({
            Bucket: this.#bucket,
            Key: trailKeyOf(first.entry.seq),
            Body: first.stored,
            ContentType: 'application/json',
            // Object Lock buckets take only writes with an integrity checksum; S3 checks it too.
            ChecksumSHA256: createHash('sha256').update(first.stored).digest('base64'),
            IfNoneMatch: '*',
          }),
        );
        this.#known = next;
        return;
      } catch (error) {
        if (!isTaken(error) || attempt >= this.#maxAttempts) throw error;
        // Another writer took this seq: the next look (a listing after the head known) finds it;
        // a short random pause first, so that writers racing for the same seq spread out.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * Math.min(attempt, 10)));
      }
    }
  }

  /** The newest entry: after the one this process knows, by listing; the first time, by probing. */
  async #head(): Promise<Head> {
    let known = this.#known ?? (await this.#probe());
    let startAfter = known === null ? undefined : trailKeyOf(known.seq);
    let newest: number | null = null;
    for (;;) {
      const page = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: trailPrefix, ...(startAfter === undefined ? {} : { StartAfter: startAfter }) }),
      );
      for (const object of page.Contents ?? []) {
        const seq = seqOfTrailKey(object.Key ?? '');
        if (seq !== null && (newest === null || seq > newest)) newest = seq;
      }
      if (page.IsTruncated !== true || page.Contents === undefined || page.Contents.length === 0) break;
      startAfter = page.Contents.at(-1)?.Key;
    }
    if (newest !== null && (known === null || newest > known.seq)) known = await this.#entryAt(newest);
    this.#known = known;
    return known;
  }

  /** The last seq that exists, by HeadObject: doubling until one is missing, then bisecting. */
  async #probe(): Promise<Head> {
    if (!(await this.#exists(0))) return null;
    let present = 0;
    let missing = 1;
    while (await this.#exists(missing)) {
      present = missing;
      missing *= 2;
    }
    while (missing - present > 1) {
      const middle = Math.floor((present + missing) / 2);
      if (await this.#exists(middle)) present = middle;
      else missing = middle;
    }
    return this.#entryAt(present);
  }

  async #exists(seq: number): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: trailKeyOf(seq) }));
      return true;
    } catch (error) {
      // 403 is what S3 answers for a missing key where ListBucket does not reach it: taken as
      // missing, the probe can only come out low, and the listing after it finds the real head.
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
      if (status === 404 || status === 403) return false;
      throw error;
    }
  }

  /** An entry's seq and the hash the next one chains on (of its stored bytes, as they are). */
  async #entryAt(seq: number): Promise<{ seq: number; hash: string }> {
    const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: trailKeyOf(seq) }));
    const stored = (await object.Body?.transformToString('utf8')) ?? '';
    return { seq, hash: entryHash(stored) };
  }
}

/** 412: the seq is taken; 409 ConditionalRequestConflict: another write of it is in flight. */
function isTaken(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  const status = error.$metadata.httpStatusCode;
  return status === 412 || (status === 409 && error.name === 'ConditionalRequestConflict');
}
