/**
 * Loads the rules in force at start-up: the file AUTOMATION_RULES names (JSON or YAML), or the
 * shipped default set when it is unset. Anything wrong is a ConfigError naming AUTOMATION_RULES and
 * every rule and field at fault, so the service refuses to start rather than run half a rule set.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml, parseDocument, YAMLParseError } from 'yaml';
import { ConfigError } from '#shared/errors.ts';
import { defaultRulesYaml } from './default-rules.ts';
import { parseRuleFile, type KnownPlaybook } from './rule-schema.ts';
import type { RuleSet } from './types.ts';

const variable = 'AUTOMATION_RULES';
/** Far above any hand-written rule set (200 rules); a bigger file is a mistake, not rules. */
export const maxRulesFileBytes = 1024 * 1024;
/** At most this many problems are listed; fixing them shows the rest. */
const maxListedErrors = 20;

/** A configuration file read and parsed the same way for each variable naming one (AUTOMATION_RULES, PLAYBOOKS). */
export interface ConfigFileKind {
  readonly variable: string;
  /** How the size error names the file: "a rules file". */
  readonly noun: string;
  readonly maxBytes: number;
}
const rulesFile: ConfigFileKind = { variable, noun: 'a rules file', maxBytes: maxRulesFileBytes };

export interface LoadRulesOptions {
  /**
   * The playbooks in force (`PlaybookCatalogue.list()`, or their names): a rule naming another is
   * refused; with definitions, a rule's `run.inputs` must be inputs of its playbook. None: no rule may run one.
   */
  readonly knownPlaybooks?: readonly KnownPlaybook[];
}

/**
 * The rules in force: from `{ AUTOMATION_RULES }` (unset or blank: the default set, origin
 * `default`), or from a path given directly.
 */
export function loadRuleSet(source: Readonly<Record<string, string | undefined>> | string, options: LoadRulesOptions = {}): RuleSet {
  const path = typeof source === 'string' ? source : source[variable];
  if (path === undefined || path.trim() === '') {
    return ruleSetFromText(Buffer.from(defaultRulesYaml, 'utf8'), 'default', 'yaml', options);
  }
  const bytes = readBounded(path);
  const format = formatOf(path, bytes);
  return ruleSetFromText(bytes, path, format, options);
}

/** Parses and validates rules from bytes; `origin` names them in errors and in the RuleSet. */
export function ruleSetFromText(bytes: Buffer, origin: string, format: 'json' | 'yaml', options: LoadRulesOptions = {}): RuleSet {
  const raw = parseContent(bytes, origin, format);
  const result = parseRuleFile(raw, { knownPlaybooks: options.knownPlaybooks ?? [] });
  if (!result.ok) {
    const listed = result.errors.slice(0, maxListedErrors);
    const more = result.errors.length > listed.length ? `; and ${result.errors.length - listed.length} more` : '';
    throw new ConfigError(variable, `${origin}: ${listed.join('; ')}${more}`);
  }
  return { rules: result.rules, sha256: createHash('sha256').update(bytes).digest('hex'), origin };
}

/** The file's bytes, refused (ConfigError naming the variable) unless a regular file of at most `kind.maxBytes`. */
export function readBounded(path: string, kind: ConfigFileKind = rulesFile): Buffer {
  const { variable, maxBytes } = kind;
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch (error) {
    throw new ConfigError(variable, `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  try {
    // Checked on the open file, so a swap after the check cannot slip a larger or special file in.
    const stat = fstatSync(descriptor);
    if (!stat.isFile()) throw new ConfigError(variable, `${path}: is not a regular file`);
    if (stat.size > maxBytes) throw new ConfigError(variable, `${path}: is ${stat.size} bytes; ${kind.noun} may be at most ${maxBytes}`);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) {
      read = readSync(descriptor, buffer, length, buffer.length - length, null);
    }
    if (length > maxBytes) throw new ConfigError(variable, `${path}: grew past ${maxBytes} bytes while being read`);
    return buffer.subarray(0, length);
  } finally {
    closeSync(descriptor);
  }
}

/** `.json` is JSON and `.yaml`/`.yml` YAML; any other name is JSON when it starts like JSON. */
export function formatOf(path: string, bytes: Buffer): 'json' | 'yaml' {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  return bytes.toString('utf8').trimStart().startsWith('{') ? 'json' : 'yaml';
}

/** JSON or YAML (1.2 core) content; anything unreadable is a ConfigError naming `variable`. */
export function parseContent(bytes: Buffer, origin: string, format: 'json' | 'yaml', variable: string = rulesFile.variable): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new ConfigError(variable, `${origin}: is not UTF-8 text`, { cause: error });
  }
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch (error) {
      throw new ConfigError(variable, `${origin}: is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    // JSON.parse keeps the last of two equal keys without a word: a second "rules" would silently replace the first.
    const duplicate = parseDocument(text, { uniqueKeys: true, logLevel: 'silent' }).errors.find((error) => error.code === 'DUPLICATE_KEY');
    if (duplicate !== undefined) throw new ConfigError(variable, `${origin}: is not valid JSON here (${duplicate.message.split('\n')[0] ?? 'a key appears twice'})`);
    return parsed;
  }
  try {
    // YAML 1.2 core schema: no custom tags, no merge keys; duplicate keys and alias floods are refused.
    return parseYaml(text, { schema: 'core', uniqueKeys: true, maxAliasCount: 100, prettyErrors: true, logLevel: 'error' }) as unknown;
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(variable, `${origin}: is not valid YAML (${message ?? 'unreadable'})`, { cause: error });
  }
}
