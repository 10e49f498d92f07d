import { describe, expect, it } from 'vitest';
import { parseRuleFile, type RuleFileOptions } from '#shared/automation/rule-schema.ts';

/** A rule every test starts from; each test breaks one field. */
function validRule(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'quarantine-iam-user',
    description: 'Quarantine the IAM user a credential finding names.',
    mode: 'enforce',
    match: { source: 'guardduty', types: ['UnauthorizedAccess:IAMUser/*'] },
    run: { action: 'iam-quarantine' },
    ...fields,
  };
}

function errorsOf(raw: unknown, knownPlaybooks: RuleFileOptions['knownPlaybooks'] = []): readonly string[] {
  const result = parseRuleFile(raw, { knownPlaybooks });
  if (result.ok) throw new Error('expected the rules to be refused');
  return result.errors;
}

describe('the rules file schema', () => {
  it('accepts a rule and fills in dedupSeconds and maxActionsPerHour', () => {
    // Act
    const result = parseRuleFile({ rules: [validRule()] }, { knownPlaybooks: [] });

    // Assess
    expect(result).toEqual({
      ok: true,
      rules: [
        {
          id: 'quarantine-iam-user',
          description: 'Quarantine the IAM user a credential finding names.',
          mode: 'enforce',
          match: { source: 'guardduty', types: ['UnauthorizedAccess:IAMUser/*'] },
          run: { action: 'iam-quarantine' },
          dedupSeconds: 3600,
          maxActionsPerHour: 20,
        },
      ],
    });
  });

  it('keeps every optional field as written', () => {
    // Prepare
    const rule = validRule({
      match: { source: 'falco', types: ['Terminal shell in container'], minSeverity: 'HIGH', accounts: ['111122223333'], regions: ['eu-west-1'] },
      run: { action: 'delete-pod', inputs: { 'kubernetes.cluster.name': 'prod-eu' } },
      dedupSeconds: 0,
      maxActionsPerHour: 1000,
    });

    // Act
    const result = parseRuleFile({ rules: [rule] }, { knownPlaybooks: [] });

    // Assess
    expect(result.ok && result.rules[0]).toEqual(rule);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an id that is not kebab-case', { id: 'Quarantine_IAM' }, 'rules[0] (Quarantine_IAM).id: must be kebab-case'],
    ['an empty description', { description: '' }, 'rules[0] (quarantine-iam-user).description: must not be empty'],
    ['an unknown mode', { mode: 'on' }, 'rules[0] (quarantine-iam-user).mode: must be one of "enforce", "dry-run", "approval"'],
    ['an unknown field', { priority: 1 }, 'rules[0] (quarantine-iam-user).priority: is not a field here'],
    ['an unknown source', { match: { source: 'inspector', types: ['*'] } }, 'rules[0] (quarantine-iam-user).match.source: must be one of "guardduty", "securityhub", "falco"'],
    ['no types', { match: { source: 'guardduty', types: [] } }, 'rules[0] (quarantine-iam-user).match.types: must list at least one glob'],
    ['an empty glob', { match: { source: 'guardduty', types: ['Backdoor:EC2/*', ''] } }, 'rules[0] (quarantine-iam-user).match.types[1]: must not be empty'],
    ['a glob with too many stars', { match: { source: 'guardduty', types: ['*a*b*c*d*e*f*g*h*'] } }, "rules[0] (quarantine-iam-user).match.types[0]: must have at most 8 '*'"],
    ['a glob that is not printable ASCII', { match: { source: 'guardduty', types: ['Backdoor:EC2/\u00e9*'] } }, 'rules[0] (quarantine-iam-user).match.types[0]: must be printable ASCII'],
    ['an unknown match field', { match: { source: 'guardduty', types: ['*'], severity: 'HIGH' } }, 'rules[0] (quarantine-iam-user).match.severity: is not a field here'],
    ['an unknown severity', { match: { source: 'guardduty', types: ['*'], minSeverity: 'SEVERE' } }, 'rules[0] (quarantine-iam-user).match.minSeverity: must be one of "LOW", "MEDIUM", "HIGH", "CRITICAL"'],
    ['an unknown resource role', { match: { source: 'guardduty', types: ['*'], resourceRole: 'VICTIM' } }, 'rules[0] (quarantine-iam-user).match.resourceRole: must be one of "ACTOR", "TARGET"'],
    ['an account that is not 12 digits', { match: { source: 'guardduty', types: ['*'], accounts: ['1111'] } }, 'rules[0] (quarantine-iam-user).match.accounts[0]: must be a 12-digit account id'],
    ['a region that is no region', { match: { source: 'guardduty', types: ['*'], regions: ['moon-1'] } }, 'rules[0] (quarantine-iam-user).match.regions[0]: must be a region code'],
    ['neither action nor playbook', { run: {} }, 'rules[0] (quarantine-iam-user).run: must name exactly one of action (an action type) or playbook'],
    ['both action and playbook', { run: { action: 'iam-quarantine', playbook: 'aws-credential-compromise' } }, 'rules[0] (quarantine-iam-user).run: must name exactly one of action or playbook, not both'],
    ['an action not in the catalogue', { run: { action: 'quarantine' } }, 'rules[0] (quarantine-iam-user).run.action: is "quarantine", which is not an action type'],
    ['an undo type', { run: { action: 'iam-unquarantine' } }, 'rules[0] (quarantine-iam-user).run.action: is iam-unquarantine, an undo type: a rule never undoes'],
    ['a playbook where none runs', { run: { playbook: 'aws-credential-compromise' } }, 'rules[0] (quarantine-iam-user).run.playbook: is "aws-credential-compromise", which is not a playbook: this runtime runs no playbooks'],
    ['an input the action does not take', { run: { action: 'iam-quarantine', inputs: { 'host.id': 'node-7' } } }, 'rules[0] (quarantine-iam-user).run.inputs.host.id: is not an input of iam-quarantine, which accepts aws.resource.arn'],
    ['an input value the action refuses', { run: { action: 'delete-pod', inputs: { 'kubernetes.cluster.name': 'Prod EU' } } }, 'rules[0] (quarantine-iam-user).run.inputs.kubernetes.cluster.name: must be a DNS-1123 label'],
    ['an unknown run field', { run: { action: 'iam-quarantine', with: {} } }, 'rules[0] (quarantine-iam-user).run.with: is not a field here'],
    ['a negative dedupSeconds', { dedupSeconds: -1 }, 'rules[0] (quarantine-iam-user).dedupSeconds: must be a whole number of seconds from 0 to 604800'],
    ['a dedupSeconds past a week', { dedupSeconds: 604_801 }, 'rules[0] (quarantine-iam-user).dedupSeconds: must be a whole number of seconds from 0 to 604800'],
    ['a fractional maxActionsPerHour', { maxActionsPerHour: 1.5 }, 'rules[0] (quarantine-iam-user).maxActionsPerHour: must be a whole number from 1 to 1000'],
    ['a zero maxActionsPerHour', { maxActionsPerHour: 0 }, 'rules[0] (quarantine-iam-user).maxActionsPerHour: must be a whole number from 1 to 1000'],
  ])('refuses %s, naming the rule and the field', (_name, fields, expected) => {
    // Act
    const errors = errorsOf({ rules: [validRule(fields)] });

    // Assess
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(expected);
  });

  it('accepts a playbook only once it is known', () => {
    // Act
    const result = parseRuleFile({ rules: [validRule({ run: { playbook: 'aws-credential-compromise' } })] }, { knownPlaybooks: ['aws-credential-compromise'] });

    // Assess
    expect(result.ok && result.rules[0]?.run).toEqual({ playbook: 'aws-credential-compromise' });
  });

  it('refuses a playbook that is not in force, listing those that are', () => {
    // Act
    const errors = errorsOf({ rules: [validRule({ run: { playbook: 'ec2-compromise' } })] }, ['ec2-instance-compromise', 'suspicious-file']);

    // Assess
    expect(errors).toEqual(['rules[0] (quarantine-iam-user).run.playbook: is "ec2-compromise", which is not a playbook: the playbooks are ec2-instance-compromise, suspicious-file']);
  });

  it("holds a playbook rule's inputs to its playbook's input names when the definition is known", () => {
    // Prepare
    const known = [{ name: 'suspicious-file', inputs: [{ name: 'host.id' }, { name: 'path.absolute' }, { name: 'container.id' }] }];
    const rule = validRule({ run: { playbook: 'suspicious-file', inputs: { 'path.absolute': '/tmp/x', 'process.id': 42 } } });

    // Act
    const result = parseRuleFile({ rules: [rule] }, { knownPlaybooks: known });
    const byName = parseRuleFile({ rules: [rule] }, { knownPlaybooks: ['suspicious-file'] });

    // Assess
    expect(result).toEqual({
      ok: false,
      errors: ['rules[0] (quarantine-iam-user).run.inputs.process.id: is not an input of playbook suspicious-file, which takes host.id, path.absolute, container.id'],
    });
    expect(byName.ok).toBe(true);
  });

  it('names the second rule by its index and id, and refuses a repeated id', () => {
    // Act
    const errors = errorsOf({ rules: [validRule(), validRule({ match: { source: 'guardduty', types: ['*'], regions: ['eu-west-1', 'nowhere'] } })] });

    // Assess
    expect(errors).toEqual([
      'rules[1] (quarantine-iam-user).match.regions[1]: must be a region code such as eu-west-1',
      'rules[1] (quarantine-iam-user).id: is also the id of rules[0], and ids must be unique',
    ]);
  });

  it("lists every rule's problems at once, catalogue checks included, and names a rule without an id by its index", () => {
    // Act
    const errors = errorsOf({ rules: [validRule({ mode: 'always' }), { description: 'x', mode: 'enforce', match: { source: 'guardduty', types: ['*'] }, run: { action: 'kill' } }, 7] });

    // Assess
    expect(errors).toEqual([
      'rules[0] (quarantine-iam-user).mode: must be one of "enforce", "dry-run", "approval"',
      'rules[1].id: is required: a kebab-case id such as quarantine-iam-user',
      'rules[1].run.action: is "kill", which is not an action type (GET /v1/action-types lists them)',
      'rules[2]: must be a rule: an object with id, description, mode, match and run',
    ]);
  });

  it.each<[string, unknown, string]>([
    ['a list', [validRule()], '(file): the file must hold one object: { "rules": [ ... ] }'],
    ['nothing', null, '(file): the file must hold one object: { "rules": [ ... ] }'],
    ['no rules', {}, 'rules: must be a list of rules'],
    ['rules that are no list', { rules: { a: 1 } }, 'rules: must be a list of rules'],
    ['more than 200 rules', { rules: Array.from({ length: 201 }, (_, index) => validRule({ id: `rule-${index}` })) }, 'rules: must hold at most 200 rules'],
  ])('refuses %s as the file', (_name, raw, expected) => {
    // Act
    const errors = errorsOf(raw);

    // Assess
    expect(errors).toEqual([expected]);
  });

  it('refuses a field beside rules and still checks the rules', () => {
    // Act
    const errors = errorsOf({ version: 1, rules: [validRule({ mode: 'sometimes' })] });

    // Assess
    expect(errors).toEqual([
      'version: is not a field of the file (it holds only "rules")',
      'rules[0] (quarantine-iam-user).mode: must be one of "enforce", "dry-run", "approval"',
    ]);
  });

  it('accepts an empty list: no rule acts', () => {
    // Act
    const result = parseRuleFile({ rules: [] }, { knownPlaybooks: [] });

    // Assess
    expect(result).toEqual({ ok: true, rules: [] });
  });
});
