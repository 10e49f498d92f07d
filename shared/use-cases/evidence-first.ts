/**
 * People are warned, not stopped (issue 13): a destructive action with no evidence gathered on
 * its resource in the hour before is accepted as ever, and its record carries a `NoEvidenceFirst`
 * warning naming the evidence types that would have preserved what it destroys.
 */
import { findActionType, type Category, type ResourceRef } from '#shared/catalogue/index.ts';
import { evidenceTypesBefore } from '#shared/catalogue/evidence-first.ts';
import type { ActionRecord, ActionWarning } from '#shared/history/record.ts';
import type { HistoryQuery, HistoryReader } from '#shared/history/reader.ts';
import { logger as defaultLogger, type Logger } from '#shared/log.ts';

/** The action about to be created. */
export interface EvidenceFirstAction {
  readonly type: string;
  readonly resources: readonly ResourceRef[];
  readonly now: Date;
}

export interface EvidenceFirstOptions {
  /** Records read at most per lookup, over all its queries (newest first); 500 when absent. */
  readonly maxRecords?: number;
  readonly logger?: Logger;
}

/** Evidence counts when it was created this long before the destructive action, or less. */
const evidenceWindowMs = 60 * 60 * 1000;
const pageSize = 100;
/**
 * What a controller appends to its workload's name to name a pod (Kubernetes' generated suffixes
 * use the consonants and digits of `rand.String`): a Deployment's `<pod-template-hash>-<5>`, a
 * ReplicaSet's or DaemonSet's `<5>`, a StatefulSet's ordinal. Shape, not just prefix: a pod of
 * `web-api` (`web-api-7d4b9c-x2x9z`) is not a pod of `web`.
 */
const generated = '[bcdfghjklmnpqrstvwxz2456789]';
const podSuffixes: Readonly<Record<string, RegExp>> = {
  deployment: new RegExp(`^${generated}{1,10}-${generated}{5}$`),
  replicaset: new RegExp(`^${generated}{5}$`),
  daemonset: new RegExp(`^${generated}{5}$`),
  statefulset: /^(?:0|[1-9]\d{0,9})$/,
};
/** A generated pod name this long may have had its workload's part cut to fit: only its prefix can be checked. */
const maxGeneratedName = 63;

type Verdict = 'found' | 'none' | 'unknown';

/**
 * The warnings to record on the action: one `NoEvidenceFirst` when its type destroys something
 * evidence would have kept and no such evidence is Completed on a related resource in the hour
 * before; none otherwise.
 *
 * A warning goes into the audit record as a fact ("no evidence was gathered first"), so it is
 * recorded only when the lookup proved it. A lookup that fails (DynamoDB error) or reads its
 * whole budget without an answer records none and logs why: failing the create would stop a
 * containment over an advisory check, and a warning that may be false teaches people to click
 * through the console's confirmation.
 */
export async function noEvidenceWarnings(
  history: Pick<HistoryReader, 'list'>,
  action: EvidenceFirstAction,
  options: EvidenceFirstOptions = {},
): Promise<ActionWarning[]> {
  const evidenceTypes = evidenceTypesBefore(action.type);
  if (evidenceTypes.length === 0) return [];
  const log = options.logger ?? defaultLogger;
  const keys = action.resources.map((resource) => resource.key);
  let verdict: Verdict;
  try {
    verdict = await searchEvidence(history, action, evidenceTypes, { remaining: options.maxRecords ?? 500 });
  } catch (error) {
    log.error('evidence-first lookup failed: the action is accepted without a NoEvidenceFirst warning', { type: action.type, resources: keys, error });
    return [];
  }
  if (verdict === 'unknown') {
    log.warn('evidence-first lookup read its whole budget without an answer: no NoEvidenceFirst warning recorded', { type: action.type, resources: keys });
  }
  if (verdict !== 'none') return [];
  return [
    {
      code: 'NoEvidenceFirst',
      message:
        `No evidence was gathered on ${keys.join(', ')} in the hour before this ${action.type}: ` +
        `${orList(evidenceTypes)} would have preserved what it destroys. The action was accepted.`,
      evidenceTypes: [...evidenceTypes],
    },
  ];
}

/**
 * Whether `evidenceKey` is about what an action on `actionKey` acts on: the same key, a key
 * beneath it, a host key above it on the same host, or a pod of the workload it names.
 */
export function relatedResource(actionKey: string, evidenceKey: string): boolean {
  if (evidenceKey === actionKey || evidenceKey.startsWith(`${actionKey}/`)) return true;
  if (evidenceKey.startsWith('host/') && actionKey.startsWith(`${evidenceKey}/`)) return true;
  const workload = /^k8s\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(actionKey);
  const suffix = workload === null || !Object.hasOwn(podSuffixes, workload[3] ?? '') ? undefined : podSuffixes[workload[3] ?? ''];
  if (workload === null || suffix === undefined) return false;
  const [, cluster, namespace, , name] = workload;
  const pods = `k8s/${cluster ?? ''}/${namespace ?? ''}/pod/`;
  // Controllers name their pods `<workload>-<suffix>` (web-7d4b9c-x2x9z, db-0).
  if (!evidenceKey.startsWith(`${pods}${name ?? ''}-`)) return false;
  const pod = evidenceKey.slice(pods.length);
  return suffix.test(pod.slice((name ?? '').length + 1)) || pod.length >= maxGeneratedName;
}

/**
 * Exact keys first (the resource and the host keys above it, through the by-resource index),
 * which fleet-wide volume cannot push out of the budget; then each evidence type's hour through
 * the by-type index, for keys beneath it and a workload's pods, whose names are not known.
 */
async function searchEvidence(
  history: Pick<HistoryReader, 'list'>,
  action: EvidenceFirstAction,
  evidenceTypes: readonly string[],
  budget: { remaining: number },
): Promise<Verdict> {
  const window = { from: new Date(action.now.getTime() - evidenceWindowMs).toISOString(), to: action.now.toISOString() };
  const known = evidenceTypes.flatMap((type) => {
    const definition = findActionType(type);
    return definition === undefined ? [] : [{ type, category: definition.category }];
  });
  const categories = [...new Set(known.map((entry) => entry.category))];
  const isEvidence = (record: ActionRecord): boolean =>
    record.status === 'Completed' &&
    evidenceTypes.includes(record.type) &&
    record.resources.some((evidence) => action.resources.some((resource) => relatedResource(resource.key, evidence.key)));

  const searches: { query: Omit<HistoryQuery, 'limit' | 'cursor'>; categories: readonly Category[] }[] = [
    ...[...new Set(action.resources.flatMap((resource) => [resource.key, ...hostKeysAbove(resource.key)]))].map((key) => ({
      query: { resource: key, ...window },
      categories,
    })),
    ...known.map(({ type, category }) => ({ query: { type, ...window }, categories: [category] })),
  ];
  let verdict: Verdict = 'none';
  for (const search of searches) {
    const found = await anyPage(history, search.query, search.categories, budget, isEvidence);
    if (found === 'found') return 'found';
    if (found === 'unknown') verdict = 'unknown';
  }
  return verdict;
}

/** Pages of one query, newest first, until a record is evidence, the window ends or the budget does. */
async function anyPage(
  history: Pick<HistoryReader, 'list'>,
  query: Omit<HistoryQuery, 'limit' | 'cursor'>,
  categories: readonly Category[],
  budget: { remaining: number },
  isEvidence: (record: ActionRecord) => boolean,
): Promise<Verdict> {
  let cursor: string | undefined;
  do {
    if (budget.remaining <= 0) return 'unknown';
    const limit = Math.min(pageSize, budget.remaining);
    const page = await history.list({ ...query, limit, ...(cursor === undefined ? {} : { cursor }) }, categories);
    // These queries filter nothing the index does not: a page reads the records it returns, and
    // an empty page with more to come (links whose record is gone) is not worth chasing.
    budget.remaining -= page.items.length;
    if (page.items.some(isEvidence)) return 'found';
    if (page.items.length === 0 && page.nextCursor !== null) return 'unknown';
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return 'none';
}

/** `host/<h>` above `host/<h>/container/<c>...`, and the container above a file in it. */
function hostKeysAbove(key: string): string[] {
  const host = /^(host\/[^/]+)(\/container\/[^/]+)?\/./.exec(key);
  if (host === null) return [];
  const hostKey = host[1] ?? '';
  return host[2] === undefined ? [hostKey] : [hostKey, `${hostKey}${host[2]}`];
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1) ?? ''}`;
}
