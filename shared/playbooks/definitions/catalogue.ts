/**
 * The playbooks in force: the six built-ins, plus a file's (`{ "playbooks": [...] }`), each checked
 * against the catalogue. Anything wrong is a PlaybookFileError naming the playbook, the step and the
 * field, so the service refuses to start rather than run a playbook that could destroy evidence
 * first. No `yaml` here: functions in AWS read the JSON synthesis ships (loadShippedPlaybookCatalogue);
 * the local runtime reads YAML too, through load.ts.
 */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { formatOf, parseJsonText, readBounded, sha256Hex, utf8Text } from '#shared/automation/config-file.ts';
import { ConfigError } from '#shared/errors.ts';
import type { PlaybookCatalogue, PlaybookDefinition } from '../types.ts';
import { builtInPlaybooksAsWritten } from './built-in.ts';
import { checkPlaybook } from './check-playbook.ts';
import type { Path } from './check-playbook.ts';
import { playbookAsWritten, playbookFile } from './file-schema.ts';

const variable = 'PLAYBOOKS';
/** Fifty playbooks of thirty steps fit in far less; a bigger file is a mistake. */
export const maxPlaybooksFileBytes = 1024 * 1024;
/** At most this many problems are listed; fixing them shows the rest. */
const maxListedErrors = 20;

/** The PLAYBOOKS file cannot be read, or a playbook in it is wrong; `problems` lists each with its path. */
export class PlaybookFileError extends ConfigError {
  readonly problems: readonly string[];

  constructor(origin: string, problems: readonly string[], options?: ErrorOptions) {
    const listed = problems.slice(0, maxListedErrors);
    const more = problems.length > listed.length ? `; and ${problems.length - listed.length} more` : '';
    super(variable, `${origin}: ${listed.join('; ')}${more}`, options);
    this.problems = problems;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function joined(segments: Path): string {
  return segments.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('');
}

/** ` (name)` when the entry has a string `key`, so a path says which playbook or step it means. */
function label(entry: unknown, key: string): string {
  const value = isRecord(entry) ? entry[key] : undefined;
  return typeof value === 'string' && value !== '' ? ` (${value.slice(0, 64)})` : '';
}

/** `playbooks[2] (my-playbook).steps[1] (kill).inputs.host.id`: indexes, and names where the file gives them. */
function pathText(raw: unknown, path: Path): string {
  const [first, index, ...rest] = path;
  if (first !== 'playbooks' || typeof index !== 'number') return path.length === 0 ? '(file)' : joined(path).replace(/^\./, '');
  const playbooks = isRecord(raw) && Array.isArray(raw['playbooks']) ? (raw['playbooks'] as unknown[]) : [];
  const entry = playbooks[index];
  const text = `playbooks[${index}]${label(entry, 'name')}`;
  const [second, stepIndex, ...tail] = rest;
  if (second !== 'steps' || typeof stepIndex !== 'number') return `${text}${joined(rest)}`;
  const steps = isRecord(entry) && Array.isArray(entry['steps']) ? (entry['steps'] as unknown[]) : [];
  return `${text}.steps[${stepIndex}]${label(steps[stepIndex], 'id')}${joined(tail)}`;
}

function issueProblems(issues: readonly z.core.$ZodIssue[], prefix: Path, raw: unknown): string[] {
  return issues.flatMap((issue) => {
    const at = [...prefix, ...issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)))];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${pathText(raw, [...at, key.slice(0, 64)])}: is not a field here (unknown fields are refused: check its spelling)`);
    }
    return [`${pathText(raw, at)}: ${issue.message}`];
  });
}

/**
 * Checks playbooks as written (the built-ins, or a file's `playbooks` list); `taken` are names
 * already in force. Returns the definitions, or every problem as `path: message`.
 */
function checkAll(
  entries: readonly unknown[],
  source: PlaybookDefinition['source'],
  taken: readonly string[],
  raw: unknown,
): { definitions: PlaybookDefinition[]; problems: string[] } {
  const definitions: PlaybookDefinition[] = [];
  const problems: string[] = [];
  const firstIndexOf = new Map<string, number>();
  entries.forEach((entry, index) => {
    const parsed = playbookAsWritten.safeParse(entry);
    if (!parsed.success) {
      problems.push(...issueProblems(parsed.error.issues, ['playbooks', index], raw));
      return;
    }
    const { name } = parsed.data;
    const earlier = firstIndexOf.get(name);
    if (taken.includes(name)) problems.push(`${pathText(raw, ['playbooks', index, 'name'])}: is ${name}, a built-in playbook's name: give yours another`);
    else if (earlier !== undefined) problems.push(`${pathText(raw, ['playbooks', index, 'name'])}: is also the name of playbooks[${earlier}], and names must be unique`);
    else firstIndexOf.set(name, index);
    const checked = checkPlaybook(parsed.data, source);
    if (checked.ok) definitions.push(checked.definition);
    else problems.push(...checked.problems.map((problem) => `${pathText(raw, ['playbooks', index, ...problem.path])}: ${problem.message}`));
  });
  return { definitions, problems };
}

function builtIns(): readonly PlaybookDefinition[] {
  const raw = { playbooks: builtInPlaybooksAsWritten };
  const { definitions, problems } = checkAll(builtInPlaybooksAsWritten, 'built-in', [], raw);
  // A defect of this repository, never of a deployment: the unit tests load every built-in.
  if (problems.length > 0) throw new PlaybookFileError('built-in playbooks', problems);
  return definitions;
}

/** The six built-in playbooks, checked against the catalogue when this module loads. */
export const builtInPlaybooks: readonly PlaybookDefinition[] = builtIns();

export function catalogueOf(custom: readonly PlaybookDefinition[], fileSha256: string | null): PlaybookCatalogue {
  const all = [...builtInPlaybooks, ...custom];
  const byName = new Map(all.map((playbook) => [playbook.name, playbook]));
  return { list: () => all, find: (name) => byName.get(name), fileSha256 };
}

/** The built-ins and the playbooks of a parsed file; `origin` names it in errors, `sha256` is the file's digest. */
export function playbookCatalogueFromDocument(raw: unknown, origin: string, sha256: string): PlaybookCatalogue {
  const shell = playbookFile.safeParse(raw);
  if (!shell.success) throw new PlaybookFileError(origin, issueProblems(shell.error.issues, [], raw));
  const { definitions, problems } = checkAll(shell.data.playbooks, 'custom', builtInPlaybooks.map((playbook) => playbook.name), raw);
  if (problems.length > 0) throw new PlaybookFileError(origin, problems);
  return catalogueOf(definitions, sha256);
}

/** A ConfigError of reading or parsing `origin`, as the PlaybookFileError naming it. */
export function asPlaybookFileError(error: unknown, origin: string): unknown {
  if (error instanceof ConfigError) return new PlaybookFileError(origin, [error.message.replace(`${variable}: ${origin}: `, '')], { cause: error });
  return error;
}

/** The digest of the file the shipped JSON was made from (synthesis sets it with PLAYBOOKS). */
export const playbooksSha256Variable = 'PLAYBOOKS_SHA256';

/**
 * In AWS: the built-ins alone without a file (or a blank name), else the built-ins and the JSON
 * file's, whose `fileSha256` is `sha256` (PLAYBOOKS_SHA256: the digest of the file the operator
 * gave; undefined: the JSON's own). YAML is refused: synthesis converts it.
 */
export function loadShippedPlaybookCatalogue(file: string | null | undefined, sha256?: string): PlaybookCatalogue {
  if (file === undefined || file === null || file.trim() === '') return catalogueOf([], null);
  let raw: unknown;
  let bytes: Buffer;
  try {
    bytes = readBounded(file, { variable, noun: 'a playbooks file', maxBytes: maxPlaybooksFileBytes });
    if (formatOf(file, bytes) !== 'json') throw new ConfigError(variable, `${file}: must be JSON here (synthesis ships YAML playbooks as JSON)`);
    raw = parseJsonText(utf8Text(bytes, file, variable), file, variable);
  } catch (error) {
    throw asPlaybookFileError(error, file);
  }
  const digest = sha256 === undefined ? createHash('sha256').update(bytes).digest('hex') : sha256Hex(sha256, playbooksSha256Variable);
  return playbookCatalogueFromDocument(raw, file, digest);
}
