import { describe, expect, it } from 'vitest';
import { compileRuleMatch } from '#shared/automation/match.ts';
import type { RuleMatch } from '#shared/automation/types.ts';
import { finding } from '../findings/fixtures.ts';

const guardDuty = finding({
  source: 'guardduty',
  findingId: 'f-1',
  findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
  types: ['Backdoor:EC2/C&CActivity.B!DNS', 'TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS'],
  severity: 'HIGH',
  sourceSeverity: '8',
  accountId: '111122223333',
  region: 'eu-west-1',
});

const falco = finding({
  source: 'falco',
  findingId: 'alert-1',
  findingType: 'Terminal shell in container',
  types: ['Terminal shell in container'],
  severity: 'LOW',
  sourceSeverity: 'Notice',
});

function matches(match: RuleMatch, subject = guardDuty): boolean {
  return compileRuleMatch(match)(subject);
}

describe("a rule's match", () => {
  it('holds when the source is the finding\'s and any glob matches any of its type strings', () => {
    // Assess
    expect(matches({ source: 'guardduty', types: ['Trojan:EC2/*', 'Backdoor:EC2/*'] })).toBe(true);
    expect(matches({ source: 'guardduty', types: ['TTPs/Command and Control/*'] })).toBe(true);
    expect(matches({ source: 'falco', types: ['Terminal shell in container'] }, falco)).toBe(true);
  });

  it('with resourceRole, holds only for findings whose resource played that role (one stating none still matches)', () => {
    // Prepare
    const victim = { ...guardDuty, resourceRole: 'TARGET' as const };
    const actor = { ...guardDuty, resourceRole: 'ACTOR' as const };

    // Assess
    expect(matches({ source: 'guardduty', types: ['Backdoor:EC2/*'], resourceRole: 'ACTOR' }, victim)).toBe(false);
    expect(matches({ source: 'guardduty', types: ['Backdoor:EC2/*'], resourceRole: 'ACTOR' }, actor)).toBe(true);
    expect(matches({ source: 'guardduty', types: ['Backdoor:EC2/*'], resourceRole: 'ACTOR' }, guardDuty)).toBe(true);
    expect(matches({ source: 'guardduty', types: ['Backdoor:EC2/*'] }, victim)).toBe(true);
  });

  it('fails for another source, even when the type would match', () => {
    // Assess
    expect(matches({ source: 'securityhub', types: ['Backdoor:EC2/*'] })).toBe(false);
  });

  it('fails when no glob matches any type string', () => {
    // Assess
    expect(matches({ source: 'guardduty', types: ['Backdoor:EC2/C&CActivity.B', 'Trojan:*'] })).toBe(false);
    expect(matches({ source: 'falco', types: ['Terminal shell in container *'] }, falco)).toBe(false);
  });

  it.each<[RuleMatch['minSeverity'], boolean]>([
    ['LOW', true],
    ['MEDIUM', true],
    ['HIGH', true],
    ['CRITICAL', false],
  ])('with minSeverity %s takes a HIGH finding: %s', (minSeverity, expected) => {
    // Assess
    expect(matches({ source: 'guardduty', types: ['*'], minSeverity })).toBe(expected);
  });

  it('takes only the listed accounts and regions when it lists them', () => {
    // Assess
    expect(matches({ source: 'guardduty', types: ['*'], accounts: ['444455556666', '111122223333'], regions: ['eu-west-1'] })).toBe(true);
    expect(matches({ source: 'guardduty', types: ['*'], accounts: ['444455556666'] })).toBe(false);
    expect(matches({ source: 'guardduty', types: ['*'], regions: ['us-east-1'] })).toBe(false);
  });

  it('never takes a finding that names no account or region when the rule lists some', () => {
    // Assess
    expect(matches({ source: 'falco', types: ['*'], accounts: ['111122223333'] }, falco)).toBe(false);
    expect(matches({ source: 'falco', types: ['*'], regions: ['eu-west-1'] }, falco)).toBe(false);
    expect(matches({ source: 'falco', types: ['*'] }, falco)).toBe(true);
  });
});
