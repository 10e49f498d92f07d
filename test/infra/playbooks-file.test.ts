/**
 * The `playbooks` setting: the PLAYBOOKS file is read and validated at synthesis exactly as the
 * functions validate it at start-up (a destructive step before evidence fails synthesis naming the
 * step), shipped as JSON (with the operator's file's SHA-256 beside it) in the bundles of the functions that run playbooks or decide rules, and
 * the rules file is checked against the playbooks the deployment ships.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { playbookExecutionGraceSeconds } from '#infra/constructs/playbook-runner.ts';
import { readAutomationRules } from '#infra/automation-rules.ts';
import { readPlaybooks } from '#infra/playbooks.ts';
import { loadShippedPlaybookCatalogue } from '#shared/playbooks/definitions/index.ts';
import { loadPlaybookCatalogue } from '#shared/playbooks/definitions/load.ts';
import { configuredPlaybooksFile } from './support/deployments.ts';
import { useConfigFileDir } from './support/config-files.ts';
import { stubOutAwsEnvironment, testContext } from './support/synth.ts';
import { logicalIdOf } from './support/member-roles.ts';
import { resourceById } from './support/template.ts';

const customPlaybook = (steps: string): string => `playbooks:
  - name: quarantine-then-look
    title: Quarantine a file, then read it
    description: a custom playbook
    inputs:
      - name: host.id
        required: true
      - name: path.absolute
        required: true
    steps:
${steps}`;

const acquire = `      - id: acquire
        type: acquire-file
        inputs:
          host.id: { input: host.id }
          path.absolute: { input: path.absolute }
`;
const kill = `      - id: kill
        type: kill-process
        inputs:
          host.id: { input: host.id }
          process.id: { value: 4242 }
`;

const ruleRunning = (playbook: string): string => `rules:
  - id: run-custom
    description: runs a custom playbook
    mode: dry-run
    match:
      source: guardduty
      types: ["Execution:Runtime/*"]
    run:
      playbook: ${playbook}
`;

describe('playbooks: the PLAYBOOKS file, validated at synthesis and shipped in the bundles', () => {
  const dir = useConfigFileDir('playbooks');
  const { file } = dir;

  it('ships YAML or JSON as the same playbooks in JSON, which the functions read with the operator\'s file\'s SHA-256', () => {
    // Act
    const { shipped, catalogue } = readPlaybooks(configuredPlaybooksFile);
    const json = JSON.stringify({ playbooks: [] });
    const fromJson = readPlaybooks(file('playbooks.json', json));

    // Assess
    const bytes = readFileSync(configuredPlaybooksFile);
    const digest = createHash('sha256').update(bytes).digest('hex');
    expect(shipped.fileName).toBe('playbooks.json');
    expect(shipped.sha256).toBe(digest);
    expect(catalogue.fileSha256).toBe(digest);
    expect(catalogue.list()).toEqual(loadPlaybookCatalogue(configuredPlaybooksFile).list());
    const shippedPath = file('shipped-playbooks.json', shipped.content);
    const asFunctionsRead = loadShippedPlaybookCatalogue(shippedPath, shipped.sha256);
    expect(asFunctionsRead.list()).toEqual(catalogue.list());
    expect(asFunctionsRead.fileSha256).toBe(digest);
    expect(fromJson.shipped).toEqual({ fileName: 'playbooks.json', content: `${JSON.stringify({ playbooks: [] }, null, 2)}\n`, sha256: createHash('sha256').update(json).digest('hex') });
  });

  it('fails synthesis on a custom playbook with a destructive step before its evidence, naming playbooks, the playbook and the step', () => {
    // Prepare
    stubOutAwsEnvironment();
    const path = file('destroy-first.yaml', customPlaybook(kill + acquire));

    // Act
    const act = (): unknown => buildApp({ outdir: join(dir.path, 'out-destroy-first'), context: testContext({ playbooks: path }) });

    // Assess
    expect(act).toThrow(/^playbooks: .*quarantine-then-look.*kill/);
  });

  it('fails synthesis on a file that is not there, naming it', () => {
    // Prepare
    stubOutAwsEnvironment();

    // Act
    const act = (): unknown => buildApp({ outdir: join(dir.path, 'out-missing'), context: testContext({ playbooks: join(dir.path, 'missing.yaml') }) });

    // Assess
    expect(act).toThrow(/^playbooks: .*missing\.yaml: cannot be read \(ENOENT\)/);
  });

  it('checks the rules against the playbooks the deployment ships: a rule running a custom playbook synthesizes only with its file', () => {
    // Prepare
    stubOutAwsEnvironment();
    const rules = file('rules.yaml', ruleRunning('quarantine-then-look'));
    const playbooks = file('evidence-first.yaml', customPlaybook(acquire + kill));

    // Act
    const without = (): unknown => buildApp({ outdir: join(dir.path, 'out-rules-alone'), context: testContext({ automationRules: rules }) });
    const withFile = buildApp({ outdir: join(dir.path, 'out-rules-with'), context: testContext({ automationRules: rules, playbooks }) });

    // Assess
    expect(without).toThrow(/^automationRules: .*run-custom.*run\.playbook.*quarantine-then-look/);
    expect(withFile.serviceStack.api.functionPropsFor({ id: 'PostEvent', needs: ['automation-rules'] }).files).toEqual({
      'automation-rules.json': readAutomationRules(rules, { knownPlaybooks: readPlaybooks(playbooks).catalogue.list() }).shipped.content,
      'playbooks.json': readPlaybooks(playbooks).shipped.content,
    });
  });

  it('gives the playbook machine its backstop past the run deadline, and refuses a deadline PLAYBOOK_RUN_DEADLINE_SECONDS would refuse', () => {
    // Prepare
    stubOutAwsEnvironment();
    const timeoutOf = (context: Record<string, unknown>, out: string): unknown => {
      const { serviceStack } = buildApp({ outdir: join(dir.path, out), context: testContext(context) });
      const machine = resourceById(Template.fromStack(serviceStack), logicalIdOf(serviceStack.playbooks.stateMachine));
      return (JSON.parse(String(machine.Properties.DefinitionString)) as { TimeoutSeconds: unknown }).TimeoutSeconds;
    };

    // Act + Assess: the service's own default (3600), and a configured one
    expect(timeoutOf({}, 'out-default')).toBe(3600 + playbookExecutionGraceSeconds);
    expect(timeoutOf({ playbookRunDeadlineSeconds: 600 }, 'out-600')).toBe(600 + playbookExecutionGraceSeconds);
    expect(() => buildApp({ outdir: join(dir.path, 'out-short'), context: testContext({ playbookRunDeadlineSeconds: 59 }) })).toThrow(/^playbookRunDeadlineSeconds: must be a whole number from 60 to 86400/);
    expect(() => buildApp({ outdir: join(dir.path, 'out-long'), context: testContext({ playbookRunDeadlineSeconds: 86_401 }) })).toThrow(/^playbookRunDeadlineSeconds: /);
  });
});
