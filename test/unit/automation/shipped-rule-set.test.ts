/**
 * The rules as the functions in AWS load them (rule-set.ts): JSON only, so their bundles carry no
 * YAML parser, yet the same rules and the same SHA-256 as the local runtime reports, the default
 * set included (its JSON form is held equal to default-rules.yaml here).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultRulesJson, defaultRulesSha256 } from '#shared/automation/default-rules-json.ts';
import { defaultRulesYaml } from '#shared/automation/default-rules.ts';
import { loadRuleSet } from '#shared/automation/load-rules.ts';
import { loadShippedRuleSet } from '#shared/automation/rule-set.ts';

const directory = mkdtempSync(join(tmpdir(), 'shipped-rules-'));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function write(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

const rule = { id: 'pause-shells', description: 'Pause containers a shell was opened in.', mode: 'enforce', match: { source: 'falco', types: ['Terminal shell in container'] }, run: { action: 'pause-container' } };

describe('the default rules in JSON', () => {
  it('are the parse of default-rules.yaml, indented by two, and carry that file\'s SHA-256', () => {
    // Assess: regenerate with JSON.stringify(parse(default-rules.yaml), null, 2) when the YAML changes
    expect(defaultRulesJson).toBe(JSON.stringify(parse(defaultRulesYaml, { schema: 'core' }), null, 2));
    expect(defaultRulesSha256).toBe(createHash('sha256').update(readFileSync(new URL('../../../shared/automation/default-rules.yaml', import.meta.url))).digest('hex'));
  });

  it('are in force in AWS when AUTOMATION_RULES is unset or blank, as the local runtime has them', () => {
    // Act + Assess
    for (const env of [{}, { AUTOMATION_RULES: ' ' }]) expect(loadShippedRuleSet(env)).toEqual(loadRuleSet(env));
  });
});

describe('loadShippedRuleSet', () => {
  it('reads the JSON file with the digest synthesis gives, or the JSON\'s own without one', () => {
    // Prepare
    const text = JSON.stringify({ rules: [rule] });
    const path = write('rules.json', text);

    // Act
    const given = loadShippedRuleSet({ AUTOMATION_RULES: path, AUTOMATION_RULES_SHA256: 'cd'.repeat(32) });
    const own = loadShippedRuleSet({ AUTOMATION_RULES: path });

    // Assess
    expect(given).toEqual({ ...loadRuleSet(path), sha256: 'cd'.repeat(32) });
    expect(own).toEqual(loadRuleSet(path));
    expect(own.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('refuses an invalid rule, invalid JSON and a file too large, naming AUTOMATION_RULES', () => {
    // Prepare
    const bad = write('bad.json', JSON.stringify({ rules: [{ ...rule, mode: 'yolo' }] }));
    const broken = write('broken.json', '{"rules": [');
    const large = write('large.json', `{"rules": [], "pad": "${'x'.repeat(1024 * 1024)}"}`);

    // Act + Assess
    expect(() => loadShippedRuleSet({ AUTOMATION_RULES: bad })).toThrow(/^AUTOMATION_RULES: .*rules\[0\] \(pause-shells\)\.mode/);
    expect(() => loadShippedRuleSet({ AUTOMATION_RULES: broken })).toThrow(/^AUTOMATION_RULES: .*is not valid JSON/);
    expect(() => loadShippedRuleSet({ AUTOMATION_RULES: large })).toThrow(/^AUTOMATION_RULES: .*a rules file may be at most 1048576/);
  });
});
