import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { shippedJson, type ShippedFile } from '#infra/constructs/shipped-file.ts';
import { maxRulesFileBytes, parseContent, readBounded, type LoadRulesOptions } from '#shared/automation/load-rules.ts';
import { ruleSetFromDocument } from '#shared/automation/rule-set.ts';
import type { RuleSet } from '#shared/automation/types.ts';
import { ConfigError } from '#shared/errors.ts';

/** The rules file as the functions find it in their bundle: always JSON, which they parse without a YAML parser. */
const shippedName = 'automation-rules.json';

/**
 * Reads the `automationRules` file at synthesis and validates it exactly as the functions will
 * at start-up, against the playbooks in force (`options.knownPlaybooks`: a bad rule, or one naming
 * a playbook that is not deployed, fails synthesis, naming the rule and field), for shipping in the bundles
 * of the functions that decide by it. JSON or YAML, it ships as the parsed document in JSON (the
 * functions bundle no YAML parser); `shipped.sha256` is the operator's file's, which
 * `GET /v1/automation-rules` reports.
 *
 * @throws ConfigError naming `automationRules` when the file is unreadable, too large, neither
 *   `.json` nor `.yaml`/`.yml`, or holds an invalid rule
 */
export function readAutomationRules(path: string, options: LoadRulesOptions = {}): { readonly shipped: ShippedFile; readonly ruleSet: RuleSet } {
  const extension = extname(path).toLowerCase();
  const format = extension === '.json' ? 'json' : extension === '.yaml' || extension === '.yml' ? 'yaml' : undefined;
  if (format === undefined) throw new ConfigError('automationRules', `${path}: must end in .json, .yaml or .yml (the functions read it by its format)`);
  // The reader the functions use, naming the setting: a regular file, read no further than the bound.
  const bytes = readBounded(path, { variable: 'automationRules', noun: 'a rules file', maxBytes: maxRulesFileBytes });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  try {
    const document = parseContent(bytes, path, format);
    const ruleSet = ruleSetFromDocument(document, path, sha256, options);
    // The schema takes only finite numbers, strings, booleans, lists and maps, which JSON carries unchanged.
    return { shipped: { fileName: shippedName, content: shippedJson(document), sha256 }, ruleSet };
  } catch (error) {
    if (!(error instanceof ConfigError) || error.variable === 'automationRules') throw error;
    throw new ConfigError('automationRules', error.message, { cause: error });
  }
}
