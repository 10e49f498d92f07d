/**
 * Label selectors: a workload's `spec.selector` as the query string of a pod list, evaluated
 * against labels (which NetworkPolicies select a workload's pods), and translated to Calico's
 * selector expressions. matchExpressions are translated, not refused: NetworkPolicy, AdminNetworkPolicy
 * and CiliumNetworkPolicy selectors are LabelSelectors themselves, and Calico has In/NotIn/has().
 */
import type { JsonObject } from '#shared/json.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { errorCodes } from './errors.ts';

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly SelectorRequirement[];
}

const operators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
type Operator = (typeof operators)[number];

function isOperator(value: string): value is Operator {
  return (operators as readonly string[]).includes(value);
}

/** Label keys and values are restricted by the API server; this guards what goes into quoted expressions. */
const safeToken = /^[A-Za-z0-9._/-]+$/;

/** A selector as plain data, the shape written into the objects the responder creates. */
export interface SelectorJson {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A plain-JSON copy with only the two selector fields, in a stable shape. */
export function copySelector(selector: LabelSelector): SelectorJson {
  const matchLabels = selector.matchLabels === undefined ? {} : { ...selector.matchLabels };
  const matchExpressions = (selector.matchExpressions ?? []).map((requirement) => ({
    key: requirement.key,
    operator: requirement.operator,
    ...(requirement.values === undefined ? {} : { values: [...requirement.values] }),
  }));
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

/**
 * Refuses a selector that cannot name exactly a workload's pods: absent or empty (it would
 * select every pod of the namespace), or with an operator this code does not know.
 */
export function checkWorkloadSelector(selector: LabelSelector | undefined, workload: string): SelectorJson {
  if (selector === undefined) {
    throw new ResponderActionError(errorCodes.unsupportedSelector, `${workload} has no spec.selector, so its pods cannot be selected`);
  }
  const copy = copySelector(selector);
  if (copy.matchLabels === undefined && copy.matchExpressions === undefined) {
    throw new ResponderActionError(
      errorCodes.unsupportedSelector,
      `${workload} has an empty spec.selector, which would select every pod of the namespace; refusing to isolate them all`,
    );
  }
  const tokens = [
    ...Object.entries(copy.matchLabels ?? {}).flat(),
    ...(copy.matchExpressions ?? []).flatMap((requirement) => [requirement.key, ...(requirement.values ?? [])]),
  ];
  const unknown = (copy.matchExpressions ?? []).find((requirement) => !isOperator(requirement.operator));
  if (unknown !== undefined) {
    throw new ResponderActionError(errorCodes.unsupportedSelector, `${workload}'s selector uses operator ${unknown.operator}, which is not one of ${operators.join(', ')}`);
  }
  const unsafe = tokens.find((token) => !safeToken.test(token));
  if (unsafe !== undefined) {
    throw new ResponderActionError(errorCodes.unsupportedSelector, `${workload}'s selector has the label key or value "${unsafe}", which is not a valid label`);
  }
  return copy;
}

/** The selector as a JSON object, for request bodies and results. */
export function selectorJson(selector: LabelSelector): JsonObject {
  const copy = copySelector(selector);
  const json: JsonObject = {};
  if (copy.matchLabels !== undefined) json['matchLabels'] = copy.matchLabels;
  if (copy.matchExpressions !== undefined) {
    json['matchExpressions'] = copy.matchExpressions.map((requirement) => ({
      key: requirement.key,
      operator: requirement.operator,
      ...(requirement.values === undefined ? {} : { values: requirement.values }),
    }));
  }
  return json;
}

/** The `labelSelector` query of a list call: `app=web,tier in (a,b),!legacy`. */
export function selectorQuery(selector: LabelSelector): string {
  const labels = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  const expressions = (selector.matchExpressions ?? []).map((requirement) => {
    const values = (requirement.values ?? []).join(',');
    switch (requirement.operator) {
      case 'In':
        return `${requirement.key} in (${values})`;
      case 'NotIn':
        return `${requirement.key} notin (${values})`;
      case 'Exists':
        return requirement.key;
      default:
        return `!${requirement.key}`;
    }
  });
  return [...labels, ...expressions].join(',');
}

/** Kubernetes selector semantics: every requirement holds; an empty selector selects everything. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const labelsHold = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    labelsHold &&
    (selector.matchExpressions ?? []).every((requirement) => {
      const value = Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined;
      const values = requirement.values ?? [];
      switch (requirement.operator) {
        case 'In':
          return value !== undefined && values.includes(value);
        case 'NotIn':
          return value === undefined || !values.includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
        default:
          // An operator the API server would have refused; select nothing rather than guess.
          return false;
      }
    })
  );
}

/** Calico's selector language: `app == 'web' && tier in { 'a', 'b' } && !has(legacy)`. */
export function calicoSelector(selector: LabelSelector): string {
  const quote = (value: string) => `'${value}'`;
  const set = (values: readonly string[] | undefined) => `{ ${(values ?? []).map(quote).join(', ')} }`;
  const labels = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key} == ${quote(value)}`);
  const expressions = (selector.matchExpressions ?? []).map((requirement) => {
    switch (requirement.operator) {
      case 'In':
        return `${requirement.key} in ${set(requirement.values)}`;
      case 'NotIn':
        return `${requirement.key} not in ${set(requirement.values)}`;
      case 'Exists':
        return `has(${requirement.key})`;
      default:
        return `!has(${requirement.key})`;
    }
  });
  return [...labels, ...expressions].join(' && ');
}
