/**
 * One link of the tamper-evident trail: what happened (kind), to what (subject, refs), by whom
 * (actor: a token's subject or a rule, never a token), the SHA-256 of the record as the service
 * wrote it, and `prev`, the SHA-256 of the previous entry's stored bytes. An entry is stored as
 * its canonical JSON, so its hash is the hash of exactly what was written.
 */
// zod/mini: the same checks, tree-shakable. Every function that bundles a writer (history, approvals,
// decisions) checks its events here, and zod's full API would nearly double the bundle of the many
// that parse no body (ListActions 545 KiB, 897 KiB with it).
import * as z from 'zod/mini';
import { canonicalJson, sha256Hex } from './canonical.ts';

export const trailKinds = [
  'action.created',
  'action.status',
  'action.progress',
  'action.undo-linked',
  'action.undo-released',
  'approval.requested',
  'approval.decided',
  'approval.reopened',
  'approval.expired',
  'approval.linked',
  'automation.decision',
  'evidence.stored',
  'evidence.url-issued',
  'evidence.downloaded',
] as const;
export type TrailKind = (typeof trailKinds)[number];

/** What a trail entry is about: a record of the history table, or an evidence object (by key). */
export const subjectTypes = ['action', 'approval', 'decision', 'evidence'] as const;
export type SubjectType = (typeof subjectTypes)[number];

/** The `prev` of the first entry. */
export const genesisPrev = '0'.repeat(64);

const sha256Pattern = /^[0-9a-f]{64}$/;
const scalar = z.union([z.string().check(z.maxLength(2000)), z.number(), z.boolean(), z.null()]);
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

const eventShape = {
  kind: z.enum(trailKinds),
  subject: z.strictObject({ type: z.enum(subjectTypes), id: text(1, 1100) }),
  refs: z.optional(z.record(text(0, 64), z.union([scalar, z.array(text(0, 1100)).check(z.maxLength(1000))]))),
  actor: text(1, 512),
  digest: z.nullable(z.string().check(z.regex(sha256Pattern))),
  detail: z.optional(z.record(text(0, 64), scalar)),
};
const eventSchema = z.strictObject(eventShape);

/** What a writer hands the trail: the entry without its place in the chain. */
export type TrailEvent = z.infer<typeof eventSchema>;

const entrySchema = z.strictObject({
  ...eventShape,
  seq: z.number().check(z.int(), z.nonnegative()),
  at: z.iso.datetime(),
  prev: z.string().check(z.regex(sha256Pattern)),
});

export type TrailEntry = z.infer<typeof entrySchema>;

/** The entry's stored form: canonical JSON, one line. */
export function serializeEntry(entry: TrailEntry): string {
  return canonicalJson(entry);
}

/** The hash the next entry's `prev` must hold: SHA-256 of the stored bytes. */
export function entryHash(stored: string): string {
  return sha256Hex(stored);
}

/** The entries `events` become after `head` (null: the trail is empty), chained in order. */
export function chainEntries(
  head: { readonly seq: number; readonly hash: string } | null,
  events: readonly TrailEvent[],
  at: string,
): { entries: { entry: TrailEntry; stored: string }[]; head: { seq: number; hash: string } } {
  let seq = head === null ? 0 : head.seq + 1;
  let prev = head?.hash ?? genesisPrev;
  const entries = events.map((event) => {
    const entry: TrailEntry = { ...event, seq, at, prev };
    const stored = serializeEntry(entry);
    prev = entryHash(stored);
    seq += 1;
    return { entry, stored };
  });
  return { entries, head: { seq: seq - 1, hash: prev } };
}

export type ParsedEntry = { ok: true; entry: TrailEntry } | { ok: false; reason: string };

/** Reads one stored entry; refuses one that is not a trail entry or not in canonical form (altered by hand). */
export function parseEntry(stored: string): ParsedEntry {
  let json: unknown;
  try {
    json = JSON.parse(stored);
  } catch {
    return { ok: false, reason: 'is not JSON' };
  }
  const parsed = entrySchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `is not a trail entry (${firstProblem(parsed.error)})` };
  if (canonicalJson(parsed.data) !== stored) return { ok: false, reason: 'is not in the canonical form the service writes (edited by hand)' };
  return { ok: true, entry: parsed.data };
}

/** Checks an event before it is chained: a malformed one is a bug of its writer, refused loudly (TypeError naming the part). */
export function checkEvent(event: TrailEvent): TrailEvent {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) throw new TypeError(`not a trail event: ${firstProblem(parsed.error)}`);
  return parsed.data;
}

/** `path: what`, for the first issue (zod/mini carries no messages of its own, so they are said here). */
function firstProblem(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'entry: invalid';
  const path = issue.path.map(String).join('.') || 'entry';
  const said: Record<string, string | undefined> = {
    unrecognized_keys: issue.code === 'unrecognized_keys' ? `unrecognized key ${issue.keys.map((key) => JSON.stringify(key.slice(0, 64))).join(', ')}` : undefined,
    too_big: 'is too long or too large',
    too_small: 'is too short or too small',
    invalid_value: 'is not one of the values allowed',
    invalid_format: 'is not in the format required',
    invalid_type: `expected ${issue.code === 'invalid_type' ? issue.expected : 'another type'}`,
  };
  return `${path}: ${said[issue.code] ?? 'is invalid'}`;
}
