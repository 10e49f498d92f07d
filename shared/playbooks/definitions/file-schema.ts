/**
 * The shape of a playbook as written (the PLAYBOOKS file, and the built-ins in the same form):
 * strict objects, so a misspelt field is refused rather than ignored. Only the shape is checked
 * here; check-playbook.ts then judges it against the catalogue. `phase` and `effect` are never
 * written: they come from the catalogue.
 */
import * as z from 'zod';
import { typeGlobProblem } from '#shared/findings/type-glob.ts';

const maxPlaybooks = 50;
const maxSteps = 30;
const maxPlaybookInputs = 30;
const maxConditions = 10;
/** `firstOf` and `anyOf` alternatives: a handful says everything a fallback needs. */
const maxAlternatives = 4;
/** A literal list (or a list taken from a step's result) longer than any catalogue list input. */
export const maxListEntries = 128;
/** Longer than any catalogue text input (paths are at most 4096). */
export const maxTextLength = 4096;
/** CloudTrail keeps 90 days; a default window further back could never be valid. */
const maxSecondsAgo = 90 * 24 * 60 * 60;

const kebabCase = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Catalogue input names and playbook options: `host.id`, `fromTimestamp`, `kubernetes.pod.name`. */
const inputName = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$/;
/** One segment of a result path; keys that reach an object's prototype are never a result's. */
const resultSegment = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const forbiddenSegments = new Set(['__proto__', 'prototype', 'constructor']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kebab(what: string, example: string) {
  const error = `must be a kebab-case ${what} of at most 64 characters (lower-case letters and digits joined by single hyphens), e.g. ${example}`;
  return z.string({ error }).max(64, { error }).regex(kebabCase, { error });
}

const playbookName = kebab('name', 'container-compromise');
const stepId = kebab('step id', 'acquire-file');

const inputNameText = z
  .string({ error: 'must be an input name such as host.id or aws.resource.arn' })
  .max(128, { error: 'must be at most 128 characters' })
  .regex(inputName, { error: 'must be an input name: dot-separated words of letters, digits and _, e.g. host.id' });

const resultPath = z
  .string({ error: 'must be a dotted path into the step\'s result, e.g. persistentVolumeClaims' })
  .max(256, { error: 'must be at most 256 characters' })
  .refine((path) => path.split('.').length <= 8 && path.split('.').every((segment) => resultSegment.test(segment) && !forbiddenSegments.has(segment)), {
    error: 'must be up to 8 dot-separated keys of letters, digits, _ and - (no __proto__, prototype or constructor)',
  });

const scalarError = `must be a string (at most ${maxTextLength} characters), a finite number or a boolean`;
const scalar = z.union([z.string().max(maxTextLength), z.number().refine(Number.isFinite), z.boolean()], { error: scalarError });
/** Literal values as the catalogue's inputs take them: a scalar or a list of scalars. Never objects or null. */
const literalValue = z.union([scalar, z.array(scalar).min(1).max(maxListEntries)], {
  error: `must be a string, number or boolean, or a list of 1 to ${maxListEntries} of them (objects and null are not input values)`,
});

/**
 * One object of several forms told apart by which key it has (`{ input }`, `{ step }`, ...). zod's
 * own union would report every branch's complaint; this reports the chosen form's only.
 */
function keyed<T>(forms: readonly (readonly [string, z.ZodType<T>])[], message: string): z.ZodType<T> {
  return z.unknown().transform((value, context): T => {
    const form = isRecord(value) ? forms.find(([key]) => Object.hasOwn(value, key)) : undefined;
    if (form === undefined) {
      context.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    const parsed = form[1].safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) context.addIssue({ code: 'custom', path: [...issue.path, key], message: `is not a field of the ${form[0]} form (unknown fields are refused)` });
      } else {
        context.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
      }
    }
    return z.NEVER;
  });
}

const inputSourceForm = z.strictObject({
  input: inputNameText,
  part: z.enum(['arn.account', 'arn.region'], { error: 'must be arn.account or arn.region' }).optional(),
});
const stepSourceForm = z.strictObject({ step: stepId, result: resultPath });
const valueSourceForm = z.strictObject({ value: literalValue });

const singleSourceText = '{ input }, { input, part }, { step, result } or { value }';
const singleSource = keyed<SourceAsWritten>(
  [
    ['input', inputSourceForm],
    ['step', stepSourceForm],
    ['value', valueSourceForm],
  ],
  `must be one of ${singleSourceText}`,
);

export type SourceAsWritten = z.infer<typeof inputSourceForm> | z.infer<typeof stepSourceForm> | z.infer<typeof valueSourceForm>;
export type InputSourceAsWritten = SourceAsWritten | { readonly firstOf: readonly SourceAsWritten[] };

const firstOfForm = z.strictObject({
  firstOf: z
    .array(singleSource, { error: `must be a list of sources, each ${singleSourceText}` })
    .min(2, { error: 'must list at least two sources (one source needs no firstOf)' })
    .max(maxAlternatives, { error: `must list at most ${maxAlternatives} sources` }),
});

const inputSource = keyed<InputSourceAsWritten>(
  [
    ['input', inputSourceForm],
    ['step', stepSourceForm],
    ['value', valueSourceForm],
    ['firstOf', firstOfForm],
  ],
  `must be one of ${singleSourceText} or { firstOf: [sources] }`,
);

const equalsForm = z.strictObject({
  equals: z.strictObject({ input: inputNameText, value: scalar }, { error: 'must be { input, value }' }),
});
const matchesForm = z.strictObject({
  matches: z.strictObject(
    {
      input: inputNameText,
      glob: z.string({ error: 'must be a glob (* matches any run of characters)' }).superRefine((glob, context) => {
        const problem = typeGlobProblem(glob);
        if (problem !== null) context.addIssue({ code: 'custom', message: problem });
      }),
    },
    { error: 'must be { input, glob }' },
  ),
});
const resultPresentForm = z.strictObject({
  resultPresent: z.strictObject({ step: stepId, result: resultPath }, { error: 'must be { step, result }' }),
});

export type SingleConditionAsWritten =
  | { readonly present: string }
  | { readonly absent: string }
  | z.infer<typeof equalsForm>
  | z.infer<typeof matchesForm>
  | z.infer<typeof resultPresentForm>;
export type ConditionAsWritten = SingleConditionAsWritten | { readonly anyOf: readonly SingleConditionAsWritten[] };

const singleConditionForms: (readonly [string, z.ZodType<SingleConditionAsWritten>])[] = [
  ['present', z.strictObject({ present: inputNameText })],
  ['absent', z.strictObject({ absent: inputNameText })],
  ['equals', equalsForm],
  ['matches', matchesForm],
  ['resultPresent', resultPresentForm],
];
const singleConditionText = '{ present }, { absent }, { equals }, { matches } or { resultPresent }';
const singleCondition = keyed(singleConditionForms, `must be one of ${singleConditionText}`);

export const condition = keyed<ConditionAsWritten>(
  [
    ...singleConditionForms,
    [
      'anyOf',
      z.strictObject({
        anyOf: z
          .array(singleCondition, { error: `must be a list of conditions, each ${singleConditionText}` })
          .min(2, { error: 'must list at least two conditions (one condition needs no anyOf)' })
          .max(maxAlternatives, { error: `must list at most ${maxAlternatives} conditions` }),
      }),
    ],
  ],
  `must be one of ${singleConditionText} or { anyOf: [conditions] }`,
);

const inputDefault = keyed<{ readonly value: z.infer<typeof literalValue> } | { readonly secondsAgo: number }>(
  [
    ['value', z.strictObject({ value: literalValue })],
    [
      'secondsAgo',
      z.strictObject({
        secondsAgo: z
          .int({ error: `must be a whole number of seconds from 0 to ${maxSecondsAgo}` })
          .min(0, { error: `must be a whole number of seconds from 0 to ${maxSecondsAgo}` })
          .max(maxSecondsAgo, { error: `must be a whole number of seconds from 0 to ${maxSecondsAgo}` }),
      }),
    ],
  ],
  'must be { value } (a literal) or { secondsAgo } (an RFC 3339 time that many seconds before the run is created)',
);

const playbookInput = z.strictObject(
  {
    name: inputNameText,
    required: z.boolean({ error: 'must be true or false' }).default(false),
    description: z.string({ error: 'must be a sentence' }).max(1000, { error: 'must be at most 1000 characters' }).optional(),
    default: inputDefault.optional(),
  },
  { error: 'must be an input: { name, required?, description?, default? }' },
);

/**
 * Input names to sources, parsed by hand rather than by zod's record: that drops a `__proto__` key
 * without a word (and sets the output's prototype), so such a key would vanish rather than be refused.
 */
const stepInputs = z.unknown().transform((value, context): Record<string, InputSourceAsWritten> => {
  if (value === undefined) return {};
  if (!isRecord(value)) {
    context.addIssue({ code: 'custom', message: "must be an object of the type's input names to sources" });
    return z.NEVER;
  }
  const entries: [string, InputSourceAsWritten][] = [];
  for (const key of Object.keys(value)) {
    const parsed = inputSource.safeParse(value[key]);
    if (!inputName.test(key) || key.length > 128) {
      context.addIssue({ code: 'custom', path: [key.slice(0, 64)], message: 'is not an input name: dot-separated words of letters, digits and _, e.g. host.id' });
    } else if (parsed.success) {
      entries.push([key, parsed.data]);
    } else {
      for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', path: [key, ...issue.path], message: issue.message });
    }
  }
  // fromEntries defines own properties: no key reaches the prototype.
  return Object.fromEntries(entries);
});

const step = z.strictObject(
  {
    id: stepId,
    type: z.string({ error: 'must be an action type id such as get-logs' }).max(64, { error: 'must be at most 64 characters' }),
    inputs: stepInputs,
    when: z.array(condition, { error: 'must be a list of conditions' }).max(maxConditions, { error: `must list at most ${maxConditions} conditions` }).default([]),
    continueOnError: z.boolean({ error: 'must be true or false' }).default(false),
  },
  { error: 'must be a step: { id, type, inputs, when?, continueOnError? }' },
);

export const playbookAsWritten = z.strictObject(
  {
    name: playbookName,
    title: z.string({ error: 'is required: a short title' }).min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }),
    description: z
      .string({ error: 'is required: what the playbook is for' })
      .min(1, { error: 'must not be empty' })
      .max(2000, { error: 'must be at most 2000 characters' }),
    inputs: z.array(playbookInput, { error: 'must be a list of inputs' }).max(maxPlaybookInputs, { error: `must list at most ${maxPlaybookInputs} inputs` }),
    steps: z
      .array(step, { error: 'must be a list of steps' })
      .min(1, { error: 'must list at least one step' })
      .max(maxSteps, { error: `must list at most ${maxSteps} steps` }),
  },
  { error: 'must be a playbook: { name, title, description, inputs, steps }' },
);

export type ParsedPlaybook = z.output<typeof playbookAsWritten>;
type Literal = z.infer<typeof literalValue>;

/** A playbook as written, with the optional fields optional (the built-ins are written this way). */
export interface PlaybookAsWritten {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputs: readonly {
    readonly name: string;
    readonly required?: boolean;
    readonly description?: string;
    readonly default?: { readonly value: Literal } | { readonly secondsAgo: number };
  }[];
  readonly steps: readonly {
    readonly id: string;
    readonly type: string;
    readonly inputs?: Readonly<Record<string, InputSourceAsWritten>>;
    readonly when?: readonly ConditionAsWritten[];
    readonly continueOnError?: boolean;
  }[];
}

/** The file's shell; each playbook is parsed on its own, so one bad playbook does not hide another's errors. */
export const playbookFile = z.strictObject(
  {
    playbooks: z
      .array(z.unknown(), { error: 'must be a list of playbooks' })
      .max(maxPlaybooks, { error: `must hold at most ${maxPlaybooks} playbooks` }),
  },
  { error: 'the file must hold one object: { "playbooks": [ ... ] }' },
);
