/**
 * GET /v1/automation-rules in AWS loads the rules file itself: it must accept a rule that runs a
 * playbook in force, as the automation does, or the route fails where the rules are valid.
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

const playbookRule = (playbook: string) => `rules:
  - id: ec2-playbook
    description: runs a playbook on a compromised instance
    mode: dry-run
    match: { source: guardduty, types: ["Backdoor:EC2/*"] }
    run: { playbook: ${playbook} }
`;

describe('automationRulesFromEnv', () => {
  it('loads a rule that runs a built-in playbook', async () => {
    // Prepare
    const path = join(directory, 'rules.yaml');
    await writeFile(path, playbookRule('ec2-instance-compromise'));

    // Act
    const deps = automationRulesFromEnv({ HISTORY_TABLE_NAME: 'history', AUTOMATION_RULES: path });

    // Assess
    expect(deps.automation.rules().rules.map((rule) => rule.run)).toEqual([{ playbook: 'ec2-instance-compromise' }]);
  });

  it('refuses a rule naming a playbook that is not in force, naming the rule and field', async () => {
    // Prepare
    const path = join(directory, 'rules.yaml');
    await writeFile(path, playbookRule('ec2-compromise'));

    // Act
    const load = () => automationRulesFromEnv({ HISTORY_TABLE_NAME: 'history', AUTOMATION_RULES: path });

    // Assess
    expect(load).toThrow('rules[0] (ec2-playbook).run.playbook: is "ec2-compromise", which is not a playbook');
  });
});
