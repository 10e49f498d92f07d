/**
 * What scale-workload and restore-workload-scale report for a DaemonSet, exactly as
 * responders/kubernetes/actions/scale-daemonset.ts builds it: the pod template's node selector
 * (null: none) where the other kinds report a replica count. Each part carries `nodeSelector`,
 * which the replica forms never do, so that key says which form a part must meet.
 */
import * as z from 'zod';
import type { ActionInputs, FieldError } from '#shared/catalogue/types.ts';
import type { ReportParts } from './types.ts';

const count = z.number().int().min(0).max(2_147_483_647);
/** `spec.template.spec.nodeSelector`: label keys and values, as bounded as a label selector's matchLabels. */
const nodeSelector = z
  .record(z.string().max(317).regex(/^[\w./-]+$/, 'must be a label key'), z.string().max(63).regex(/^[\w.-]*$/, 'must be a label value'))
  .refine((labels) => Object.keys(labels).length <= 64, 'must have at most 64 labels')
  .meta({ maxProperties: 64 })
  .nullable();
const workload = z.strictObject({ type: z.literal('daemonset'), name: z.string().max(253), namespace: z.string().max(63) });

export const daemonSetScale = {
  prior: z.strictObject({ nodeSelector, currentNumberScheduled: count.nullable() }),
  applied: z.strictObject({ nodeSelector: z.strictObject({ from: nodeSelector, to: nodeSelector }) }),
  scaleResult: z.strictObject({ workload, nodeSelector, previousNodeSelector: nodeSelector, changed: z.boolean() }),
  restoreResult: z.strictObject({
    workload,
    nodeSelector,
    previousNodeSelector: nodeSelector,
    drift: z.strictObject({ expected: nodeSelector, actual: nodeSelector }).nullable(),
    changed: z.boolean(),
  }),
};

function hasSelector(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'nodeSelector');
}

/**
 * The DaemonSet form of a part when it carries `nodeSelector`, else the replica form: parsed by
 * the one form that applies, so each error names its field (a union would only say "invalid").
 */
export function orDaemonSetForm(replicaForm: z.ZodType, daemonSetForm: z.ZodType) {
  return z
    .unknown()
    .transform((value, context) => {
      const parsed = (hasSelector(value) ? daemonSetForm : replicaForm).safeParse(value);
      if (parsed.success) return parsed.data;
      // A pipe goes on past an unknown key, so each is said as fieldErrorsOf says it, and the union is never tried.
      for (const issue of parsed.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) context.addIssue({ code: 'custom', path: [...issue.path, key], message: 'is not a field of this request' });
        } else {
          context.addIssue({ ...issue, path: [...issue.path] });
        }
      }
      return z.NEVER;
    })
    .pipe(z.union([replicaForm, daemonSetForm]));
}

type Selector = Readonly<Record<string, string>> | null;

/** Two node selectors with the same keys and values (null and none alike). */
export function sameSelector(first: Selector, second: Selector): boolean {
  const a = first ?? {};
  const b = second ?? {};
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value);
}

interface SelectorParts {
  readonly prior?: { readonly nodeSelector: Selector };
  readonly applied?: { readonly nodeSelector: { readonly from: Selector; readonly to: Selector } };
  readonly result?: { readonly nodeSelector: Selector; readonly previousNodeSelector: Selector };
}

/**
 * A DaemonSet's report uses the node-selector form in every part (and another kind's never does),
 * and its selectors agree with each other: what it changed from and what it found are the prior,
 * and the selector it reports is the one it applied.
 */
export function daemonSetFormAgrees(inputs: ActionInputs, parts: ReportParts): FieldError[] {
  const isDaemonSet = inputs['kubernetes.workload.type'] === 'daemonset';
  const errors: FieldError[] = [];
  for (const part of ['prior', 'applied', 'result'] as const) {
    const value = parts[part];
    if (value !== undefined && hasSelector(value) !== isDaemonSet) {
      errors.push({ path: part, message: isDaemonSet ? 'must report the node selector of the daemonset the action was given' : 'must report the replica count of the workload the action was given' });
    }
  }
  if (!isDaemonSet || errors.length > 0) return errors;
  const { prior, applied, result } = parts as SelectorParts;
  const differs = (path: string, value: Selector | undefined, expected: Selector | undefined, what: string) => {
    if (value !== undefined && expected !== undefined && !sameSelector(value, expected)) errors.push({ path, message: `must be ${what}` });
  };
  differs('applied.nodeSelector.from', applied?.nodeSelector.from, prior?.nodeSelector, 'prior.nodeSelector');
  differs('result.previousNodeSelector', result?.previousNodeSelector, prior?.nodeSelector, 'prior.nodeSelector');
  differs('result.nodeSelector', result?.nodeSelector, applied?.nodeSelector.to, 'applied.nodeSelector.to');
  return errors;
}
