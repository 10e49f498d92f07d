/**
 * The `automationRules` setting: the file is read and validated at synthesis exactly as the
 * functions validate it at start-up, and shipped unchanged in the bundles of the functions that
 * decide by it (a file, not an environment variable: Lambda's environment holds 4 KB in all).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readAutomationRules } from '#infra/automation-rules.ts';
import { buildApp } from '#infra/build-app.ts';
import { ServiceFunction } from '#infra/constructs/service-function.ts';
import { loadRuleSet } from '#shared/automation/load-rules.ts';
import { configuredRulesFile } from './support/deployments.ts';
import { makeTempDir, stubOutAwsEnvironment, testContext } from './support/synth.ts';

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
  const dir = makeTempDir('rules');
  const file = (name: string, content: string): string => {
    const path = join(dir.path, name);
    writeFileSync(path, content);
    return path;
  };

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  afterAll(() => {
    dir.remove();
  });

  it('ships the file\'s bytes unchanged, under a name that keeps its format, so its SHA-256 is the operator\'s', () => {
    // Act
    const { shipped, ruleSet } = readAutomationRules(configuredRulesFile);

    // Assess
    const bytes = readFileSync(configuredRulesFile);
    expect(shipped.fileName).toBe('automation-rules.yaml');
    expect(Buffer.from(shipped.content, 'utf8').equals(bytes)).toBe(true);
    expect(ruleSet.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(readAutomationRules(file('rules.json', JSON.stringify({ rules: [] }))).shipped.fileName).toBe('automation-rules.json');
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
    const shippedPath = join(assetDir, 'automation-rules.yaml');
    expect(readFileSync(shippedPath, 'utf8')).toBe(validRule);
    expect(readFileSync(join(assetDir, 'index.mjs')).length).toBeGreaterThan(0);
    expect(loadRuleSet({ AUTOMATION_RULES: shippedPath })).toEqual({ ...ruleSet, origin: shippedPath });
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
