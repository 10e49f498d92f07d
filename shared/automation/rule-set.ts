/**
 * The rules in force in a function in AWS, read without the `yaml` package: synthesis validated
 * the operator's file and ships it as JSON (AUTOMATION_RULES), with that file's SHA-256 beside it
 * (AUTOMATION_RULES_SHA256), so `GET /v1/automation-rules` reports the digest of the file the
 * operator gave. The local runtime reads YAML too, through load-rules.ts.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '#shared/errors.ts';
import { formatOf, parseJsonText, readBounded, sha256Hex, utf8Text, type ConfigFileKind } from './config-file.ts';
import { defaultRulesJson, defaultRulesSha256 } from './default-rules-json.ts';
import { parseRuleFile, type KnownPlaybook } from './rule-schema.ts';
import type { RuleSet } from './types.ts';

const variable = 'AUTOMATION_RULES';
/** The digest of the file the shipped JSON was made from (synthesis sets it with AUTOMATION_RULES). */
export const rulesSha256Variable = 'AUTOMATION_RULES_SHA256';
/** Far above any hand-written rule set (200 rules); a bigger file is a mistake, not rules. */
export const maxRulesFileBytes = 1024 * 1024;
/** At most this many problems are listed; fixing them shows the rest. */
const maxListedErrors = 20;
export const rulesFile: ConfigFileKind = { variable, noun: 'a rules file', maxBytes: maxRulesFileBytes };

export interface LoadRulesOptions {
  /**
   * The playbooks in force (`PlaybookCatalogue.list()`, or their names): a rule naming another is
   * refused; with definitions, a rule's `run.inputs` must be inputs of its playbook. None: no rule may run one.
   */
  readonly knownPlaybooks?: readonly KnownPlaybook[];
}

/** Validates a parsed rules document; `origin` names it in errors and in the RuleSet, `sha256` is its file's digest. */
export function ruleSetFromDocument(raw: unknown, origin: string, sha256: string, options: LoadRulesOptions = {}): RuleSet {
  const result = parseRuleFile(raw, { knownPlaybooks: options.knownPlaybooks ?? [] });
  if (!result.ok) {
    const listed = result.errors.slice(0, maxListedErrors);
    const more = result.errors.length > listed.length ? `; and ${result.errors.length - listed.length} more` : '';
    throw new ConfigError(variable, `${origin}: ${listed.join('; ')}${more}`);
  }
  return { rules: result.rules, sha256, origin };
}

/**
 * In AWS: the JSON file AUTOMATION_RULES names, reported under AUTOMATION_RULES_SHA256 (unset:
 * the digest of the JSON itself), or the default set (origin `default`, the digest of
 * default-rules.yaml) when AUTOMATION_RULES is unset or blank. YAML is refused: synthesis converts it.
 */
export function loadShippedRuleSet(env: Readonly<Record<string, string | undefined>>, options: LoadRulesOptions = {}): RuleSet {
  const path = env[variable];
  if (path === undefined || path.trim() === '') return ruleSetFromDocument(parseJsonText(defaultRulesJson, 'default', variable), 'default', defaultRulesSha256, options);
  const bytes = readBounded(path, rulesFile);
  if (formatOf(path, bytes) !== 'json') throw new ConfigError(variable, `${path}: must be JSON here (synthesis ships YAML rules as JSON)`);
  const raw = parseJsonText(utf8Text(bytes, path, variable), path, variable);
  const declared = env[rulesSha256Variable];
  const sha256 = declared === undefined ? createHash('sha256').update(bytes).digest('hex') : sha256Hex(declared, rulesSha256Variable);
  return ruleSetFromDocument(raw, path, sha256, options);
}
