/**
 * Whether a rule's `match` holds for a finding: its source, any of its type globs against any of
 * the finding's type strings, the finding at or above `minSeverity`, and in the listed accounts
 * and regions when the rule lists them (a finding that names none, such as Falco's, then fails).
 */
import { compileTypeGlob } from '#shared/findings/type-glob.ts';
import { severities } from '#shared/findings/types.ts';
import type { NormalisedFinding, Severity } from '#shared/findings/types.ts';
import type { Rule, RuleMatch } from './types.ts';

export type FindingMatcher = (finding: NormalisedFinding) => boolean;

function rank(severity: Severity): number {
  return severities.indexOf(severity);
}

/** Compiles a rule's match once; the globs were validated when the rules were loaded. */
export function compileRuleMatch(match: RuleMatch): FindingMatcher {
  const globs = match.types.map(compileTypeGlob);
  const { accounts, regions, minSeverity, resourceRole } = match;
  return (finding) =>
    finding.source === match.source &&
    finding.types.some((type) => globs.some((glob) => glob(type))) &&
    (minSeverity === undefined || rank(finding.severity) >= rank(minSeverity)) &&
    (resourceRole === undefined || finding.resourceRole === null || finding.resourceRole === resourceRole) &&
    (accounts === undefined || (finding.accountId !== null && accounts.includes(finding.accountId))) &&
    (regions === undefined || (finding.region !== null && regions.includes(finding.region)));
}

/** The rules whose match holds for the finding, in the file's order. */
export function matchingRules(rules: readonly { readonly rule: Rule; readonly matches: FindingMatcher }[], finding: NormalisedFinding): Rule[] {
  return rules.filter((entry) => entry.matches(finding)).map((entry) => entry.rule);
}
