/**
 * The `automationRules` setting: the file is read and validated at synthesis exactly as the
 * functions validate it at start-up, and shipped as JSON in the bundles of the functions that
 * decide by it (a file, not an environment variable: Lambda's environment holds 4 KB in all), with
 * the operator's file's SHA-256 beside it, which GET /v1/automation-rules reports.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readAutomationRules } from '#infra/automation-rules.ts';
import { buildApp } from '#infra/build-app.ts';
import { ServiceFunction } from '#infra/constructs/service-function.ts';
import { loadRuleSet, maxRulesFileBytes, parseContent } from '#shared/automation/load-rules.ts';
import { loadShippedRuleSet } from '#shared/automation/rule-set.ts';
import { configuredRulesFile } from './support/deployments.ts';
import { useConfigFileDir } from './support/config-files.ts';
import { stubOutAwsEnvironment, testContext } from './support/synth.ts';

const validRule = `rules:
  - id: isolate-backdoor
    description: isolate an instance with a backdoor
    mode: enforce
    match:
      source: guardduty
      types: ["Backdoor:EC2/*"]
    run:
      action: isolate-ec2-instance
`;

describe('automationRules: the rules file, validated at synthesis and shipped in the bundles', () => {
  const dir = useConfigFileDir('rules');
  const { file } = dir;

  it('ships YAML or JSON as the same rules in JSON, with the SHA-256 of the operator\'s file', () => {
    // Act
    const { shipped, ruleSet } = readAutomationRules(configuredRulesFile);
    const json = JSON.stringify({ rules: [] });
    const fromJson = readAutomationRules(file('rules.json', json));

    // Assess
    const bytes = readFileSync(configuredRulesFile);
    expect(shipped.fileName).toBe('automation-rules.json');
    expect(shipped.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(ruleSet).toEqual(loadRuleSet(configuredRulesFile));
    expect(JSON.parse(shipped.content)).toEqual(parseContent(bytes, configuredRulesFile, 'yaml'));
    expect(loadRuleSet(file('shipped.json', shipped.content)).rules).toEqual(ruleSet.rules);
    expect(fromJson.shipped).toEqual({ fileName: 'automation-rules.json', content: `${JSON.stringify({ rules: [] }, null, 2)}\n`, sha256: createHash('sha256').update(json).digest('hex') });
  });

  it.each([
    ['a rule with an unknown mode', 'bad-mode.yaml', validRule.replace('mode: enforce', 'mode: yolo'), /automationRules: .*rules\[0\] \(isolate-backdoor\)\.mode/],
    ['a rule naming no action type', 'bad-action.yml', validRule.replace('isolate-ec2-instance', 'delete-everything'), /automationRules: .*rules\[0\] \(isolate-backdoor\)\.run/],
    ['invalid YAML', 'broken.yaml', 'rules: [', /automationRules: .*is not valid YAML/],
    ['a name of no known format', 'rules.txt', validRule, /automationRules: .*must end in \.json, \.yaml or \.yml/],
  ])('fails synthesis on %s, naming automationRules and what is wrong', (_, name, content, message) => {
    // Prepare
    stubOutAwsEnvironment();
    const path = file(name, content);

    // Act
    const act = (): unknown => buildApp({ outdir: join(dir.path, `out-${name}`), context: testContext({ automationRules: path }) });

    // Assess
    expect(act).toThrow(message);
  });

  it('fails synthesis on a file that is not there, naming it', () => {
    // Prepare
    stubOutAwsEnvironment();

    // Act
    const act = (): unknown => buildApp({ outdir: join(dir.path, 'out-missing'), context: testContext({ automationRules: join(dir.path, 'missing.yaml') }) });

    // Assess
    expect(act).toThrow(/automationRules: .*missing\.yaml: cannot be read \(ENOENT\)/);
  });

  it('refuses a rules file past the bound, or one that is not a regular file, as the functions\' reader does', () => {
    // Prepare
    const large = file('large.yaml', `${validRule}#${'x'.repeat(maxRulesFileBytes)}\n`);
    const directory = join(dir.path, 'a-directory.yaml');
    mkdirSync(directory);

    // Act
    const readLarge = (): unknown => readAutomationRules(large);
    const readDirectory = (): unknown => readAutomationRules(directory);

    // Assess
    expect(readLarge).toThrow(new RegExp(`automationRules: .*large\\.yaml: is \\d+ bytes; a rules file may be at most ${maxRulesFileBytes}`));
    expect(readDirectory).toThrow(/automationRules: .*a-directory\.yaml: is not a regular file/);
  });

  it('puts the file beside the function\'s bundle, where AUTOMATION_RULES finds it, and the functions load the same rules', () => {
    // Prepare: bundled for real, as deployed
    const outdir = join(dir.path, 'cdk.out');
    const app = new App({ outdir, context: testContext({ 'aws:cdk:bundling-stacks': ['RulesFixture'] }) });
    const stack = new Stack(app, 'RulesFixture');
    const { shipped, ruleSet } = readAutomationRules(file('operator-rules.yaml', validRule));
    new ServiceFunction(stack, 'Decider', { entry: 'functions/events/log-messages.ts', files: { [shipped.fileName]: shipped.content } });

    // Act
    const assembly = app.synth();

    // Assess
    const template = assembly.getStackByName('RulesFixture').template as { Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }> };
    const code = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function')?.Properties.Code;
    const assetDir = join(assembly.directory, `asset.${(code?.S3Key ?? '').replace(/\.zip$/, '')}`);
    const shippedPath = join(assetDir, 'automation-rules.json');
    expect(readFileSync(shippedPath, 'utf8')).toBe(shipped.content);
    expect(readFileSync(join(assetDir, 'index.mjs')).length).toBeGreaterThan(0);
    // As the functions load it (JSON only), reporting the SHA-256 of the YAML the operator wrote.
    expect(loadShippedRuleSet({ AUTOMATION_RULES: shippedPath, AUTOMATION_RULES_SHA256: shipped.sha256 })).toEqual({ ...ruleSet, origin: shippedPath });
    expect(ruleSet.sha256).toBe(createHash('sha256').update(validRule).digest('hex'));
  });

  it.each(['index.mjs', 'index.mjs.map', 'other.js', '../escape.yaml', 'dir/rules.yaml'])('refuses to ship a file named %s, which could replace the bundle or leave its directory', (name) => {
    // Prepare
    const stack = new Stack(new App({ context: testContext() }), 'Names');

    // Act
    const act = (): unknown => new ServiceFunction(stack, 'Decider', { entry: 'functions/events/log-messages.ts', files: { [name]: 'x' } });

    // Assess
    expect(act).toThrow(`a shipped file must be a plain name that is no script, not "${name}"`);
  });
});
