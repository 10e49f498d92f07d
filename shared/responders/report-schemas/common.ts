/**
 * Bounded building blocks of the per-type report schemas: every string, number and list a
 * responder reports has a limit, and every object is strict (an unknown field is refused), so a
 * stolen responder token cannot smuggle a field, a huge value or a wrong type into a record.
 */
import { posix } from 'node:path';
import * as z from 'zod';

/** A line of text a person reads (a reason, a note, a status word). */
export const text = z.string().max(2000);
/** An identifier or name (container id, Kubernetes object name, uid, runtime status...). */
export const name = z.string().max(253);
export const nullableName = name.nullable();
/** Longer references: an image with its registry, tag and digest; an annotation value. */
export const reference = z.string().max(1024);
/** Notes and drift lines of a result. */
export const notes = z.array(text).max(64);
export const isoTime = z.string().max(64);
/** A count: pods, replicas, links, bytes... */
export const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const sha256 = z.string().length(64).regex(/^[0-9a-f]{64}$/);
/** A decimal string (inode, device, nanoseconds) too large for a JSON number. */
export const decimal = z.string().max(40).regex(/^\d{1,40}$/);

/** Permission bits, setuid/setgid/sticky included (st_mode & 07777): a plain number, never text. */
export const mode = z.number().int().min(0).max(0o7777);
/** A uid or gid: -1 means "leave unchanged" to chown, so it is refused like anything out of range. */
export const ownerId = z.number().int().min(0).max(0xfffffffe);
export const pid = z.number().int().min(1).max(0x3fffff);

/** A path as a responder reports it: text of at most PATH_MAX bytes, never a NUL. */
export const pathText = z
  .string()
  .max(4096)
  .refine((value) => !value.includes('\0'), 'must not contain a NUL character');

/** An absolute, normalized path with no `..` segment: one whose meaning cannot be redirected. */
export const absolutePath = pathText.refine(
  (value) => value.startsWith('/') && posix.normalize(value) === value && !value.split('/').includes('..'),
  'must be an absolute, normalized path with no .. segment',
);

/**
 * Where a quarantined file sits: an entry inside a quarantine directory, so an absolute,
 * normalized path below the root that names a file, not a directory (no trailing slash).
 */
export const quarantinePath = absolutePath.refine(
  (value) => value !== '/' && !value.endsWith('/') && value.split('/').length >= 3,
  'must name a file inside the responder quarantine directory',
);

/** Evidence an action uploaded: the object's name, hash and size. */
export const evidence = z.strictObject({ name, sha256, size: count });

/** A failure inside a result (one container's logs, one snapshot): a stable code and a sentence. */
export const failure = z.strictObject({ code: z.string().max(64).regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/), message: z.string().max(8000) });

/** A schema for a part the type never reports: any value is refused. */
export const none = z.never();

/**
 * The most items a report lists of anything that grows with the cluster or the host (the pods a
 * workload has, the policies selecting them): the rest are only counted, so a workload that adds
 * pods to its own namespace cannot push its isolation report past the report route's body limit.
 */
export const maxReportedItems = 100;

/** A list as reported: at most maxReportedItems items, how many there were, and whether some were left out. */
// A type alias, not an interface, so a JsonObject can hold it.
export type BoundedList<T> = {
  items: T[];
  count: number;
  truncated: boolean;
};

export function boundedList<T>(items: readonly T[]): BoundedList<T> {
  return { items: items.slice(0, maxReportedItems), count: items.length, truncated: items.length > maxReportedItems };
}

/** The schema of a boundedList of `element`: the count covers the items, and truncated says exactly whether more exist. */
export function boundedListOf<T extends z.ZodType>(element: T) {
  return z
    .strictObject({ items: z.array(element).max(maxReportedItems), count, truncated: z.boolean() })
    .refine((list) => list.count >= list.items.length && list.truncated === list.count > list.items.length, {
      message: 'count must cover the items listed, and truncated be true exactly when more exist',
    });
}
