import type { ActionType, Trigger } from '../../api/types.ts';
import { actionStatuses } from '../../api/types.ts';

/** The history's filters as the URL holds them (API.md's `GET /v1/actions` parameters), so a view can be shared. */
export interface HistoryFilters {
  readonly resource?: string;
  readonly type?: string;
  readonly status?: string;
  readonly createdBy?: string;
  readonly from?: string;
  readonly to?: string;
}

export const filterNames = ['resource', 'type', 'status', 'createdBy', 'from', 'to'] as const;
export type FilterName = (typeof filterNames)[number];

/** The filters in a query string; an empty parameter is no filter. */
export function filtersFrom(params: URLSearchParams): HistoryFilters {
  const filters: Partial<Record<FilterName, string>> = {};
  for (const name of filterNames) {
    const value = params.get(name);
    if (value !== null && value !== '') filters[name] = value;
  }
  return filters;
}

/** The query string for `filters` (unset ones left out), in a stable order. */
export function searchFor(filters: HistoryFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of filterNames) {
    const value = filters[name];
    if (value !== undefined && value !== '') params.set(name, value);
  }
  return params;
}

// The service's own rule (RFC 3339 with a zone, on a real calendar day): checked here so a bad
// range never becomes a 400 (which the browser would log as an error).
const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** True for an RFC 3339 time with a zone that names a real instant. */
export function isRfc3339(value: string): boolean {
  const match = rfc3339.exec(value);
  if (match === null) return false;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] = match.slice(1).map((part: string | undefined) => Number(part ?? '0'));
  const leapYear = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leapYear ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return false;
  return offsetHour <= 23 && offsetMinute <= 59 && !Number.isNaN(Date.parse(value));
}

/** An instant as the API writes it: RFC 3339 in UTC, to the second. */
export function toRfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface FilterProblem {
  readonly path: FilterName;
  readonly message: string;
}

/**
 * What is wrong with filters taken from a URL (someone may have typed or trimmed it), as the
 * service would say it, so no request that it would refuse is made. `types` is the catalogue, or
 * undefined while it loads (then a type is not judged yet).
 */
export function filterProblems(filters: HistoryFilters, types: readonly ActionType[] | undefined): FilterProblem[] {
  const problems: FilterProblem[] = [];
  if (filters.type !== undefined && types !== undefined && !types.some((type) => type.type === filters.type)) {
    problems.push({ path: 'type', message: `"${filters.type}" is not an action type` });
  }
  if (filters.status !== undefined && !(actionStatuses as readonly string[]).includes(filters.status)) {
    problems.push({ path: 'status', message: `must be one of ${actionStatuses.join(', ')}` });
  }
  if (filters.resource !== undefined && filters.resource.length > 2048) problems.push({ path: 'resource', message: 'must be at most 2048 characters' });
  if (filters.createdBy !== undefined && filters.createdBy.length > 256) problems.push({ path: 'createdBy', message: 'must be at most 256 characters' });
  for (const name of ['from', 'to'] as const) {
    const value = filters[name];
    if (value !== undefined && !isRfc3339(value)) problems.push({ path: name, message: 'must be an RFC 3339 time such as 2026-11-20T10:00:00Z' });
  }
  if (filters.from !== undefined && filters.to !== undefined && isRfc3339(filters.from) && isRfc3339(filters.to) && Date.parse(filters.from) > Date.parse(filters.to)) {
    problems.push({ path: 'from', message: 'must not be after to' });
  }
  return problems;
}

/** Who or what started an action, in words: a person directly, a rule (and who approved), or a person's request that was approved. */
export function triggerText(trigger: Trigger | null): string {
  if (trigger === null) return 'Person';
  if (trigger.source === 'person') return trigger.approvedBy === null ? 'Person' : `Approval by ${trigger.approvedBy}`;
  const rule = `Rule ${trigger.ruleId ?? '(unknown)'} (${trigger.source})`;
  return trigger.approvedBy === null ? rule : `${rule}, approved by ${trigger.approvedBy}`;
}
