/**
 * The rules file (`AUTOMATION_RULES`, API.md "Findings in"): `{ "rules": [Rule] }`, checked field by
 * field at start-up so a typo never becomes a rule that silently acts on the wrong thing. Every
 * error names the rule (index and id) and the field: `rules[2] (quarantine-iam-user).match.types[0]: ...`.
 */
import * as z from 'zod';
import { isAccountId, isRegion } from '#shared/catalogue/arn.ts';
import { actionTypes, findActionType, inputNamesOf, isUndoType } from '#shared/catalogue/catalogue.ts';
import { quote } from '#shared/catalogue/validate.ts';
import { findingSources, resourceRoles, severities } from '#shared/findings/types.ts';
import { typeGlobProblem } from '#shared/findings/type-glob.ts';
import { ruleModes } from './types.ts';
import type { Rule } from './types.ts';

export const defaultDedupSeconds = 3600;
export const defaultMaxActionsPerHour = 20;
/** A week: longer windows would let one early delivery silence a finding that keeps recurring. */
export const maxDedupSeconds = 604_800;
export const maxRules = 200;

const kebabCase = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const startableTypes = actionTypes.filter((definition) => !isUndoType(definition.type)).map((definition) => definition.type);

function oneOf(values: readonly string[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

const typeGlob = z.string({ error: 'must be a string: a glob over the finding type' }).superRefine((pattern, context) => {
  const problem = typeGlobProblem(pattern);
  if (problem !== null) context.addIssue({ code: 'custom', message: problem });
});

const match = z.strictObject(
  {
    source: z.enum(findingSources, { error: `must be one of ${oneOf(findingSources)}` }),
    types: z
      .array(typeGlob, { error: 'must be a list of globs over the finding type (GuardDuty type, control id, Falco rule name)' })
      .min(1, 'must list at least one glob (use ["*"] to match every type)')
      .max(50, 'must list at most 50 globs'),
    minSeverity: z.enum(severities, { error: `must be one of ${oneOf(severities)}` }).optional(),
    resourceRole: z.enum(resourceRoles, { error: `must be one of ${oneOf(resourceRoles)}` }).optional(),
    accounts: z
      .array(z.string().refine(isAccountId, 'must be a 12-digit account id'), { error: 'must be a list of 12-digit account ids' })
      .min(1, 'must list at least one account id, or be left out to match every account')
      .optional(),
    regions: z
      .array(z.string().refine(isRegion, 'must be a region code such as eu-west-1'), { error: 'must be a list of region codes' })
      .min(1, 'must list at least one region, or be left out to match every region')
      .optional(),
  },
  { error: 'must be an object: { source, types, minSeverity?, resourceRole?, accounts?, regions? }' },
);

const inputValue = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, a number or a boolean' });

/** The rule's `run` before the catalogue is consulted; `runErrors` does that with the playbooks known now. */
const run = z.strictObject({
  action: z.string({ error: 'must be an action type id such as isolate-ec2-instance' }).optional(),
  playbook: z.string({ error: 'must be a playbook name' }).optional(),
  inputs: z.record(z.string(), inputValue, { error: 'must be an object of input names to values' }).optional(),
});

const rule = z.strictObject({
  id: z
    .string({ error: 'is required: a kebab-case id such as quarantine-iam-user' })
    .max(64, 'must be at most 64 characters')
    .regex(kebabCase, 'must be kebab-case: lower-case letters and digits joined by single hyphens'),
  description: z.string({ error: 'is required: a sentence saying what the rule does' }).min(1, 'must not be empty').max(1000, 'must be at most 1000 characters'),
  mode: z.enum(ruleModes, { error: `must be one of ${oneOf(ruleModes)}` }),
  match,
  run,
  dedupSeconds: z
    .int(`must be a whole number of seconds from 0 to ${maxDedupSeconds}`)
    .min(0, `must be a whole number of seconds from 0 to ${maxDedupSeconds}`)
    .max(maxDedupSeconds, `must be a whole number of seconds from 0 to ${maxDedupSeconds}`)
    .default(defaultDedupSeconds),
  maxActionsPerHour: z
    .int('must be a whole number from 1 to 1000')
    .min(1, 'must be a whole number from 1 to 1000')
    .max(1000, 'must be a whole number from 1 to 1000')
    .default(defaultMaxActionsPerHour),
}, { error: 'must be a rule: an object with id, description, mode, match and run' });

/** The file's shell; each rule is then parsed on its own, so one bad rule does not hide another's errors. */
const ruleFile = z.object(
  { rules: z.array(z.unknown(), { error: 'must be a list of rules' }).max(maxRules, `must hold at most ${maxRules} rules`) },
  { error: 'the file must hold one object: { "rules": [ ... ] }' },
);

type ParsedRule = z.infer<typeof rule>;

/** A playbook a rule may run: its name, or its definition, whose input names then hold the rule's `run.inputs`. */
export type KnownPlaybook = string | { readonly name: string; readonly inputs: readonly { readonly name: string }[] };

export interface RuleFileOptions {
  /** The playbooks in force (built-in and PLAYBOOKS'); a rule naming another is refused. */
  readonly knownPlaybooks: readonly KnownPlaybook[];
}

export type RuleFileResult = { readonly ok: true; readonly rules: readonly Rule[] } | { readonly ok: false; readonly errors: readonly string[] };

/** `rules[2] (quarantine-iam-user).match.types[0]`: the rule by index and, when it has a string one, its id. */
function pathText(path: readonly PropertyKey[], raw: unknown): string {
  const [first, index, ...rest] = path;
  if (first !== 'rules') return path.length === 0 ? '(file)' : path.map(String).join('.');
  if (typeof index !== 'number') return 'rules';
  const entry: unknown = isRecord(raw) && Array.isArray(raw['rules']) ? (raw['rules'] as unknown[])[index] : undefined;
  const id = isRecord(entry) && typeof entry['id'] === 'string' && entry['id'] !== '' ? ` (${entry['id'].slice(0, 64)})` : '';
  const tail = rest.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('');
  return `rules[${index}]${id}${tail}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function issueText(issue: z.core.$ZodIssue, raw: unknown): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${pathText([...issue.path, key], raw)}: is not a field here (unknown fields are refused: check its spelling)`);
  }
  return [`${pathText(issue.path, raw)}: ${issue.message}`];
}

/** Checks `run` against the catalogue and the known playbooks; messages are relative to the rule. */
function runErrors(parsedRun: z.infer<typeof run>, options: RuleFileOptions): { path: (string | number)[]; message: string }[] {
  const { action, playbook, inputs } = parsedRun;
  if (action === undefined && playbook === undefined) {
    return [{ path: ['run'], message: 'must name exactly one of action (an action type) or playbook' }];
  }
  if (action !== undefined && playbook !== undefined) {
    return [{ path: ['run'], message: 'must name exactly one of action or playbook, not both' }];
  }
  if (playbook !== undefined) return playbookErrors(playbook, inputs, options);
  const definition = action === undefined ? undefined : findActionType(action);
  if (action === undefined || definition === undefined) {
    return [{ path: ['run', 'action'], message: `is ${quote(action ?? '')}, which is not an action type (GET /v1/action-types lists them)` }];
  }
  if (isUndoType(action)) {
    return [{ path: ['run', 'action'], message: `is ${action}, an undo type: a rule never undoes (a rule may run ${startableTypes.join(', ')})` }];
  }
  const accepted = inputNamesOf(definition);
  const shape = definition.inputs instanceof z.ZodObject ? (definition.inputs.shape as Record<string, z.ZodType>) : {};
  return Object.entries(inputs ?? {}).flatMap(([name, value]) => {
    const schema = shape[name];
    if (!accepted.includes(name) || schema === undefined) {
      return [{ path: ['run', 'inputs', name], message: `is not an input of ${action}, which accepts ${accepted.join(', ')}` }];
    }
    const checked = schema.safeParse(value);
    return checked.success ? [] : [{ path: ['run', 'inputs', name], message: checked.error.issues[0]?.message ?? 'is not valid' }];
  });
}

/** A rule's playbook must be one in force, and its `run.inputs` inputs of that playbook (when its inputs are known). */
function playbookErrors(playbook: string, inputs: Readonly<Record<string, unknown>> | undefined, options: RuleFileOptions): { path: (string | number)[]; message: string }[] {
  const names = options.knownPlaybooks.map((known) => (typeof known === 'string' ? known : known.name));
  const known = options.knownPlaybooks.find((each) => (typeof each === 'string' ? each : each.name) === playbook);
  if (known === undefined) {
    const listed = names.length === 0 ? 'this runtime runs no playbooks, so run an action instead' : `the playbooks are ${names.join(', ')}`;
    return [{ path: ['run', 'playbook'], message: `is ${quote(playbook)}, which is not a playbook: ${listed}` }];
  }
  if (typeof known === 'string') return [];
  const accepted = known.inputs.map((input) => input.name);
  return Object.keys(inputs ?? {})
    .filter((name) => !accepted.includes(name))
    .map((name) => ({ path: ['run', 'inputs', name], message: `is not an input of playbook ${playbook}, which takes ${accepted.join(', ')}` }));
}

/**
 * Parses a rules file's content (already read as JSON or YAML). Never throws: every problem comes
 * back as a line naming the rule and field, so one start-up attempt lists them all.
 */
export function parseRuleFile(raw: unknown, options: RuleFileOptions): RuleFileResult {
  const shell = ruleFile.safeParse(raw);
  if (!shell.success) return { ok: false, errors: shell.error.issues.flatMap((issue) => issueText(issue, raw)) };
  const errors = Object.keys(raw as object)
    .filter((key) => key !== 'rules')
    .map((key) => `${key.slice(0, 64)}: is not a field of the file (it holds only "rules")`);
  const rules: Rule[] = [];
  const firstIndexOf = new Map<string, number>();
  shell.data.rules.forEach((entry, index) => {
    const at = (path: readonly PropertyKey[]) => pathText(['rules', index, ...path], raw);
    const parsed = rule.safeParse(entry);
    if (parsed.success) rules.push(toRule(parsed.data));
    else errors.push(...parsed.error.issues.flatMap((issue) => issueText({ ...issue, path: ['rules', index, ...issue.path] }, raw)));
    // The catalogue checks need only a well-formed run, so they are reported even when other fields are wrong.
    const parsedRun = run.safeParse(isRecord(entry) ? entry['run'] : undefined);
    if (parsedRun.success) for (const problem of runErrors(parsedRun.data, options)) errors.push(`${at(problem.path)}: ${problem.message}`);
    const id = isRecord(entry) ? entry['id'] : undefined;
    if (typeof id !== 'string') return;
    const earlier = firstIndexOf.get(id);
    if (earlier === undefined) firstIndexOf.set(id, index);
    else errors.push(`${at(['id'])}: is also the id of rules[${earlier}], and ids must be unique`);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules };
}

function toRule(parsed: ParsedRule): Rule {
  const { action, playbook, inputs } = parsed.run;
  const withInputs = inputs === undefined ? {} : { inputs };
  return {
    id: parsed.id,
    description: parsed.description,
    mode: parsed.mode,
    match: parsed.match,
    run: action !== undefined ? { action, ...withInputs } : { playbook: playbook ?? '', ...withInputs },
    dedupSeconds: parsed.dedupSeconds,
    maxActionsPerHour: parsed.maxActionsPerHour,
  };
}
