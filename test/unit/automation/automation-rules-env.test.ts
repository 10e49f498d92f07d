/**
 * GET /v1/automation-rules in AWS loads the rules file itself: it must accept a rule that runs a
 * playbook in force, as the automation does, or the route fails where the rules are valid. It reads
 * the JSON synthesis ships (AUTOMATION_RULES) and reports AUTOMATION_RULES_SHA256, the digest of
 * the file the operator gave.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { automationRulesFromEnv } from '#functions/api/automation-rules.ts';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'rules-env-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const playbookRule = (playbook: string): string =>
  JSON.stringify({
    rules: [{ id: 'ec2-playbook', description: 'runs a playbook on a compromised instance', mode: 'dry-run', match: { source: 'guardduty', types: ['Backdoor:EC2/*'] }, run: { playbook } }],
  });

describe('automationRulesFromEnv', () => {
  it('loads a rule that runs a built-in playbook', async () => {
    // Prepare
    const path = join(directory, 'rules.json');
    await writeFile(path, playbookRule('ec2-instance-compromise'));

    // Act
    const deps = automationRulesFromEnv({ HISTORY_TABLE_NAME: 'history', AUTOMATION_RULES: path });

    // Assess
    expect(deps.automation.rules().rules.map((rule) => rule.run)).toEqual([{ playbook: 'ec2-instance-compromise' }]);
  });

  it('refuses a rule naming a playbook that is not in force, naming the rule and field', async () => {
    // Prepare
    const path = join(directory, 'rules.json');
    await writeFile(path, playbookRule('ec2-compromise'));

    // Act
    const load = () => automationRulesFromEnv({ HISTORY_TABLE_NAME: 'history', AUTOMATION_RULES: path });

    // Assess
    expect(load).toThrow('rules[0] (ec2-playbook).run.playbook: is "ec2-compromise", which is not a playbook');
  });
  it('reports the SHA-256 synthesis gives (of the operator\'s file), and refuses a value that is no digest', async () => {
    // Prepare
    const path = join(directory, 'rules.json');
    await writeFile(path, playbookRule('ec2-instance-compromise'));
    const digest = 'ab'.repeat(32);

    // Act
    const deps = automationRulesFromEnv({ HISTORY_TABLE_NAME: 'history', AUTOMATION_RULES: path, AUTOMATION_RULES_SHA256: digest });
    const bad = () => automationRulesFromEnv({ HISTORY_TABLE_NAME: 'history', AUTOMATION_RULES: path, AUTOMATION_RULES_SHA256: 'not-a-digest' });

    // Assess
    expect(deps.automation.rules().sha256).toBe(digest);
    expect(bad).toThrow('AUTOMATION_RULES_SHA256: must be a SHA-256 digest');
  });

  it('refuses a YAML file, which only synthesis reads (the functions bundle no YAML parser)', async () => {
    // Prepare
    const path = join(directory, 'rules.yaml');
    await writeFile(path, 'rules: []\n');

    // Act
    const load = () => automationRulesFromEnv({ HISTORY_TABLE_NAME: 'history', AUTOMATION_RULES: path });

    // Assess
    expect(load).toThrow(`AUTOMATION_RULES: ${path}: must be JSON here`);
  });

  it('checks the rules against the shipped playbooks file, read as JSON', async () => {
    // Prepare: a custom playbook in force, shipped as JSON
    const playbooks = join(directory, 'playbooks.json');
    await writeFile(playbooks, JSON.stringify({ playbooks: [{ name: 'look-only', title: 'Look', description: 'reads a file', inputs: [{ name: 'host.id', required: true }, { name: 'path.absolute', required: true }], steps: [{ id: 'acquire', type: 'acquire-file', inputs: { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } } }] }] }));
    const path = join(directory, 'rules.json');
    await writeFile(path, playbookRule('look-only'));

    // Act
    const deps = automationRulesFromEnv({ HISTORY_TABLE_NAME: 'history', AUTOMATION_RULES: path, PLAYBOOKS: playbooks });

    // Assess
    expect(deps.automation.rules().rules.map((rule) => rule.run)).toEqual([{ playbook: 'look-only' }]);
  });
});
