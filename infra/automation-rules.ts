import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { ShippedFile } from '#infra/constructs/shipped-file.ts';
import { maxRulesFileBytes, ruleSetFromText, type LoadRulesOptions } from '#shared/automation/load-rules.ts';
import type { RuleSet } from '#shared/automation/types.ts';
import { ConfigError } from '#shared/errors.ts';

/** The rules file as the functions find it in their bundle, by format. */
const shippedNames = { json: 'automation-rules.json', yaml: 'automation-rules.yaml' } as const;

/**
 * Reads the `automationRules` file at synthesis and validates it exactly as the functions will
 * at start-up, against the playbooks in force (`options.knownPlaybooks`: a bad rule, or one naming
 * a playbook that is not deployed, fails synthesis, naming the rule and field), for shipping in the bundles
 * of the functions that decide by it. The bytes are shipped unchanged, so the SHA-256 that
 * `GET /v1/automation-rules` reports is the file's own.
 *
 * @throws ConfigError naming `automationRules` when the file is unreadable, too large, neither
 *   `.json` nor `.yaml`/`.yml`, or holds an invalid rule
 */
export function readAutomationRules(path: string, options: LoadRulesOptions = {}): { readonly shipped: ShippedFile; readonly ruleSet: RuleSet } {
  const extension = extname(path).toLowerCase();
  const format = extension === '.json' ? 'json' : extension === '.yaml' || extension === '.yml' ? 'yaml' : undefined;
  if (format === undefined) throw new ConfigError('automationRules', `${path}: must end in .json, .yaml or .yml (the functions read it by its format)`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ConfigError('automationRules', `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  if (bytes.length > maxRulesFileBytes) throw new ConfigError('automationRules', `${path}: is ${bytes.length} bytes; a rules file may be at most ${maxRulesFileBytes}`);
  let ruleSet: RuleSet;
  try {
    ruleSet = ruleSetFromText(bytes, path, format, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError('automationRules', error.message, { cause: error });
  }
  // Valid rules are UTF-8 text (ruleSetFromText refuses anything else), so the string round-trips to the same bytes.
  return { shipped: { fileName: shippedNames[format], content: bytes.toString('utf8') }, ruleSet };
}
