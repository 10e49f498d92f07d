import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRulesYaml } from '#shared/automation/default-rules.ts';
import { loadRuleSet, maxRulesFileBytes } from '#shared/automation/load-rules.ts';
import { ConfigError } from '#shared/errors.ts';

const directory = mkdtempSync(path.join(tmpdir(), 'rules-'));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const file = path.join(directory, name);
  writeFileSync(file, content);
  return file;
}

function sha256(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function loadError(source: string | Record<string, string | undefined>): ConfigError {
  try {
    loadRuleSet(source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const yamlRules = `rules:
  - id: isolate-backdoor
    description: Isolate instances GuardDuty finds a backdoor on.
    mode: approval
    match:
      source: guardduty
      types: ["Backdoor:EC2/*"]
      minSeverity: HIGH
    run:
      action: isolate-ec2-instance
    maxActionsPerHour: 5
`;

const jsonRules = JSON.stringify({
  rules: [
    {
      id: 'pause-shells',
      description: 'Pause containers a shell was opened in.',
      mode: 'enforce',
      match: { source: 'falco', types: ['Terminal shell in container'] },
      run: { action: 'pause-container' },
      dedupSeconds: 600,
    },
  ],
});

describe('loading the rules in force', () => {
  it('reads a YAML file named by AUTOMATION_RULES, with the SHA-256 of its bytes and its path as origin', () => {
    // Prepare
    const file = write('rules.yaml', yamlRules);

    // Act
    const set = loadRuleSet({ AUTOMATION_RULES: file });

    // Assess
    expect(set).toEqual({
      origin: file,
      sha256: sha256(yamlRules),
      rules: [
        {
          id: 'isolate-backdoor',
          description: 'Isolate instances GuardDuty finds a backdoor on.',
          mode: 'approval',
          match: { source: 'guardduty', types: ['Backdoor:EC2/*'], minSeverity: 'HIGH' },
          run: { action: 'isolate-ec2-instance' },
          dedupSeconds: 3600,
          maxActionsPerHour: 5,
        },
      ],
    });
  });

  it('reads a JSON file, by its extension and by its content under any other name', () => {
    // Prepare
    const named = write('rules.json', jsonRules);
    const unnamed = write('rules.conf', jsonRules);

    // Act
    const sets = [loadRuleSet(named), loadRuleSet({ AUTOMATION_RULES: unnamed })];

    // Assess
    for (const set of sets) {
      expect(set.sha256).toBe(sha256(jsonRules));
      expect(set.rules.map((rule) => [rule.id, rule.mode, rule.dedupSeconds, rule.maxActionsPerHour])).toEqual([['pause-shells', 'enforce', 600, 20]]);
    }
  });

  it('reads YAML under a name without an extension', () => {
    // Act
    const set = loadRuleSet(write('rules', yamlRules));

    // Assess
    expect(set.rules.map((rule) => rule.id)).toEqual(['isolate-backdoor']);
  });

  it('names AUTOMATION_RULES, the file, the rule and the field when a rule is wrong', () => {
    // Prepare
    const file = write('wrong.yaml', yamlRules.replace('mode: approval', 'mode: sometimes').replace('Backdoor:EC2/*', ''));

    // Act
    const error = loadError({ AUTOMATION_RULES: file });

    // Assess
    expect(error.variable).toBe('AUTOMATION_RULES');
    expect(error.message).toBe(
      `AUTOMATION_RULES: ${file}: rules[0] (isolate-backdoor).mode: must be one of "enforce", "dry-run", "approval"; ` +
        'rules[0] (isolate-backdoor).match.types[0]: must not be empty; use "*" to match every type',
    );
  });

  it.each<[string, string, string, string]>([
    ['YAML that does not parse', 'bad.yaml', 'rules: [\n  - id: a\n', 'is not valid YAML'],
    ['YAML with a repeated key', 'twice.yaml', 'rules: []\nrules: []\n', 'is not valid YAML (Map keys must be unique'],
    ['JSON that does not parse', 'bad.json', '{"rules": [', 'is not valid JSON'],
    ['JSON with a repeated key, which JSON.parse would take silently', 'twice.json', '{"rules": [{"id": "a"}], "rules": []}', 'is not valid JSON here (Map keys must be unique'],
    ['a file that is not UTF-8', 'latin1.yaml', '', 'is not UTF-8 text'],
  ])('refuses %s', (_name, fileName, content, expected) => {
    // Prepare
    const file = write(fileName, content === '' ? Buffer.from([0x72, 0x75, 0x6c, 0x65, 0x73, 0x3a, 0x20, 0xe9]) : content);

    // Act
    const error = loadError({ AUTOMATION_RULES: file });

    // Assess
    expect(error.message).toContain(`AUTOMATION_RULES: ${file}: ${expected}`);
  });

  it('refuses YAML tags beyond the core schema instead of building objects from them', () => {
    // Prepare: a tag the core schema does not know is only a warning to the parser; the value stays a string the schema refuses
    const file = write('tagged.yaml', yamlRules.replace('mode: approval', 'mode: !!js/function "x"'));

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toContain('rules[0] (isolate-backdoor).mode: must be one of');
  });

  it('refuses an alias flood (a billion laughs) while parsing', () => {
    // Prepare
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      laughs.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(',')}]`);
    }
    const file = write('laughs.yaml', `${laughs.join('\n')}\nrules: []\n`);

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toContain('is not valid YAML (ReferenceError: Excessive alias count');
  });

  it(`refuses a file over ${maxRulesFileBytes} bytes before reading it`, () => {
    // Prepare
    const file = write('huge.yaml', `${yamlRules}#${'x'.repeat(maxRulesFileBytes)}\n`);

    // Act
    const error = loadError({ AUTOMATION_RULES: file });

    // Assess
    expect(error.message).toBe(`AUTOMATION_RULES: ${file}: is ${maxRulesFileBytes + yamlRules.length + 2} bytes; a rules file may be at most ${maxRulesFileBytes}`);
  });

  it('refuses a path that is missing or a directory', () => {
    // Prepare
    const missing = path.join(directory, 'missing.yaml');
    const folder = path.join(directory, 'folder.yaml');
    mkdirSync(folder);

    // Act
    const errors = [loadError({ AUTOMATION_RULES: missing }), loadError(folder)];

    // Assess
    expect(errors.map((error) => error.message)).toEqual([
      `AUTOMATION_RULES: ${missing}: cannot be read (ENOENT)`,
      `AUTOMATION_RULES: ${folder}: is not a regular file`,
    ]);
  });
});

describe('the shipped default rules', () => {
  const shipped = readFileSync(new URL('../../../shared/automation/default-rules.yaml', import.meta.url), 'utf8');

  it('are the default-rules.yaml file the README shows, byte for byte', () => {
    // Assess
    expect(defaultRulesYaml).toBe(shipped);
  });

  it('are in force when AUTOMATION_RULES is unset or blank, with origin default and the file\'s SHA-256', () => {
    // Act
    const sets = [loadRuleSet({}), loadRuleSet({ AUTOMATION_RULES: '  ' })];

    // Assess
    for (const set of sets) {
      expect(set.origin).toBe('default');
      expect(set.sha256).toBe(sha256(shipped));
    }
  });

  it('are valid, and every one of them is in dry-run', () => {
    // Act
    const set = loadRuleSet({});

    // Assess
    expect(set.rules.map((rule) => [rule.id, rule.mode, 'action' in rule.run ? rule.run.action : rule.run.playbook])).toEqual([
      ['guardduty-iam-quarantine', 'dry-run', 'iam-quarantine'],
      ['guardduty-isolate-ec2-instance', 'dry-run', 'isolate-ec2-instance'],
      ['guardduty-s3-make-private', 'dry-run', 'make-cloud-resource-private'],
      ['guardduty-kubernetes-isolate-workload', 'dry-run', 'isolate-network'],
      ['guardduty-kubernetes-capture-pod', 'dry-run', 'capture-pod-state'],
      ['securityhub-s3-public-bucket', 'dry-run', 'make-cloud-resource-private'],
      ['falco-container-pause', 'dry-run', 'pause-container'],
      ['falco-binary-dir-quarantine', 'dry-run', 'file-quarantine'],
      ['falco-sensitive-file-kill-process', 'dry-run', 'kill-process'],
    ]);
  });
});
