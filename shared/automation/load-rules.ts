/**
 * Loads the rules in force at start-up of the local runtime (and at synthesis): the file
 * AUTOMATION_RULES names (JSON or YAML), or the shipped default set when it is unset. Anything
 * wrong is a ConfigError naming AUTOMATION_RULES and every rule and field at fault, so the service
 * refuses to start rather than run half a rule set. Functions in AWS read the JSON synthesis ships
 * through rule-set.ts, which keeps the `yaml` package out of their bundles: never import this there.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml, parseDocument, YAMLParseError } from 'yaml';
import { ConfigError } from '#shared/errors.ts';
import { formatOf, parseJsonText, readBounded, utf8Text } from './config-file.ts';
import { defaultRulesYaml } from './default-rules.ts';
import { ruleSetFromDocument, rulesFile, type LoadRulesOptions } from './rule-set.ts';
import type { RuleSet } from './types.ts';

export { formatOf, readBounded, type ConfigFileKind } from './config-file.ts';
export { maxRulesFileBytes, type LoadRulesOptions } from './rule-set.ts';

/**
 * The rules in force: from `{ AUTOMATION_RULES }` (unset or blank: the default set, origin
 * `default`), or from a path given directly.
 */
export function loadRuleSet(source: Readonly<Record<string, string | undefined>> | string, options: LoadRulesOptions = {}): RuleSet {
  const path = typeof source === 'string' ? source : source[rulesFile.variable];
  if (path === undefined || path.trim() === '') {
    return ruleSetFromText(Buffer.from(defaultRulesYaml, 'utf8'), 'default', 'yaml', options);
  }
  const bytes = readBounded(path, rulesFile);
  const format = formatOf(path, bytes);
  return ruleSetFromText(bytes, path, format, options);
}

/** Parses and validates rules from bytes; `origin` names them in errors and in the RuleSet. */
export function ruleSetFromText(bytes: Buffer, origin: string, format: 'json' | 'yaml', options: LoadRulesOptions = {}): RuleSet {
  const raw = parseContent(bytes, origin, format);
  return ruleSetFromDocument(raw, origin, createHash('sha256').update(bytes).digest('hex'), options);
}

/** JSON or YAML (1.2 core) content; anything unreadable is a ConfigError naming `variable`. */
export function parseContent(bytes: Buffer, origin: string, format: 'json' | 'yaml', variable: string = rulesFile.variable): unknown {
  const text = utf8Text(bytes, origin, variable);
  if (format === 'json') {
    const parsed = parseJsonText(text, origin, variable);
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
