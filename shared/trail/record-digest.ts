/**
 * The digest of a history-table record as the service wrote it, and which trail subject a table
 * item is. The digest covers every attribute but the key and index attributes (`pk`, `sk`,
 * `createdSk`, `gsi*`), which are derived from the fields, so the same record read back from the
 * table gives the same digest as the item the writer put or got back from its update.
 */
import { canonicalJson, sha256Hex } from './canonical.ts';
import type { SubjectType } from './entry.ts';

const derived = (name: string): boolean => name === 'pk' || name === 'sk' || name === 'createdSk' || name.startsWith('gsi');

/** SHA-256 of the record's canonical JSON, without its key and index attributes. */
export function recordDigest(item: Readonly<Record<string, unknown>>): string {
  return sha256Hex(canonicalJson(Object.fromEntries(Object.entries(item).filter(([name]) => !derived(name)))));
}

/** The kinds of table record the trail covers, by their keys (shared/history/table-design.ts). */
const recordKeys: readonly { type: Exclude<SubjectType, 'evidence'>; prefix: string; sk: string }[] = [
  { type: 'action', prefix: 'A#', sk: 'A' },
  { type: 'approval', prefix: 'P#', sk: 'P' },
  { type: 'decision', prefix: 'DECISION#', sk: 'DECISION' },
];

/** The trail subject a table item is, or null for items the trail does not cover (links, claims, floors). */
export function subjectOfItem(item: Readonly<Record<string, unknown>>): { type: Exclude<SubjectType, 'evidence'>; id: string } | null {
  const { pk, sk } = item;
  if (typeof pk !== 'string' || typeof sk !== 'string') return null;
  const match = recordKeys.find((each) => each.sk === sk && pk.startsWith(each.prefix) && pk.length > each.prefix.length);
  return match === undefined ? null : { type: match.type, id: pk.slice(match.prefix.length) };
}

/** The map key of a subject. */
export const subjectKey = (subject: { readonly type: SubjectType; readonly id: string }): string => `${subject.type}:${subject.id}`;
